package rules

import (
	"bytes"
	"net/url"
	"slices"
	"testing"
)

func TestJudgePolicy(t *testing.T) {
	t.Parallel()
	open := `{"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	tests := map[string]struct {
		doc          string
		wantOpen     []string
		wantNarrowed int
		wantErr      bool
	}{
		"object":                           {doc: open, wantOpen: []string{"Public"}},
		"JSON string":                      {doc: `"{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"sqs:*\"}}"`, wantOpen: []string{"statement 0"}},
		"URL-encoded":                      {doc: url.QueryEscape(open), wantOpen: []string{"Public"}},
		"account wildcard":                 {doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::*:root"]},"Action":"kms:Decrypt"}]}`, wantOpen: []string{"statement 0"}},
		"NotPrincipal":                     {doc: `{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:*"}]}`, wantOpen: []string{"statement 0"}},
		"Deny for *":                       {doc: `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`},
		"named account":                    {doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sqs:*"}]}`},
		"service principal":                {doc: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage"}]}`},
		"narrowed by SourceArn":            {doc: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:1:t"}}}]}`, wantNarrowed: 1},
		"IfExists does not narrow":         {doc: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Condition":{"StringEqualsIfExists":{"aws:SourceAccount":"1"}}}]}`, wantOpen: []string{"statement 0"}},
		"SourceOrgID of * does not narrow": {doc: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"*"}}}]}`, wantOpen: []string{"statement 0"}},
		"truncated":                        {doc: `{"Statement":[{"Effect":"Allow"`, wantErr: true},
		"not a policy":                     {doc: `{"Version":"2012-10-17"}`, wantErr: true},
		"empty":                            {doc: ``, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, err := JudgePolicy([]byte(tc.doc))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !slices.Equal(e.Open, tc.wantOpen) || len(e.Narrowed) != tc.wantNarrowed {
				t.Errorf("JudgePolicy = %+v, want open %v and %d narrowed", e, tc.wantOpen, tc.wantNarrowed)
			}
		})
	}
}

// FuzzJudgePolicy holds the resource-policy reader to what must be true of
// any input: no panic, the same answer twice, and nothing public in a
// document that cannot spell a wildcard principal (no "*" however escaped,
// no NotPrincipal).
func FuzzJudgePolicy(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage"}]}`,
		`"{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"*\"}}"`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"kms:*","Condition":{"StringEquals":{"kms:CallerAccount":"1"}}}]}`,
		`{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"1"},"Action":"s3:*"}]}`,
		`%7B%22Statement%22%3A%5B%5D%7D`,
		`{"Statement":[{"Effect":"Allow","Principal":"\u002a","Action":"s3:*"}]}`,
		`null`, `""`, `[]`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		e1, err1 := JudgePolicy(doc)
		e2, err2 := JudgePolicy(doc)
		if (err1 == nil) != (err2 == nil) || !slices.Equal(e1.Open, e2.Open) || !slices.Equal(e1.Narrowed, e2.Narrowed) {
			t.Fatalf("two answers for one document: %+v/%v and %+v/%v", e1, err1, e2, err2)
		}
		if err1 != nil && (len(e1.Open) > 0 || len(e1.Narrowed) > 0) {
			t.Fatalf("an error with a verdict: %+v, %v", e1, err1)
		}
		low := bytes.ToLower(doc)
		canSpellWildcard := bytes.Contains(doc, []byte("*")) || bytes.Contains(low, []byte(`\u002a`)) ||
			bytes.Contains(low, []byte("%")) || bytes.Contains(low, []byte("notprincipal")) || bytes.Contains(low, []byte(`\u`))
		if e1.Public() && !canSpellWildcard {
			t.Fatalf("public verdict %+v for a document without a wildcard principal: %q", e1, doc)
		}
	})
}
