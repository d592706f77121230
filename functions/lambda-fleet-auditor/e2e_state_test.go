package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
)

// TestFindingStoreUnderRIE runs the built function under aws-lambda-rie
// with FINDINGS_TABLE_NAME naming a table in dynalite, twice over the same
// fleet: the first audit announces every finding NEW, the second nothing,
// while both still write their metrics.
func TestFindingStoreUnderRIE(t *testing.T) {
	testenv.FakeAWSEnv(t)
	table := fmt.Sprintf("findings-fleet-e2e-%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := findingstore.CreateTable(ctx, testenv.DynaliteClient(t), table, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	bin := testenv.BuildFunction(t, "lambda-fleet-auditor")
	srv := awsfake.StartFleet(t, awsfake.SampleEstate())
	env := append(srv.Env(), "FINDINGS_BUS_NAME=selfaudit-findings", "AWS_LAMBDA_FUNCTION_TIMEOUT=300",
		"AWS_ENDPOINT_URL_DYNAMODB="+testenv.DynaliteEndpoint(t), findingstore.EnvTable+"="+table)
	rie := testenv.StartRIE(t, bin, env...)
	payload, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "events", "lambda-fleet-auditor", "scheduled.json"))
	if err != nil {
		t.Fatal(err)
	}
	type output struct {
		Findings  int                     `json:"findings"`
		Announced int                     `json:"announced"`
		State     *findings.StatusMetrics `json:"state"`
	}
	audit := func(day string) output {
		t.Helper()
		resp := rie.Succeed(t, ctx, payload, day)
		var out output
		if err := json.Unmarshal(resp, &out); err != nil || out.State == nil {
			t.Fatalf("%s: %v: %s", day, err, resp)
		}
		return out
	}

	want := expectedFindings()
	out := audit("day 1")
	entries := srv.Events.Entries()
	if out.Findings != want || out.Announced != want || out.State.New != want || len(entries) != want {
		t.Fatalf("day 1: output %+v, %d events; want %d findings, all announced NEW", out, len(entries), want)
	}
	for _, e := range entries {
		var tr findings.Tracked
		if err := json.Unmarshal([]byte(e.Detail), &tr); err != nil {
			t.Fatalf("detail %s: %v", e.Detail, err)
		}
		if tr.Status != findings.StatusNew || tr.Occurrences != 1 || tr.FirstSeen.IsZero() || tr.Source != "lambda-fleet-auditor" {
			t.Errorf("day 1 event %+v", tr)
		}
	}

	out = audit("day 2")
	if n := len(srv.Events.Entries()); n != want || out.Announced != 0 || out.Findings != want || out.State.New+out.State.Resolved+out.State.Reopened != 0 {
		t.Fatalf("day 2: output %+v, %d events in all; want silence", out, n-want)
	}
	if logs, ok := rie.LogsUntil(func(logs string) bool {
		return strings.Count(logs, `"FindingsTotal":`+itoa(want)) == 2 && strings.Count(logs, `"NewFindings":0`) == 1
	}); !ok {
		t.Errorf("the two audits' metrics are not in the function's output:\n%s", logs)
	}
}
