package main_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
)

func expectedFindings() int {
	n := 0
	for _, checks := range awsfake.SampleEstateChecks {
		n += len(checks)
	}
	return n
}

// TestBootstrapUnderRIE builds the function's bootstrap, runs it under
// aws-lambda-rie against the fake Lambda, CloudWatch, CloudWatch Logs and
// EventBridge servers, invokes it with the sample scheduled event, and
// checks the findings that reach the bus.
func TestBootstrapUnderRIE(t *testing.T) {
	testenv.FakeAWSEnv(t)
	bin := testenv.BuildFunction(t, "lambda-fleet-auditor")
	srv := awsfake.StartFleet(t, awsfake.SampleEstate())
	env := []string{"FINDINGS_BUS_NAME=selfaudit-findings", "AWS_LAMBDA_FUNCTION_TIMEOUT=300", "AWS_LAMBDA_FUNCTION_NAME=lambda-fleet-auditor"}
	env = append(env, srv.Env()...)
	rie := testenv.StartRIE(t, bin, env...)
	payload, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "events", "lambda-fleet-auditor", "scheduled.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	resp := rie.Succeed(t, ctx, payload, "audit")
	var out struct {
		Functions int `json:"functions"`
		Findings  int `json:"findings"`
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		t.Fatalf("%v: %s", err, resp)
	}
	want := expectedFindings()
	if out.Functions != len(awsfake.SampleEstateChecks) || out.Findings != want {
		t.Errorf("output %+v, want %d functions and %d findings", out, len(awsfake.SampleEstateChecks), want)
	}
	entries := srv.Events.Entries()
	if len(entries) != want {
		t.Fatalf("bus received %d events, want %d", len(entries), want)
	}
	var checks []string
	for _, e := range entries {
		var f findings.Finding
		if err := json.Unmarshal([]byte(e.Detail), &f); err != nil {
			t.Fatalf("detail %s: %v", e.Detail, err)
		}
		if e.Source != "selfaudit" || e.DetailType != "Selfaudit Finding" || e.EventBusName != "selfaudit-findings" || f.Source != "lambda-fleet-auditor" {
			t.Errorf("entry %+v", e)
		}
		checks = append(checks, f.Check)
	}
	sort.Strings(checks)
	if !strings.Contains(strings.Join(checks, ","), "LMB101") || !rie.Logged(`"FindingsTotal":`+itoa(want)) {
		t.Errorf("checks %v; logs lack the EMF total:\n%s", checks, rie.Logs())
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestMisconfiguredUnderRIE: a bad configuration (no findings bus, a
// look-back beyond what CloudWatch keeps at one-minute resolution) starts
// the function, fails every invocation naming both variables, and is
// logged once.
func TestMisconfiguredUnderRIE(t *testing.T) {
	event, err := os.ReadFile("../../events/lambda-fleet-auditor/scheduled.json")
	if err != nil {
		t.Fatal(err)
	}
	testenv.CheckMisconfigured(t, testenv.BuildFunction(t, "lambda-fleet-auditor"),
		[]string{"AWS_LAMBDA_FUNCTION_TIMEOUT=30", "SELFAUDIT_TRACING=off", "LOOKBACK_DAYS=90"},
		string(event), "LOOKBACK_DAYS", "FINDINGS_BUS_NAME")
}
