package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iamscan"
)

// fakeEngine records which scan was asked for and returns a canned result.
type fakeEngine struct {
	calls []string
	res   *iamscan.Result
}

func (f *fakeEngine) ScanAccount(context.Context) *iamscan.Result {
	f.calls = append(f.calls, "account")
	return f.res
}

func (f *fakeEngine) ScanRole(_ context.Context, name string) *iamscan.Result {
	f.calls = append(f.calls, "role:"+name)
	return f.res
}

func (f *fakeEngine) ScanFunction(_ context.Context, name string) *iamscan.Result {
	f.calls = append(f.calls, "function:"+name)
	return f.res
}

type fakePublisher struct {
	got []findings.Finding
	err error
}

func (p *fakePublisher) Publish(_ context.Context, fs []findings.Finding) error {
	p.got = append(p.got, fs...)
	return p.err
}

func sampleFinding() findings.Finding {
	return findings.Finding{
		ID: findings.StableID("LMB001", "arn:aws:lambda:us-east-1:123456789012:function:f", "k"), Check: "LMB001",
		Severity: findings.Critical, Title: "open", Resource: "arn:aws:lambda:us-east-1:123456789012:function:f",
		Source: iamscan.SourceLive, ObservedAt: time.Unix(0, 0).UTC(),
	}
}

func readEvent(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "iam-wildcard-scanner", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandleEvents(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		event     json.RawMessage
		wantCall  string
		wantScope string
		wantErr   string
	}{
		"scheduled":          {event: readEvent(t, "scheduled.json"), wantCall: "account", wantScope: "account"},
		"targeted role":      {event: readEvent(t, "targeted-role.json"), wantCall: "role:orders-api-function-role", wantScope: "role:orders-api-function-role"},
		"targeted function":  {event: readEvent(t, "targeted-function.json"), wantCall: "function:arn:aws:lambda:us-east-1:123456789012:function:orders-api"},
		"CT007 finding":      {event: readEvent(t, "finding-ct007.json"), wantCall: "role:orders-api-function-role"},
		"CT003 on function":  {event: json.RawMessage(`{"detail-type":"Selfaudit Finding","source":"selfaudit","detail":{"check":"CT003","resource":"arn:aws:lambda:us-east-1:123456789012:function:pay:live"}}`), wantCall: "function:arn:aws:lambda:us-east-1:123456789012:function:pay:live"},
		"role with path":     {event: json.RawMessage(`{"detail-type":"Selfaudit Finding","detail":{"check":"CT007","resource":"arn:aws:iam::123456789012:role/service-role/app/worker"}}`), wantCall: "role:worker"},
		"other check":        {event: json.RawMessage(`{"detail-type":"Selfaudit Finding","detail":{"check":"CT006","resource":"arn:aws:iam::123456789012:root"}}`), wantScope: "none"},
		"CT007 on a user":    {event: json.RawMessage(`{"detail-type":"Selfaudit Finding","detail":{"check":"CT007","resource":"arn:aws:iam::123456789012:user/alice"}}`), wantScope: "none"},
		"unknown type":       {event: json.RawMessage(`{"detail-type":"Object Created","detail":{}}`), wantErr: "unsupported event"},
		"empty request":      {event: json.RawMessage(`{}`), wantErr: "neither roleName nor functionName"},
		"both targets":       {event: json.RawMessage(`{"roleName":"a","functionName":"b"}`), wantErr: "both"},
		"unknown field":      {event: json.RawMessage(`{"role":"a"}`), wantErr: "unknown field"},
		"not JSON object":    {event: json.RawMessage(`[1,2]`), wantErr: "decode"},
		"malformed finding":  {event: json.RawMessage(`{"detail-type":"Selfaudit Finding","detail":"x"}`), wantErr: "decode finding"},
		"scheduled, no name": {event: json.RawMessage(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`), wantCall: "account"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eng := &fakeEngine{res: &iamscan.Result{Findings: []findings.Finding{sampleFinding()}, Functions: 1}}
			pub := &fakePublisher{}
			var metrics bytes.Buffer
			h := &Handler{Scanner: eng, Publisher: pub, Metrics: &metrics, Log: zerolog.Nop()}
			resp, err := h.Handle(context.Background(), tc.event)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				if len(eng.calls) != 0 {
					t.Errorf("scans run for a bad event: %v", eng.calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantCall == "" {
				if len(eng.calls) != 0 || resp.Skipped == "" || resp.Scope != tc.wantScope {
					t.Errorf("calls %v, response %+v; want a skip", eng.calls, resp)
				}
				return
			}
			if len(eng.calls) != 1 || eng.calls[0] != tc.wantCall {
				t.Errorf("calls = %v, want [%s]", eng.calls, tc.wantCall)
			}
			if tc.wantScope != "" && resp.Scope != tc.wantScope {
				t.Errorf("scope = %q, want %q", resp.Scope, tc.wantScope)
			}
			if resp.Findings != 1 || resp.Summary["CRITICAL"] != 1 || len(pub.got) != 1 {
				t.Errorf("response %+v, published %d", resp, len(pub.got))
			}
			if !strings.Contains(metrics.String(), `"FindingsTotal":1`) {
				t.Errorf("metrics = %s", metrics.String())
			}
		})
	}
}

// TestHandleFailures: an incomplete scan or a failed publish fails the
// invocation, after publishing what was found.
func TestHandleFailures(t *testing.T) {
	t.Parallel()
	partial := &iamscan.Result{
		Findings: []findings.Finding{sampleFinding()},
		Errors:   []iamscan.ResourceError{{Resource: "arn:aws:lambda:us-east-1:123456789012:function:g", Operation: "GetPolicy", Err: errors.New("AccessDenied")}},
	}
	pub := &fakePublisher{}
	h := &Handler{Scanner: &fakeEngine{res: partial}, Publisher: pub, Metrics: &bytes.Buffer{}, Log: zerolog.Nop()}
	_, err := h.Handle(context.Background(), readEvent(t, "scheduled.json"))
	if err == nil || !strings.Contains(err.Error(), "function:g") {
		t.Errorf("err = %v, want the failed function named", err)
	}
	if len(pub.got) != 1 {
		t.Errorf("published %d findings before failing, want 1", len(pub.got))
	}

	pub = &fakePublisher{err: errors.New("bus unavailable")}
	h = &Handler{Scanner: &fakeEngine{res: &iamscan.Result{}}, Publisher: pub, Metrics: &bytes.Buffer{}, Log: zerolog.Nop()}
	if _, err := h.Handle(context.Background(), readEvent(t, "scheduled.json")); err == nil || !strings.Contains(err.Error(), "bus unavailable") {
		t.Errorf("err = %v, want the publish failure", err)
	}
}

// TestSampleEventsRoundTrip keeps the sample events valid for sam local
// invoke, make invoke and these tests alike.
func TestSampleEventsRoundTrip(t *testing.T) {
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
		if _, err := parseEvent(b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
