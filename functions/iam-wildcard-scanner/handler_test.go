package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/findingstest"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/iamscan"
	"github.com/selfaudit/selfaudit/shared/lambdamain"
)

// fakeScanner records which scan was asked for and returns a canned result.
type fakeScanner struct {
	calls []string
	res   *iamscan.Result
}

func (f *fakeScanner) ScanAccount(context.Context) *iamscan.Result {
	f.calls = append(f.calls, "account")
	return f.res
}

func (f *fakeScanner) ScanRole(_ context.Context, name string) *iamscan.Result {
	f.calls = append(f.calls, "role:"+name)
	return f.res
}

func (f *fakeScanner) ScanFunction(_ context.Context, name string) *iamscan.Result {
	f.calls = append(f.calls, "function:"+name)
	return f.res
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

// TestHandleEvents: each kind of event runs the scan it asks for (the
// parsing itself is tested in shared/iamscan), publishes and counts.
func TestHandleEvents(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		event     json.RawMessage
		wantCall  string
		wantScope string
		wantErr   string
	}{
		"scheduled":         {event: readEvent(t, "scheduled.json"), wantCall: "account", wantScope: "account"},
		"targeted role":     {event: readEvent(t, "targeted-role.json"), wantCall: "role:orders-api-function-role", wantScope: "role:orders-api-function-role"},
		"targeted function": {event: readEvent(t, "targeted-function.json"), wantCall: "function:arn:aws:lambda:us-east-1:123456789012:function:orders-api"},
		"CT007 finding":     {event: readEvent(t, "finding-ct007.json"), wantCall: "role:orders-api-function-role"},
		"other check":       {event: json.RawMessage(`{"detail-type":"Selfaudit Finding","detail":{"check":"CT006","resource":"arn:aws:iam::123456789012:root"}}`), wantScope: "none"},
		"unknown type":      {event: json.RawMessage(`{"detail-type":"Object Created","detail":{}}`), wantErr: "unsupported event"},
		"empty request":     {event: json.RawMessage(`{}`), wantErr: "neither roleName nor functionName"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eng := &fakeScanner{res: &iamscan.Result{Findings: []findings.Finding{sampleFinding()}, Functions: 1}}
			pub := &findingstest.Recorder{Require: findings.StatusNew}
			var metrics, logs bytes.Buffer
			h := &handler{scanner: eng, publisher: pub, metrics: &metrics}
			resp, err := h.Handle(zerolog.New(&logs).WithContext(context.Background()), tc.event)
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
				if len(eng.calls) != 0 || resp.Skipped == "" || resp.Scope != tc.wantScope || !strings.Contains(logs.String(), "event skipped") {
					t.Errorf("calls %v, response %+v, logs %s; want a logged skip", eng.calls, resp, logs.String())
				}
				return
			}
			if len(eng.calls) != 1 || eng.calls[0] != tc.wantCall {
				t.Errorf("calls = %v, want [%s]", eng.calls, tc.wantCall)
			}
			if tc.wantScope != "" && resp.Scope != tc.wantScope {
				t.Errorf("scope = %q, want %q", resp.Scope, tc.wantScope)
			}
			if resp.Findings != 1 || resp.Summary["CRITICAL"] != 1 || len(pub.Findings()) != 1 {
				t.Errorf("response %+v, published %d", resp, len(pub.Findings()))
			}
			if !strings.Contains(metrics.String(), `"FindingsTotal":1`) {
				t.Errorf("metrics = %s", metrics.String())
			}
			if !strings.Contains(logs.String(), "scan done") {
				t.Errorf("no summary on the invocation's logger: %s", logs.String())
			}
		})
	}
}

// TestHandleFailures: an incomplete scan or a failed publish fails the
// invocation, after publishing what was found; a failed metrics write only
// warns.
func TestHandleFailures(t *testing.T) {
	t.Parallel()
	partial := &iamscan.Result{
		Findings: []findings.Finding{sampleFinding()},
		Errors:   []iamscan.ResourceError{{Resource: "arn:aws:lambda:us-east-1:123456789012:function:g", Operation: "GetPolicy", Err: errors.New("AccessDenied")}},
	}
	pub := &findingstest.Recorder{Require: findings.StatusNew}
	h := &handler{scanner: &fakeScanner{res: partial}, publisher: pub, metrics: &bytes.Buffer{}}
	_, err := h.Handle(context.Background(), readEvent(t, "scheduled.json"))
	if err == nil || !strings.Contains(err.Error(), "function:g") {
		t.Errorf("err = %v, want the failed function named", err)
	}
	if len(pub.Findings()) != 1 {
		t.Errorf("published %d findings before failing, want 1", len(pub.Findings()))
	}

	pub = &findingstest.Recorder{Require: findings.StatusNew, Err: errors.New("bus unavailable")}
	h = &handler{scanner: &fakeScanner{res: &iamscan.Result{}}, publisher: pub, metrics: &bytes.Buffer{}}
	if _, err := h.Handle(context.Background(), readEvent(t, "scheduled.json")); err == nil || !strings.Contains(err.Error(), "bus unavailable") {
		t.Errorf("err = %v, want the publish failure", err)
	}

	pub = &findingstest.Recorder{Require: findings.StatusNew}
	h = &handler{scanner: &fakeScanner{res: &iamscan.Result{Findings: []findings.Finding{sampleFinding()}}}, publisher: pub, metrics: findingstest.BrokenWriter{}}
	if _, err := h.Handle(context.Background(), readEvent(t, "scheduled.json")); err != nil || len(pub.Findings()) != 1 {
		t.Errorf("err = %v, published %d; a failed metrics write must not fail or drop findings", err, len(pub.Findings()))
	}
}

// TestHandleNeedsItsAccount: with a store, the scope names the account, so
// an invocation whose context does not say which fails before scanning.
func TestHandleNeedsItsAccount(t *testing.T) {
	t.Parallel()
	eng := &fakeScanner{res: &iamscan.Result{}}
	h := &handler{scanner: eng, publisher: &findingstest.Recorder{Require: findings.StatusNew}, store: &findingstore.Store{Table: "t"}, metrics: io.Discard}
	_, err := h.Handle(context.Background(), readEvent(t, "scheduled.json"))
	if err == nil || !strings.Contains(err.Error(), "account is unknown") || len(eng.calls) != 0 {
		t.Errorf("err = %v, scans %v; want a failure naming the unknown account and no scan", err, eng.calls)
	}
}

// TestSetupConfiguration: setup refuses a bad or incomplete configuration
// with an error naming every bad variable; lambdamain then fails every
// invocation with it.
func TestSetupConfiguration(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env     map[string]string
		wantErr []string
	}{
		"good":          {env: map[string]string{"FINDINGS_BUS_NAME": "b", "SCAN_ALL_ROLES": "true"}},
		"no bus":        {env: map[string]string{}, wantErr: []string{"FINDINGS_BUS_NAME is not set"}},
		"with a table":  {env: map[string]string{"FINDINGS_BUS_NAME": "b", "FINDINGS_TABLE_NAME": "selfaudit-findings"}},
		"every mistake": {env: map[string]string{"SCAN_ALL_ROLES": "yes", "FINDINGS_TABLE_NAME": "no/such"}, wantErr: []string{`SCAN_ALL_ROLES="yes"`, "FINDINGS_BUS_NAME", "FINDINGS_TABLE_NAME"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rt := &lambdamain.Runtime{Name: "fn", Getenv: func(k string) string { return tc.env[k] }, AWS: aws.Config{Region: "us-east-1"}, Metrics: io.Discard}
			h, err := setup(rt)
			for _, want := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to name %s", err, want)
				}
			}
			if len(tc.wantErr) == 0 && (err != nil || h == nil) {
				t.Errorf("setup = %v, %v", h != nil, err)
			}
		})
	}
}
