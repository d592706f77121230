package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/findingstest"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/fleet"
	"github.com/selfaudit/selfaudit/shared/lambdamain"
)

const eventFile = "../../events/lambda-fleet-auditor/scheduled.json"

// TestScheduledEventFixture keeps the sample event (used by sam local
// invoke and make invoke) a valid EventBridge scheduled event.
func TestScheduledEventFixture(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(eventFile)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || len(ev.Resources) != 1 {
		t.Errorf("event = %+v", ev)
	}
	again, _ := json.Marshal(ev)
	var back events.CloudWatchEvent
	if err := json.Unmarshal(again, &back); err != nil || back.ID != ev.ID || !back.Time.Equal(ev.Time) {
		t.Errorf("JSON round trip changed the event: %+v", back)
	}
}

// TestSetupConfiguration: setup refuses a bad or incomplete configuration
// with an error naming the variable; lambdamain then fails every
// invocation with it.
func TestSetupConfiguration(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env     map[string]string
		wantErr string
	}{
		"good":              {env: map[string]string{"FINDINGS_BUS_NAME": "b"}},
		"with a table":      {env: map[string]string{"FINDINGS_BUS_NAME": "b", "FINDINGS_TABLE_NAME": "selfaudit-findings"}},
		"with suppressions": {env: map[string]string{"FINDINGS_BUS_NAME": "b", "SUPPRESSIONS_PARAMETER": "/selfaudit/s/suppressions"}},
		"bad table":         {env: map[string]string{"FINDINGS_BUS_NAME": "b", "FINDINGS_TABLE_NAME": "a b"}, wantErr: "FINDINGS_TABLE_NAME"},
		"no bus":            {env: map[string]string{}, wantErr: "FINDINGS_BUS_NAME is not set"},
		"bad error rate":    {env: map[string]string{"FINDINGS_BUS_NAME": "b", "ERROR_RATE_THRESHOLD": "lots"}, wantErr: "ERROR_RATE_THRESHOLD"},
		"bad lookback":      {env: map[string]string{"FINDINGS_BUS_NAME": "b", "LOOKBACK_DAYS": "90"}, wantErr: "LOOKBACK_DAYS"},
		"bad report source": {env: map[string]string{"FINDINGS_BUS_NAME": "b", "REPORT_SOURCE": "s3"}, wantErr: "REPORT_SOURCE"},
		"every mistake":     {env: map[string]string{"LOOKBACK_DAYS": "90"}, wantErr: "LOOKBACK_DAYS=\"90\": want a whole number from 1 to 63\nenvironment variable FINDINGS_BUS_NAME is not set"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rt := &lambdamain.Runtime{Name: "lambda-fleet-auditor", Getenv: func(k string) string { return tc.env[k] }, AWS: aws.Config{Region: "us-east-1"}, Metrics: io.Discard}
			h, err := setup(rt)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || h == nil {
				t.Errorf("setup = %v, %v", h != nil, err)
			}
		})
	}
}

type fakeAuditor struct {
	res *fleet.Result
	err error
}

func (f fakeAuditor) Run(context.Context) (*fleet.Result, error) { return f.res, f.err }

// TestHandleNeedsItsAccount: with a store, the scope names the account, so
// an invocation whose context does not say which fails before auditing.
func TestHandleNeedsItsAccount(t *testing.T) {
	t.Parallel()
	h := &handler{auditor: fakeAuditor{err: errors.New("audit ran")}, publisher: &findingstest.Recorder{Require: findings.StatusNew}, store: &findingstore.Store{Table: "t"}, metrics: io.Discard}
	if _, err := h.Handle(context.Background(), events.CloudWatchEvent{DetailType: "Scheduled Event"}); err == nil || !strings.Contains(err.Error(), "account is unknown") {
		t.Errorf("err = %v, want a failure naming the unknown account before the audit", err)
	}
}

func TestHandleFailsWhenWorkFails(t *testing.T) {
	t.Parallel()
	one := []findings.Finding{{ID: "x", Check: "LMB108", Severity: findings.Low, Title: "t", Resource: "arn:aws:lambda:us-east-1:1:function:f", Source: "s", ObservedAt: time.Now()}}
	tests := map[string]struct {
		auditor   fakeAuditor
		publisher *findingstest.Recorder
		brokenEMF bool
		wantErr   string
	}{
		"audit fails":   {auditor: fakeAuditor{err: errors.New("list functions: AccessDenied")}, publisher: &findingstest.Recorder{Require: findings.StatusNew}, wantErr: "audit lambda fleet: list functions"},
		"publish fails": {auditor: fakeAuditor{res: &fleet.Result{Findings: one}}, publisher: &findingstest.Recorder{Require: findings.StatusNew, Err: errors.New("publish findings: 1 of 1 entries failed")}, wantErr: "1 of 1 entries failed"},
		"clean":         {auditor: fakeAuditor{res: &fleet.Result{Findings: one, Functions: 1}}, publisher: &findingstest.Recorder{Require: findings.StatusNew}},
		// A failed metrics write once dropped every finding of the audit.
		"metrics fail": {auditor: fakeAuditor{res: &fleet.Result{Findings: one, Functions: 1}}, publisher: &findingstest.Recorder{Require: findings.StatusNew}, brokenEMF: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var emf, logs bytes.Buffer
			h := &handler{auditor: tc.auditor, publisher: tc.publisher, metrics: &emf}
			if tc.brokenEMF {
				h.metrics = findingstest.BrokenWriter{}
			}
			ctx := zerolog.New(&logs).WithContext(context.Background())
			out, err := h.Handle(ctx, events.CloudWatchEvent{DetailType: "Scheduled Event"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || out.Findings != 1 || out.Summary["LOW"] != 1 || len(tc.publisher.Findings()) != 1 {
				t.Errorf("out %+v err %v published %d", out, err, len(tc.publisher.Findings()))
			}
			if tc.brokenEMF {
				if !strings.Contains(logs.String(), "could not write finding metrics") {
					t.Errorf("no warning for the failed metrics write: %s", logs.String())
				}
			} else if !strings.Contains(emf.String(), `"FindingsTotal":1`) {
				t.Errorf("EMF lines lack the total: %s", emf.String())
			}
			if !strings.Contains(logs.String(), "fleet audit done") {
				t.Errorf("no summary on the invocation's logger: %s", logs.String())
			}
		})
	}
}
