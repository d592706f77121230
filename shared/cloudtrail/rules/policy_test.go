package rules

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
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

// FuzzWatchedAPIs runs every check on records of every watched call with
// fuzzed request parameters, response elements and additional data: the
// rules read deeply nested, service-specific shapes, and whatever a
// record holds they must return valid findings or notes, never panic.
func FuzzWatchedAPIs(f *testing.F) {
	var calls [][2]string
	for src, names := range WatchedAPIs() {
		for _, n := range names {
			calls = append(calls, [2]string{src, n})
		}
	}
	slices.SortFunc(calls, func(a, b [2]string) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) })
	for _, file := range []string{"public.jsonl", "logging.jsonl", "org.jsonl", "credentials.jsonl", "signin.jsonl"} {
		for _, tc := range loadCases(f, "testdata/"+file) {
			r, err := record.Parse(tc.Record)
			if err != nil {
				f.Fatal(err)
			}
			i := slices.Index(calls, [2]string{r.EventSource, r.Action()})
			f.Add(uint16(max(i, 0)), []byte(r.RequestParameters), []byte(r.ResponseElements), []byte(r.AdditionalEventData), r.ErrorCode != "")
		}
	}
	cfg := testConfig()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, which uint16, req, resp, add []byte, failed bool) {
		call := calls[int(which)%len(calls)]
		rec := map[string]any{
			"eventVersion": "1.09", "eventTime": "2026-11-21T10:00:00Z", "eventSource": call[0], "eventName": call[1],
			"awsRegion": "eu-west-1", "recipientAccountId": "111122223333", "eventID": "e-1",
			"userIdentity": map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/bob", "accountId": "111122223333", "userName": "bob"},
		}
		for k, v := range map[string][]byte{"requestParameters": req, "responseElements": resp, "additionalEventData": add} {
			if json.Valid(v) {
				rec[k] = json.RawMessage(v)
			}
		}
		if failed {
			rec["errorCode"] = "AccessDenied"
		}
		raw, err := json.Marshal(rec)
		if err != nil {
			t.Skip()
		}
		r, err := record.Parse(raw)
		if err != nil {
			t.Skip()
		}
		for _, fd := range Evaluate(&cfg, r, "fuzz", now) {
			if err := fd.Validate(); err != nil {
				t.Fatalf("invalid finding for %s %s: %v", call[0], call[1], err)
			}
		}
	})
}
