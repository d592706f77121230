package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const sample = `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROA:alice","arn":"arn:aws:sts::111122223333:assumed-role/dev/alice","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/dev","userName":"dev"},"attributes":{"mfaAuthenticated":"true"}},"invokedBy":"signin.amazonaws.com"},"eventTime":"2026-11-20T10:01:02Z","eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionCode20150331v2","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15","requestParameters":{"functionName":"f","x":[1,2,{"y":null}]},"responseElements":null,"requestID":"r","eventID":"e","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333","sessionCredentialFromConsole":"true","errorCode":"AccessDenied","errorMessage":"caf\u00e9 \"quoted\""}`

func TestParse(t *testing.T) {
	t.Parallel()
	r, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := Record{
		EventVersion: "1.09", EventTime: time.Date(2026, 11, 20, 10, 1, 2, 0, time.UTC),
		EventSource: "lambda.amazonaws.com", EventName: "UpdateFunctionCode20150331v2", AWSRegion: "eu-west-1",
		SourceIPAddress: "198.51.100.7", UserAgent: "aws-cli/2.15", ErrorCode: "AccessDenied", ErrorMessage: `café "quoted"`,
		RequestID: "r", EventID: "e", EventType: "AwsApiCall", RecipientAccountID: "111122223333",
		SessionCredentialFromConsole: true,
		UserIdentity: UserIdentity{Type: "AssumedRole", PrincipalID: "AROA:alice", ARN: "arn:aws:sts::111122223333:assumed-role/dev/alice",
			AccountID: "111122223333", InvokedBy: "signin.amazonaws.com", MFAAuthenticated: true,
			IssuerType: "Role", IssuerARN: "arn:aws:iam::111122223333:role/dev", IssuerUserName: "dev"},
	}
	got := *r
	if string(got.RequestParameters) != `{"functionName":"f","x":[1,2,{"y":null}]}` || string(got.ResponseElements) != "null" {
		t.Errorf("raw parts = %s / %s", got.RequestParameters, got.ResponseElements)
	}
	got.RequestParameters, got.ResponseElements = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if r.Action() != "UpdateFunctionCode" || r.Service() != "lambda" || r.Principal() != want.UserIdentity.ARN {
		t.Errorf("Action/Service/Principal = %q %q %q", r.Action(), r.Service(), r.Principal())
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in        string
		notRecord bool
	}{
		"not an object":       {in: `[1,2]`},
		"truncated":           {in: `{"eventName":"X","eventSource":"s"`},
		"bad value":           {in: `{"eventName":X}`},
		"string for identity": {in: `{"eventName":"X","eventSource":"s","userIdentity":"me"}`},
		"number for name":     {in: `{"eventName":1,"eventSource":"s"}`},
		"trailing data":       {in: `{"eventName":"X","eventSource":"s"} x`},
		"no event name":       {in: `{"foo":"bar"}`, notRecord: true},
		"deep nesting":        {in: `{"eventName":"X","eventSource":"s","requestParameters":` + deep(20000) + `}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatal("no error")
			}
			if tc.notRecord != errors.Is(err, ErrNotRecord) {
				t.Errorf("err = %v, want ErrNotRecord=%v", err, tc.notRecord)
			}
		})
	}
}

func deep(n int) string {
	b := make([]byte, 0, 2*n)
	for range n {
		b = append(b, '[')
	}
	for range n {
		b = append(b, ']')
	}
	return string(b)
}

// reference is how encoding/json reads the same fields, the oracle of the
// differential fuzz test.
type reference struct {
	EventName    string `json:"eventName"`
	EventSource  string `json:"eventSource"`
	AWSRegion    string `json:"awsRegion"`
	UserAgent    string `json:"userAgent"`
	ErrorMessage string `json:"errorMessage"`
	UserIdentity *struct {
		Type string `json:"type"`
		ARN  string `json:"arn"`
	} `json:"userIdentity"`
	RequestParameters json.RawMessage `json:"requestParameters"`
}

// referenceKeys are the names the reference type reads.
var referenceKeys = []string{"eventName", "eventSource", "awsRegion", "userAgent", "errorMessage", "userIdentity", "type", "arn", "requestParameters"}

// caseVariantKey reports whether b has an object key that is one of
// referenceKeys in another case ("eventSourCe"). encoding/json matches
// field names case-insensitively; CloudTrail writes every key in one case
// and Parse matches it exactly, so on such input the two rightly differ.
func caseVariantKey(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	var stack []bool // per open container: true for an object
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, true)
				expectKey = true
				continue
			case '[':
				stack = append(stack, false)
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if expectKey {
				for _, k := range referenceKeys {
					if v != k && strings.EqualFold(v, k) {
						return true
					}
				}
				expectKey = false
				continue
			}
		}
		// After a value inside an object, the next token is a key.
		expectKey = len(stack) > 0 && stack[len(stack)-1]
	}
}

// FuzzParse holds the parser to encoding/json: whenever encoding/json reads
// the input as an object with string fields, Parse must agree on them
// (keys in another case aside: see caseVariantKey), and it must never
// panic on anything.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"eventName":"a\u0000b","eventSource":"s","userIdentity":null}`))
	f.Add([]byte(`{"eventName":"\ud83d\ude00","eventSource":"s","awsRegion":"\ud800"}`))
	f.Add([]byte(`{"eventName":"X","eventSource":"s","requestParameters":{"a":[1e5,-0.5,true,false,null]}}`))
	f.Add([]byte(`{"eventName":"X","eventSource":"s","eventName":"Y"}`))
	f.Add([]byte(`{"eventSourCe":"0","eventNAme":"0","0000":"\b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		var ref reference
		if json.Unmarshal(b, &ref) != nil || ref.EventName == "" || ref.EventSource == "" || caseVariantKey(b) {
			return
		}
		if err != nil {
			t.Fatalf("encoding/json accepts %q but Parse fails: %v", b, err)
		}
		if r.EventName != ref.EventName || r.EventSource != ref.EventSource || r.AWSRegion != ref.AWSRegion ||
			r.UserAgent != ref.UserAgent || r.ErrorMessage != ref.ErrorMessage {
			t.Fatalf("fields differ from encoding/json for %q:\n got %+v\nwant %+v", b, r, ref)
		}
		if ref.UserIdentity != nil && (r.UserIdentity.ARN != ref.UserIdentity.ARN || r.UserIdentity.Type != ref.UserIdentity.Type) {
			t.Fatalf("identity differs for %q: %+v vs %+v", b, r.UserIdentity, ref.UserIdentity)
		}
	})
}

func TestParseKeepsRecordWithBadTime(t *testing.T) {
	t.Parallel()
	r, err := Parse([]byte(`{"eventName":"X","eventSource":"s","eventTime":"redacted"}`))
	if err != nil || !r.EventTime.IsZero() {
		t.Fatalf("Parse = %+v, %v; want a record with zero time", r, err)
	}
}
