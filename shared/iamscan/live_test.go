package iamscan

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/awsconfig/chain"
	"github.com/selfaudit/selfaudit/shared/findings"
)

var update = flag.Bool("update", false, "rewrite golden files")

var fixedNow = func() time.Time { return time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC) }

const (
	detailsJSON = "testdata/cloudsplaining/example-authz-details.json"
	lambdaJSON  = "testdata/lambda/functions.json"
)

// liveEnv is a fake account behind the awsfake servers and real SDK clients
// pointed at them through AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_LAMBDA.
type liveEnv struct {
	iam    *awsfake.IAM
	lambda *awsfake.Lambda
	s      *Scanner
}

func newLiveEnv(t *testing.T, pages string) *liveEnv {
	t.Helper()
	a := newFakeAccount(t, pages)
	a.lambda.PageSize = 2
	cfg, err := chain.Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &liveEnv{iam: a.iam, lambda: a.lambda, s: &Scanner{
		IAM: iam.NewFromConfig(cfg), Lambda: lambda.NewFromConfig(cfg), AllRoles: true, Now: fixedNow,
	}}
}

// fakeAccount is the example account behind the awsfake servers in IAM's,
// Lambda's and EventBridge's wire formats, and the AWS_ENDPOINT_URL_*
// variables that point a function at them.
type fakeAccount struct {
	iam    *awsfake.IAM
	lambda *awsfake.Lambda
	events *awsfake.EventBridge
	env    []string
}

// newFakeAccount serves the account's IAM pages from pagesDir and sets
// the endpoint variables in this process too, for in-process SDK clients.
func newFakeAccount(t *testing.T, pagesDir string) *fakeAccount {
	t.Helper()
	testenv.FakeAWSEnv(t)
	fi, err := awsfake.NewIAM(pagesDir)
	if err != nil {
		t.Fatal(err)
	}
	fi.WantFilter = []string{"User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"}
	if err := fi.LoadDetails(detailsJSON); err != nil {
		t.Fatal(err)
	}
	estate, err := awsfake.LoadLambdaFixture(lambdaJSON)
	if err != nil {
		t.Fatal(err)
	}
	fl, eb := awsfake.NewLambda(estate), awsfake.NewEventBridge()
	servers := awsfake.Serve(t, fi, fl, eb)
	servers.Setenv(t)
	return &fakeAccount{iam: fi, lambda: fl, events: eb, env: servers.Env()}
}

// goldenResult is what the golden file pins of a live scan.
type goldenResult struct {
	Roles     int                `json:"roles"`
	Functions int                `json:"functions"`
	Policies  int                `json:"policies"`
	Errors    []string           `json:"errors"`
	Notes     []string           `json:"notes"`
	Summary   findings.Summary   `json:"summary"`
	Findings  []findings.Finding `json:"findings"`
}

func compareGolden(t *testing.T, path string, got any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(buf.Bytes())) {
		t.Errorf("%s differs from this run; diff it against:\n%s", path, buf.String())
	}
}

// TestLiveScanGolden runs the full live scan of the cloudsplaining example
// account, served in IAM's XML wire format, plus a Lambda fixture, through
// the real SDK clients, and pins the findings.
func TestLiveScanGolden(t *testing.T) {
	env := newLiveEnv(t, "testdata/gaad")
	res := env.s.ScanAccount(context.Background())
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if res.Roles != 3 || res.Functions != 8 {
		t.Errorf("judged %d roles and %d functions, want 3 and 8", res.Roles, res.Functions)
	}
	for _, f := range res.Findings {
		if err := f.Validate(); err != nil {
			t.Error(err)
		}
	}
	g := goldenResult{Roles: res.Roles, Functions: res.Functions, Policies: res.Policies, Errors: []string{}, Notes: append([]string{}, res.Notes...), Summary: findings.Summarize(res.Findings), Findings: res.Findings}
	compareGolden(t, "testdata/live-scan.golden.json", g)
	t.Logf("calls: IAM %s; Lambda %s", env.iam.String(), env.lambda.String())
}

// TestLiveScanCallsFollowPages serves the same account at 20 and at 5 items
// a page: IAM calls equal the pages, none is made per role or policy.
func TestLiveScanCallsFollowPages(t *testing.T) {
	for _, dir := range []string{"testdata/gaad", "testdata/gaad-5"} {
		t.Run(dir, func(t *testing.T) {
			env := newLiveEnv(t, dir)
			acct, err := env.s.ReadAccount(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(acct.Roles) != 3 || len(acct.Policies) != 32 {
				t.Fatalf("read %d roles and %d policies, want 3 and 32", len(acct.Roles), len(acct.Policies))
			}
			if got, want := env.iam.Total(), env.iam.Pages(); got != want {
				t.Errorf("%d IAM calls for %d pages (%s)", got, want, env.iam.String())
			}
			if n := env.iam.Count("GetAccountAuthorizationDetails"); n != env.iam.Pages() {
				t.Errorf("GetAccountAuthorizationDetails calls = %d, want %d", n, env.iam.Pages())
			}
		})
	}
}

// TestLiveScanDefaultScope: without --all-roles only roles Lambda can
// assume are judged; the example account has none.
func TestLiveScanDefaultScope(t *testing.T) {
	env := newLiveEnv(t, "testdata/gaad")
	env.s.AllRoles = false
	res := env.s.ScanAccount(context.Background())
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if res.Roles != 0 {
		t.Errorf("judged %d roles; none of the example's roles trusts lambda.amazonaws.com", res.Roles)
	}
	for _, f := range res.Findings {
		if strings.Contains(f.Resource, ":role/") {
			t.Errorf("finding on out-of-scope role: %s %s", f.Check, f.Resource)
		}
	}
}

// TestLiveScanPartialFailure: a GetPolicy that keeps failing is reported in
// the result (and fails the run); a throttled one is retried and succeeds;
// the other functions' findings are kept.
func TestLiveScanPartialFailure(t *testing.T) {
	env := newLiveEnv(t, "testdata/gaad")
	var throttled atomic.Int32
	env.lambda.Override("GetPolicy", func(c awsfake.Call) *awsfake.APIError {
		switch c.Resource {
		case "partner-hook":
			return &awsfake.APIError{Status: http.StatusForbidden, Type: "AccessDeniedException"}
		case "thumbnailer":
			if throttled.Add(1) == 1 {
				return &awsfake.APIError{Status: http.StatusTooManyRequests, Type: "TooManyRequestsException"}
			}
		}
		return nil
	})
	res := env.s.ScanFunctions(context.Background())
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Resource, "partner-hook") {
		t.Fatalf("errors = %v, want one for partner-hook", res.Errors)
	}
	if res.Err() == nil {
		t.Error("Err() is nil for an incomplete scan")
	}
	if throttled.Load() < 2 {
		t.Errorf("throttled GetPolicy was not retried (%d calls)", throttled.Load())
	}
	var checks []string
	for _, f := range res.Findings {
		checks = append(checks, f.Check+" "+f.Resource)
	}
	joined := strings.Join(checks, "\n")
	for _, want := range []string{"LMB001 arn:aws:lambda:us-east-1:012345678901:function:public-webhook", "LMB003 arn:aws:lambda:us-east-1:012345678901:function:thumbnailer"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing finding %q in\n%s", want, joined)
		}
	}
}

// TestLiveScanAccountFailure: when IAM keeps refusing, the account part is
// an error of the result, not a clean scan.
func TestLiveScanAccountFailure(t *testing.T) {
	env := newLiveEnv(t, "testdata/gaad")
	env.iam.SetError("GetAccountAuthorizationDetails", &awsfake.APIError{Status: http.StatusForbidden, Type: "AccessDenied"})
	res := env.s.ScanAccount(context.Background())
	if len(res.Errors) != 1 || res.Errors[0].Operation != "GetAccountAuthorizationDetails" {
		t.Fatalf("errors = %v", res.Errors)
	}
	if res.Functions != 8 {
		t.Errorf("functions judged = %d, want 8 (the Lambda part still runs)", res.Functions)
	}
}

// TestScanRoleTargeted reads one role through the per-role IAM calls.
func TestScanRoleTargeted(t *testing.T) {
	env := newLiveEnv(t, "testdata/gaad")
	res := env.s.ScanRole(context.Background(), "OverprivilegedEC2")
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if res.Roles != 1 || res.Policies != 1 {
		t.Errorf("roles %d policies %d, want 1 and 1", res.Roles, res.Policies)
	}
	// EC2 assumes this role, so only a scan of every role judges it.
	if !strings.HasSuffix(res.Target, ":role/OverprivilegedEC2") || !res.BeyondDefault {
		t.Errorf("target %q, beyond the default scan %v; want the role's ARN and true", res.Target, res.BeyondDefault)
	}
	full := ScanAccountDetails(mustDetails(t), AccountOptions{AllRoles: true, Now: fixedNow})
	want := map[string]bool{}
	for _, f := range full.Findings {
		// IAM009 included: the targeted scan reads the account's
		// principals for it.
		if strings.HasSuffix(f.Resource, ":role/OverprivilegedEC2") {
			want[f.ID] = true
		}
	}
	got := map[string]bool{}
	for _, f := range res.Findings {
		got[f.ID] = true
	}
	if len(want) == 0 || !equalSets(got, want) {
		t.Errorf("targeted scan found %d findings, full scan %d for the same role", len(got), len(want))
	}
	for _, op := range []string{"GetRole", "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies", "GetPolicy", "GetPolicyVersion"} {
		if env.iam.Count(op) == 0 {
			t.Errorf("%s was not called (%s)", op, env.iam.String())
		}
	}
	if bad := env.s.ScanRole(context.Background(), "NoSuchRole"); len(bad.Errors) != 1 {
		t.Errorf("missing role: errors = %v", bad.Errors)
	}
}

func mustDetails(t testing.TB) *AccountDetails {
	t.Helper()
	data, err := os.ReadFile(detailsJSON)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := DecodeAuthorizationDetails(data)
	if err != nil {
		t.Fatal(err)
	}
	return acct
}

// TestWireMatchesCLIJSON: decoding IAM's URL-encoded XML and the CLI's JSON
// of the same account yields the same findings.
func TestWireMatchesCLIJSON(t *testing.T) {
	env := newLiveEnv(t, "testdata/gaad")
	wire, err := env.s.ReadAccount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a := ScanAccountDetails(wire, AccountOptions{AllRoles: true, Now: fixedNow})
	b := ScanAccountDetails(mustDetails(t), AccountOptions{AllRoles: true, Now: fixedNow})
	if len(a.Findings) != len(b.Findings) {
		t.Fatalf("wire %d findings, CLI JSON %d", len(a.Findings), len(b.Findings))
	}
	for i := range a.Findings {
		if a.Findings[i].ID != b.Findings[i].ID {
			t.Errorf("finding %d: %s vs %s", i, a.Findings[i].ID, b.Findings[i].ID)
		}
	}
}

// BenchmarkScanAccountOffline judges the whole example account from the
// decoded JSON, with no HTTP: the engine's own cost.
func BenchmarkScanAccountOffline(b *testing.B) {
	data, err := os.ReadFile(detailsJSON)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		acct, err := DecodeAuthorizationDetails(data)
		if err != nil {
			b.Fatal(err)
		}
		res := ScanAccountDetails(acct, AccountOptions{AllRoles: true, Now: fixedNow})
		if len(res.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
}

// BenchmarkJudgeAccount judges the decoded example account: the checks
// cost alone, without JSON decoding.
func BenchmarkJudgeAccount(b *testing.B) {
	acct := mustDetails(b)
	b.ReportAllocs()
	for b.Loop() {
		if res := ScanAccountDetails(acct, AccountOptions{AllRoles: true, Now: fixedNow}); len(res.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
}

// BenchmarkLiveScanHTTP runs the live scan through the awsfake servers and the real
// SDK clients and reports API calls per GetAccountAuthorizationDetails page.
func BenchmarkLiveScanHTTP(b *testing.B) {
	for _, dir := range []string{"testdata/gaad", "testdata/gaad-5"} {
		b.Run(strings.TrimPrefix(dir, "testdata/"), func(b *testing.B) {
			env := newBenchEnv(b, dir)
			b.ResetTimer()
			for b.Loop() {
				res := env.s.ScanAccount(context.Background())
				if err := res.Err(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runs := float64(b.N)
			b.ReportMetric(float64(env.iam.Total())/runs/float64(env.iam.Pages()), "iam-calls/page")
			b.ReportMetric(float64(env.iam.Total())/runs, "iam-calls/scan")
			b.ReportMetric(float64(env.lambda.Total())/runs, "lambda-calls/scan")
		})
	}
}

func newBenchEnv(b *testing.B, pages string) *liveEnv {
	b.Helper()
	testenv.FakeAWSEnv(b)
	fi, err := awsfake.NewIAM(pages)
	if err != nil {
		b.Fatal(err)
	}
	estate, err := awsfake.LoadLambdaFixture(lambdaJSON)
	if err != nil {
		b.Fatal(err)
	}
	fl := awsfake.NewLambda(estate)
	awsfake.Serve(b, fi, fl).Setenv(b)
	cfg, err := chain.Load(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	return &liveEnv{iam: fi, lambda: fl, s: &Scanner{IAM: iam.NewFromConfig(cfg), Lambda: lambda.NewFromConfig(cfg), AllRoles: true, Now: fixedNow}}
}
