package iameffect

import (
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

var globMatch = iampolicy.WildcardMatch

func TestCoversOverlaps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d, a           string
		cover, overlap bool
	}{
		{"*", "*", true, true},
		{"*", "s3:getobject", true, true},
		{"s3:*", "s3:put*", true, true},
		{"s3:put*", "s3:*", false, true},
		{"s3:*object", "s3:get*", false, true},
		{"s3:?", "s3:*", false, true},
		{"iam:*", "*", false, true},
		{"iam:*", "s3:*", false, false},
		{"iam:passrole", "iam:passrole", true, true},
		{"iam:pass?ole", "iam:passrole", true, true},
		{"iam:passrole", "iam:pass?ole", false, true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/k", true, true},
		{"arn:aws:s3:::b/k", "*", false, true},
		{"", "", true, true},
		{"a", "", false, false},
	} {
		if got := covers(tc.d, tc.a); got != tc.cover {
			t.Errorf("covers(%q, %q) = %v", tc.d, tc.a, got)
		}
		if got := overlaps(tc.d, tc.a); got != tc.overlap {
			t.Errorf("overlaps(%q, %q) = %v", tc.d, tc.a, got)
		}
		if got := overlaps(tc.a, tc.d); got != tc.overlap {
			t.Errorf("overlaps(%q, %q) = %v (reversed)", tc.a, tc.d, got)
		}
	}
}

func FuzzCovers(f *testing.F) {
	f.Add("s3:*", "s3:get*", "s3:getobject")
	f.Fuzz(func(t *testing.T, d, a, s string) {
		// s is a name, never a pattern.
		if len(d) > 40 || len(a) > 40 || len(s) > 40 || strings.ContainsAny(s, "*?") {
			return
		}
		// Soundness: d covers a and a matches s means d matches s; both
		// matching s means they overlap.
		if covers(d, a) && globMatch(a, s) && !globMatch(d, s) {
			t.Fatalf("covers(%q, %q) but %q matches only the second", d, a, s)
		}
		if globMatch(d, s) && globMatch(a, s) && !overlaps(d, a) {
			t.Fatalf("%q matches %q and %q but overlaps is false", s, d, a)
		}
	})
}

// FuzzSatisfiable: any condition, known values and time must be judged
// without a panic, and a condition with no keys always holds.
func FuzzSatisfiable(f *testing.F) {
	f.Add("StringEquals", "aws:SourceIp", "10.0.0.0/8", "x", int64(0))
	f.Add("DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", "", int64(1))
	f.Add("NumericLessThan", "s3:max-keys", "1e309", "5", int64(2))
	f.Fuzz(func(t *testing.T, op, key, v1, v2 string, sec int64) {
		cond := map[string]map[string][]string{op: {key: {v1, v2}}}
		Satisfiable(cond, map[string][]string{"aws:PrincipalArn": {v2}}, time.Unix(sec%(1<<40), 0))
	})
}
