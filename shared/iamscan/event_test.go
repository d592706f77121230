package iamscan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func functionEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "iam-wildcard-scanner", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		event     []byte
		file      string
		want      string // Target.Label()
		wantSkip  bool
		wantErr   string
		wantCause string // Resource of the asking finding
	}{
		"scheduled":          {file: "scheduled.json", want: "account"},
		"targeted role":      {file: "targeted-role.json", want: "role:orders-api-function-role"},
		"targeted function":  {file: "targeted-function.json", want: "function:arn:aws:lambda:us-east-1:123456789012:function:orders-api"},
		"CT007 finding":      {file: "finding-ct007.json", want: "role:orders-api-function-role", wantCause: "arn:aws:iam::123456789012:role/orders-api-function-role"},
		"CT003 on function":  {event: []byte(`{"detail-type":"Selfaudit Finding","source":"selfaudit","detail":{"check":"CT003","resource":"arn:aws:lambda:us-east-1:123456789012:function:pay:live"}}`), want: "function:arn:aws:lambda:us-east-1:123456789012:function:pay:live"},
		"role with path":     {event: []byte(`{"detail-type":"Selfaudit Finding","detail":{"check":"CT007","resource":"arn:aws:iam::123456789012:role/service-role/app/worker"}}`), want: "role:worker"},
		"other check":        {event: []byte(`{"detail-type":"Selfaudit Finding","detail":{"check":"CT006","resource":"arn:aws:iam::123456789012:root"}}`), wantSkip: true},
		"CT007 on a user":    {event: []byte(`{"detail-type":"Selfaudit Finding","detail":{"check":"CT007","resource":"arn:aws:iam::123456789012:user/alice"}}`), wantSkip: true},
		"unknown type":       {event: []byte(`{"detail-type":"Object Created","detail":{}}`), wantErr: "unsupported event"},
		"empty request":      {event: []byte(`{}`), wantErr: "neither roleName nor functionName"},
		"both targets":       {event: []byte(`{"roleName":"a","functionName":"b"}`), wantErr: "both"},
		"unknown field":      {event: []byte(`{"role":"a"}`), wantErr: "unknown field"},
		"not JSON object":    {event: []byte(`[1,2]`), wantErr: "decode"},
		"malformed finding":  {event: []byte(`{"detail-type":"Selfaudit Finding","detail":"x"}`), wantErr: "decode finding"},
		"scheduled, no name": {event: []byte(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`), want: "account"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ev := tc.event
			if tc.file != "" {
				ev = functionEvent(t, tc.file)
			}
			got, err := ParseEvent(ev)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantSkip {
				if got.Scope != "" || got.Skipped == "" {
					t.Errorf("target %+v, want a skip with a reason", got)
				}
				return
			}
			if got.Label() != tc.want {
				t.Errorf("target %q, want %q", got.Label(), tc.want)
			}
			if tc.wantCause != "" && got.Resource != tc.wantCause {
				t.Errorf("resource %q, want %q", got.Resource, tc.wantCause)
			}
		})
	}
}

// TestSampleEventsParse keeps the sample events valid for sam local
// invoke, make invoke and these tests alike.
func TestSampleEventsParse(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "iam-wildcard-scanner", "*.json"))
	if err != nil || len(files) < 2 {
		t.Fatalf("sample events: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseEvent(b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// FuzzParseEvent: any input gives a target or an error, never a panic, and
// a target either names a scope or says why it was skipped.
func FuzzParseEvent(f *testing.F) {
	for _, name := range []string{"scheduled.json", "targeted-role.json", "targeted-function.json", "finding-ct007.json"} {
		f.Add(functionEvent(f, name))
	}
	f.Add([]byte(`{"detail-type":"Selfaudit Finding","detail":{"check":"CT003","resource":"arn:aws:iam::1:role/"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := ParseEvent(raw)
		if err != nil {
			return
		}
		switch got.Scope {
		case ScopeAccount:
		case ScopeRole, ScopeFunction:
			if got.Name == "" {
				t.Fatalf("ParseEvent(%q) = %+v: scope without a name", raw, got)
			}
		case "":
			if got.Skipped == "" {
				t.Fatalf("ParseEvent(%q) = %+v: skip without a reason", raw, got)
			}
		default:
			t.Fatalf("ParseEvent(%q) = %+v: unknown scope", raw, got)
		}
	})
}
