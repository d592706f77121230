package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/fleet"
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

func TestNewHandlerRejectsBadConfiguration(t *testing.T) {
	t.Parallel()
	tests := map[string]map[string]string{
		"no bus":            {},
		"bad error rate":    {"FINDINGS_BUS_NAME": "b", "ERROR_RATE_THRESHOLD": "lots"},
		"bad lookback":      {"FINDINGS_BUS_NAME": "b", "LOOKBACK_DAYS": "90"},
		"bad report source": {"FINDINGS_BUS_NAME": "b", "REPORT_SOURCE": "s3"},
	}
	for name, env := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := newHandler(context.Background(), func(k string) string { return env[k] }); err == nil {
				t.Error("accepted")
			}
		})
	}
}

type fakeAuditor struct {
	res *fleet.Result
	err error
}

func (f fakeAuditor) Run(context.Context) (*fleet.Result, error) { return f.res, f.err }

type fakePublisher struct {
	got []findings.Finding
	err error
}

func (f *fakePublisher) Publish(_ context.Context, fs []findings.Finding) error {
	f.got = append(f.got, fs...)
	return f.err
}

func TestHandleFailsWhenWorkFails(t *testing.T) {
	t.Parallel()
	one := []findings.Finding{{ID: "x", Check: "LMB108", Severity: findings.Low, Title: "t", Resource: "arn:aws:lambda:us-east-1:1:function:f", Source: "s", ObservedAt: time.Now()}}
	tests := map[string]struct {
		auditor   fakeAuditor
		publisher *fakePublisher
		wantErr   string
	}{
		"audit fails":   {auditor: fakeAuditor{err: errors.New("list functions: AccessDenied")}, publisher: &fakePublisher{}, wantErr: "audit lambda fleet: list functions"},
		"publish fails": {auditor: fakeAuditor{res: &fleet.Result{Findings: one}}, publisher: &fakePublisher{err: errors.New("publish findings: 1 of 1 entries failed")}, wantErr: "1 of 1 entries failed"},
		"clean":         {auditor: fakeAuditor{res: &fleet.Result{Findings: one, Functions: 1}}, publisher: &fakePublisher{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var emf bytes.Buffer
			h := &handler{auditor: tc.auditor, publisher: tc.publisher, metrics: &emf, log: zerolog.Nop()}
			out, err := h.Handle(context.Background(), events.CloudWatchEvent{DetailType: "Scheduled Event"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || out.Findings != 1 || out.Summary["LOW"] != 1 || len(tc.publisher.got) != 1 {
				t.Errorf("out %+v err %v published %d", out, err, len(tc.publisher.got))
			}
			if !strings.Contains(emf.String(), `"FindingsTotal":1`) {
				t.Errorf("EMF lines lack the total: %s", emf.String())
			}
		})
	}
}
