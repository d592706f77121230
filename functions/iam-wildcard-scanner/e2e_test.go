package main_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iamscan"
)

// The example account of the IAM scanner's own tests: cloudsplaining's
// example served in IAM's wire format, and a few functions with resource
// policies.
func testdata(t testing.TB, parts ...string) string {
	return filepath.Join(append([]string{testenv.ModuleRoot(t), "shared", "iamscan", "testdata"}, parts...)...)
}

// goldenResult is what the IAM scanner's golden file pins of a live scan
// of the example account.
type goldenResult struct {
	Roles     int                `json:"roles"`
	Functions int                `json:"functions"`
	Findings  []findings.Finding `json:"findings"`
}

// fakeAccount is the example account behind the awsfake servers in IAM's,
// Lambda's and EventBridge's wire formats, and the AWS_ENDPOINT_URL_*
// variables that point the function at them.
type fakeAccount struct {
	iam    *awsfake.IAM
	lambda *awsfake.Lambda
	events *awsfake.EventBridge
	env    []string
}

func newFakeAccount(t *testing.T) *fakeAccount {
	t.Helper()
	testenv.FakeAWSEnv(t)
	fi, err := awsfake.NewIAM(testdata(t, "gaad"))
	if err != nil {
		t.Fatal(err)
	}
	fi.WantFilter = []string{"User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"}
	if err := fi.LoadDetails(testdata(t, "cloudsplaining", "example-authz-details.json")); err != nil {
		t.Fatal(err)
	}
	estate, err := awsfake.LoadLambdaFixture(testdata(t, "lambda", "functions.json"))
	if err != nil {
		t.Fatal(err)
	}
	fl, eb := awsfake.NewLambda(estate), awsfake.NewEventBridge()
	return &fakeAccount{iam: fi, lambda: fl, events: eb, env: awsfake.Serve(t, fi, fl, eb).Env()}
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// TestFunctionEndToEnd builds the iam-wildcard-scanner bootstrap, runs it
// under aws-lambda-rie with its IAM, Lambda and EventBridge endpoints
// pointed at the awsfake servers speaking the real wire formats, invokes it
// with the sample events and checks what it published and returned.
func TestFunctionEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function under aws-lambda-rie")
	}
	bin := testenv.BuildFunction(t, "iam-wildcard-scanner")
	a := newFakeAccount(t)
	fi, eb := a.iam, a.events
	const bus = "selfaudit-findings"
	rie := testenv.StartRIE(t, bin,
		append(a.env,
			"FINDINGS_BUS_NAME="+bus,
			"SCAN_ALL_ROLES=true",
			"AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		)...,
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The golden findings of the same account, judged in-process.
	var golden goldenResult
	b, err := os.ReadFile(testdata(t, "live-scan.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}

	scheduled, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "events/iam-wildcard-scanner/scheduled.json"))
	if err != nil {
		t.Fatal(err)
	}
	payload := rie.Succeed(t, ctx, scheduled, "scheduled scan")
	var resp struct {
		Findings  int              `json:"findings"`
		Summary   findings.Summary `json:"summary"`
		Roles     int              `json:"roles"`
		Functions int              `json:"functions"`
	}
	if err := json.Unmarshal(payload, &resp); err != nil {
		t.Fatalf("response %s: %v", payload, err)
	}
	if resp.Findings != len(golden.Findings) || resp.Roles != golden.Roles || resp.Functions != golden.Functions {
		t.Errorf("response %s, want %d findings, %d roles, %d functions", payload, len(golden.Findings), golden.Roles, golden.Functions)
	}

	batches := eb.Batches()
	want := map[string]bool{}
	for _, f := range golden.Findings {
		want[f.ID] = true
	}
	got := map[string]bool{}
	for i, batch := range batches {
		if len(batch) == 0 || len(batch) > findings.MaxEntriesPerPut {
			t.Errorf("PutEvents call %d carried %d entries", i, len(batch))
		}
		for _, e := range batch {
			if e.Source != findings.EventSource || e.DetailType != findings.EventDetailType || e.EventBusName != bus {
				t.Errorf("entry source %q detail-type %q bus %q", e.Source, e.DetailType, e.EventBusName)
			}
			var f findings.Finding
			if err := json.Unmarshal([]byte(e.Detail), &f); err != nil {
				t.Fatalf("detail %s: %v", e.Detail, err)
			}
			if f.Source != iamscan.SourceLive {
				t.Errorf("finding source %q", f.Source)
			}
			got[f.ID] = true
		}
	}
	if wantCalls := (len(golden.Findings) + 9) / 10; len(batches) != wantCalls {
		t.Errorf("%d PutEvents calls for %d findings, want %d", len(batches), len(golden.Findings), wantCalls)
	}
	if !equalSets(got, want) {
		t.Errorf("published %d distinct findings, golden has %d", len(got), len(want))
	}
	if bad := eb.Rejected(); len(bad) > 0 {
		t.Errorf("PutEvents requests refused (another target or content type, a limit broken): %v", bad)
	}
	if !rie.Logged(`"_aws"`) {
		t.Error("no Embedded Metric Format line in the function's output")
	}

	// A CT007 finding on the bus asks for a scan of one role.
	targeted := `{"version":"0","id":"e2e-1","detail-type":"Selfaudit Finding","source":"selfaudit","account":"012345678901","time":"2026-11-27T09:14:03Z","region":"us-east-1","resources":[],"detail":{"check":"CT007","resource":"arn:aws:iam::012345678901:role/OverprivilegedEC2"}}`
	before := fi.Count("GetAccountAuthorizationDetails")
	payload = rie.Succeed(t, ctx, []byte(targeted), "targeted scan")
	if !strings.Contains(string(payload), `"scope":"role:OverprivilegedEC2"`) || !strings.Contains(string(payload), `"roles":1`) {
		t.Errorf("targeted response %s", payload)
	}
	// The role's own reads, and one GetAccountAuthorizationDetails pass
	// for its escalation paths (IAM009).
	if fi.Count("GetAccountAuthorizationDetails") != before+fi.Pages() || fi.Count("GetRole") != 1 {
		t.Errorf("targeted scan calls: %s", fi.String())
	}

	// A role that does not exist: the invocation fails, so Lambda's
	// Errors metric and the on-failure destination see it.
	inv, err := rie.Invoke(ctx, []byte(`{"roleName":"no-such-role"}`))
	if err != nil {
		t.Fatal(err)
	}
	if inv.FunctionError == "" || !strings.Contains(string(inv.Payload), "no-such-role") {
		t.Errorf("scan of a missing role: error %q payload %s", inv.FunctionError, inv.Payload)
	}
}

// TestFunctionTraced runs the built function for one invocation with a
// sampled trace header, as Lambda does with active tracing, and checks
// that every AWS call reached the X-Ray daemon as a subsegment of that
// trace, in the daemon's wire format.
func TestFunctionTraced(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function")
	}
	bin := testenv.BuildFunction(t, "iam-wildcard-scanner")
	a := newFakeAccount(t)
	fi, fl, eb := a.iam, a.lambda, a.events
	daemon := testenv.StartXRayDaemon(t)
	scheduled, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "events/iam-wildcard-scanner/scheduled.json"))
	if err != nil {
		t.Fatal(err)
	}
	const root, parent = "1-6746c0de-0123456789abcdef01234567", "0a1b2c3d4e5f6789"
	inv := testenv.InvokeOnceTraced(t, bin, append(a.env,
		"AWS_XRAY_DAEMON_ADDRESS="+daemon.Addr,
		"FINDINGS_BUS_NAME=selfaudit-findings",
		"SCAN_ALL_ROLES=true",
	), scheduled, "Root="+root+";Parent="+parent+";Sampled=1", time.Minute)
	if inv.Error {
		t.Fatalf("function error: %s\n%s", inv.Payload, inv.Logs)
	}
	want := fi.Pages() + fl.Total() + len(eb.Batches())
	docs, malformed := daemon.Documents(want, 5*time.Second)
	if len(malformed) > 0 {
		t.Errorf("datagrams not in the daemon's format: %q", malformed)
	}
	ops := map[string]int{}
	for _, d := range docs {
		if d["trace_id"] != root || d["parent_id"] != parent || d["type"] != "subsegment" || d["namespace"] != "aws" {
			t.Errorf("subsegment outside the invocation's trace: %v", d)
		}
		aws, _ := d["aws"].(map[string]any)
		ops[d["name"].(string)+"."+aws["operation"].(string)]++
	}
	for op, n := range map[string]int{
		"IAM.GetAccountAuthorizationDetails": fi.Pages(),
		"Lambda.ListFunctions":               fl.Count("ListFunctions"),
		"Lambda.GetPolicy":                   fl.Count("GetPolicy"),
		"EventBridge.PutEvents":              len(eb.Batches()),
	} {
		if n == 0 || ops[op] < n {
			t.Errorf("%s: %d subsegments for %d calls (all: %v)", op, ops[op], n, ops)
		}
	}
}

// TestMisconfiguredUnderRIE: a bad configuration (no findings bus, a
// flag that is not a boolean) starts the function, fails every invocation
// naming both variables, and is logged once.
func TestMisconfiguredUnderRIE(t *testing.T) {
	event, err := os.ReadFile("../../events/iam-wildcard-scanner/scheduled.json")
	if err != nil {
		t.Fatal(err)
	}
	testenv.CheckMisconfigured(t, testenv.BuildFunction(t, "iam-wildcard-scanner"),
		[]string{"AWS_LAMBDA_FUNCTION_TIMEOUT=30", "SELFAUDIT_TRACING=off", "SCAN_ALL_ROLES=yes"},
		string(event), "SCAN_ALL_ROLES", "FINDINGS_BUS_NAME")
}
