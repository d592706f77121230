package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/cloudtrail"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/findingstest"
	"github.com/selfaudit/selfaudit/shared/suppress"
)

type oneParameter string

func (p oneParameter) GetParameterValue(context.Context, string) (string, error) {
	return string(p), nil
}

// TestHandleSuppressed: a fresh finding a suppression accepts is not
// published and is counted in SuppressedFindings; one whose suppression
// expired is published.
func TestHandleSuppressed(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	f := func(check, resource string) findings.Finding {
		return findings.Finding{ID: check + resource, Check: check, Severity: findings.High, Title: "t", Resource: resource, Source: cloudtrail.FunctionSource, ObservedAt: at}
	}
	drill := f("CT006", "arn:aws:iam::111122223333:root")
	console := f("CT001", "arn:aws:lambda:eu-west-1:111122223333:function:legacy")
	loader := &suppress.Loader{Name: "/s", Options: suppress.Options{AnyCheck: true}, SSM: oneParameter(`suppressions:
  - check: CT006
    reason: "SEC-9: break-glass drill"
  - check: CT001
    resource: "*:function:legacy"
    reason: "SEC-10: edited by hand until the migration"
    expires: 2026-11-01
`)}
	var pub findingstest.Recorder
	var emf bytes.Buffer
	h := &handler{checker: fakeChecker{a: cloudtrail.Analysis{Trigger: "eventbridge", Found: 2, Fresh: []findings.Finding{drill, console}, At: at}},
		publisher: &pub, suppressions: loader, metrics: &emf}
	res, err := h.Handle(context.Background(), json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	got := pub.Findings()
	if res.Suppressed != 1 || res.Published != 1 || len(got) != 1 || got[0].ID != console.ID {
		t.Errorf("result %+v, published %v; want CT001 published and CT006 suppressed", res, got)
	}
	if m := emf.String(); !strings.Contains(m, `"FindingsTotal":1`) || !strings.Contains(m, `"SuppressedFindings":1`) {
		t.Errorf("metrics %s", m)
	}
}
