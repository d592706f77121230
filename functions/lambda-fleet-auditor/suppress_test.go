package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/findingstest"
	"github.com/selfaudit/selfaudit/shared/fleet"
	"github.com/selfaudit/selfaudit/shared/suppress"
)

type oneParameter struct {
	value string
	err   error
}

func (p oneParameter) GetParameterValue(context.Context, string) (string, error) {
	return p.value, p.err
}

// TestHandleSuppressed: without a store, a finding a suppression accepts
// is not announced and is counted apart; a parameter that cannot be read
// fails the invocation before the audit, rather than announcing it.
func TestHandleSuppressed(t *testing.T) {
	t.Parallel()
	f := func(check, fn string) findings.Finding {
		res := "arn:aws:lambda:eu-west-1:123456789012:function:" + fn
		return findings.Finding{ID: check + fn, Check: check, Severity: findings.Medium, Title: "t", Resource: res, Source: fleet.DefaultSource, ObservedAt: time.Now()}
	}
	sandbox, prod := f("LMB108", "sandbox-tool"), f("LMB108", "prod-api")
	res := &fleet.Result{Functions: 2, Findings: []findings.Finding{sandbox, prod}}
	loader := &suppress.Loader{Name: "/s", Options: suppress.Options{AnyCheck: true}, SSM: oneParameter{value: `suppressions:
  - check: "LMB1*"
    resource: "*:function:sandbox-*"
    reason: "SEC-7: sandbox tools are throwaway"
`}}
	var pub findingstest.Recorder
	var emf bytes.Buffer
	h := &handler{auditor: fakeAuditor{res: res}, publisher: &pub, suppressions: loader, metrics: &emf}
	out, err := h.Handle(context.Background(), events.CloudWatchEvent{DetailType: "Scheduled Event"})
	if err != nil {
		t.Fatal(err)
	}
	got := pub.Announced()
	if out.Suppressed != 1 || out.Announced != 1 || len(got) != 1 || got[0].ID != prod.ID {
		t.Errorf("output %+v, announced %+v", out, got)
	}
	if m := emf.String(); !strings.Contains(m, `"FindingsTotal":1`) || !strings.Contains(m, `"SuppressedFindings":1`) {
		t.Errorf("metrics %s", m)
	}

	broken := &handler{auditor: fakeAuditor{err: context.Canceled}, publisher: &pub,
		suppressions: &suppress.Loader{Name: "/s", SSM: oneParameter{err: context.DeadlineExceeded}}, metrics: &emf}
	if _, err := broken.Handle(context.Background(), events.CloudWatchEvent{}); err == nil || !strings.Contains(err.Error(), "SSM parameter /s") {
		t.Errorf("unreadable parameter: err %v", err)
	}
}
