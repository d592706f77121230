package iampolicy

import (
	"slices"
	"testing"
)

func TestNarrowingKeys(t *testing.T) {
	t.Parallel()
	cond := map[string]map[string][]string{
		"StringEquals":           {"aws:SourceAccount": {"111122223333"}, "aws:PrincipalOrgID": {"*"}},
		"StringEqualsIfExists":   {"aws:SourceArn": {"arn:aws:s3:::b"}},
		"StringNotEquals":        {"aws:PrincipalAccount": {"444455556666"}},
		"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": {"o-a/r-b/*"}},
		"IpAddress":              {"aws:SourceIp": {"203.0.113.0/24"}},
		"Bool":                   {"aws:SecureTransport": {"true"}},
	}
	want := []string{"aws:principalorgpaths", "aws:sourceaccount", "aws:sourceip"}
	if got := NarrowingKeys(cond); !slices.Equal(got, want) {
		t.Fatalf("NarrowingKeys = %v, want %v", got, want)
	}
	if got := NarrowingKeys(nil); len(got) != 0 {
		t.Errorf("NarrowingKeys(nil) = %v", got)
	}
}
