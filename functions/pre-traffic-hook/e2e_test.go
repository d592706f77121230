package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/hook"
)

// e2e is the built hook under aws-lambda-rie, talking to CodeDeploy and
// EventBridge fakes and to the Lambda fake, which serves control-plane
// calls from its estate and routes invocations to the hello function
// running under a second aws-lambda-rie.
type e2e struct {
	cd  *awsfake.CodeDeploy
	lam *awsfake.Lambda
	bus *awsfake.EventBridge
	env []string
}

// deployment registers a deployment shifting fn's alias to version 2.
func (e *e2e) deployment(id, fn string, inline bool) {
	e.cd.Deployments[id] = awsfake.Deployment{Application: "selfaudit", Inline: inline, AppSpec: fmt.Sprintf(
		`{"version":0.0,"Resources":[{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"Name":"arn:aws:lambda:us-east-1:123456789012:function:%s","Alias":"live","CurrentVersion":"1","TargetVersion":"2"}}}]}`, fn)}
}

func newE2E(t testing.TB) *e2e {
	t.Helper()
	testenv.FakeAWSEnv(t)
	hello := testenv.StartRIE(t, testenv.BuildPackage(t, "./internal/testenv/testdata/hello", "hello"), "AWS_LAMBDA_FUNCTION_TIMEOUT=10")
	e := &e2e{cd: awsfake.NewCodeDeploy(), lam: awsfake.NewLambda(nil), bus: awsfake.NewEventBridge()}
	// Three functions, one real binary: the smoke events and the
	// configurations differ, the code under test does not.
	e.lam.Invoke = testenv.Invoker(map[string]*testenv.RIE{"hello": hello, "hello-failing": hello, "hello-secret": hello})
	e.lam.Put(awsfake.HealthyFunction("hello", "2"))
	e.lam.Put(awsfake.HealthyFunction("hello-failing", "2"))
	secret := awsfake.HealthyFunction("hello-secret", "2")
	secret.Env = map[string]string{"LOG_LEVEL": "info", "API_KEY": "sk-literal-1234"}
	e.lam.Put(secret)
	servers := awsfake.Serve(t, e.cd, e.lam, e.bus)
	smokeDir, err := filepath.Abs(filepath.Join("testdata", "smoke-e2e"))
	if err != nil {
		t.Fatal(err)
	}
	e.env = append(servers.Env(),
		"FINDINGS_BUS_NAME=selfaudit-findings",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"SELFAUDIT_TRACING=off",
		"HOOK_SMOKE_FILE="+filepath.Join(smokeDir, "{function}.json"),
	)
	return e
}

func (e *e2e) startHook(t testing.TB, extraEnv ...string) *testenv.RIE {
	t.Helper()
	return testenv.StartRIE(t, testenv.BuildFunction(t, "pre-traffic-hook"), append(slices.Clone(e.env), extraEnv...)...)
}

func invokeHook(t testing.TB, r *testenv.RIE, deployment, execution string) (testenv.Invocation, hook.Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ev, _ := json.Marshal(hook.Event{DeploymentID: deployment, LifecycleEventHookExecutionID: execution})
	inv, err := r.Invoke(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	var res hook.Result
	_ = json.Unmarshal(inv.Payload, &res)
	return inv, res
}

func TestEndToEnd(t *testing.T) {
	e := newE2E(t)
	e.deployment("d-HEALTHY01", "hello", false)
	e.deployment("d-FAILING01", "hello-failing", true)
	e.deployment("d-SECRET001", "hello-secret", true)
	e.deployment("d-PANIC0001", "hello", true)
	// d-MISSING01 is unknown: GetDeployment answers DeploymentDoesNotExistException.
	e.cd.Deployments["d-DENIED001"] = awsfake.Deployment{Application: "selfaudit", AppSpec: "x"}

	h := e.startHook(t)
	panicking := e.startHook(t, hook.EnvTestPanic+"=HOOK001")

	tests := map[string]struct {
		rie          *testenv.RIE
		deployment   string
		setup        func(t *testing.T)
		wantStatus   string
		wantFindings []string
	}{
		"healthy version":       {rie: h, deployment: "d-HEALTHY01", wantStatus: "Succeeded", wantFindings: []string{"HOOK000"}},
		"failing version":       {rie: h, deployment: "d-FAILING01", wantStatus: "Failed", wantFindings: []string{"HOOK010"}},
		"secret in environment": {rie: h, deployment: "d-SECRET001", wantStatus: "Failed", wantFindings: []string{"HOOK005"}},
		"deployment not found":  {rie: h, deployment: "d-MISSING01", wantStatus: "Failed", wantFindings: []string{"HOOK090"}},
		"CodeDeploy denies the revision read": {rie: h, deployment: "d-DENIED001", wantStatus: "Failed", wantFindings: []string{"HOOK090"},
			setup: func(t *testing.T) {
				e.cd.SetError("GetApplicationRevision", &awsfake.APIError{Status: 400, Type: "AccessDeniedException"})
				t.Cleanup(func() { e.cd.SetError("GetApplicationRevision", nil) })
			}},
		"panic injected in a check": {rie: panicking, deployment: "d-PANIC0001", wantStatus: "Failed", wantFindings: []string{"HOOK092"}},
	}
	names := make([]string, 0, len(tests))
	for n := range tests {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		tc := tests[name]
		t.Run(name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup(t)
			}
			inv, res := invokeHook(t, tc.rie, tc.deployment, "exec-"+tc.deployment)
			if inv.FunctionError != "" {
				t.Fatalf("hook invocation failed: %s", inv.Payload)
			}
			if res.Status != tc.wantStatus || !res.Reported {
				t.Errorf("result %s (reported %v), want %s; reasons %v", res.Status, res.Reported, tc.wantStatus, res.Reasons)
			}
			var puts []awsfake.PutCall
			for _, p := range e.cd.Puts() {
				if p.DeploymentID == tc.deployment {
					puts = append(puts, p)
				}
			}
			if len(puts) != 1 || puts[0].Status != tc.wantStatus || puts[0].ExecutionID != "exec-"+tc.deployment {
				t.Fatalf("reports for %s = %+v, want exactly one %s", tc.deployment, puts, tc.wantStatus)
			}
			var got []string
			for _, d := range e.bus.Details() {
				if ev, _ := d["evidence"].(map[string]any); ev["deploymentId"] == tc.deployment {
					got = append(got, fmt.Sprint(d["check"]))
					if strings.Contains(fmt.Sprint(d), "sk-literal-1234") {
						t.Errorf("finding carries the secret: %v", d)
					}
				}
			}
			for _, id := range tc.wantFindings {
				if !slices.Contains(got, id) {
					t.Errorf("findings %v lack %s", got, id)
				}
			}
		})
	}

	// The target really ran, at the target version.
	for _, c := range e.lam.Invocations() {
		if c.Qualifier != "2" {
			t.Errorf("invocation of %s used qualifier %q, want the target version 2", c.Function, c.Qualifier)
		}
	}
}

// BenchmarkEndToEndOverhead invokes the built hook under aws-lambda-rie
// with the smoke checks off: everything the hook adds to a deployment
// except the target's own run time (event decoding, the CodeDeploy and
// Lambda calls, the checks, the report and the findings), measured from
// outside as CodeDeploy would see it.
func BenchmarkEndToEndOverhead(b *testing.B) {
	e := newE2E(b)
	e.deployment("d-BENCH0001", "hello", true)
	r := e.startHook(b, "HOOK_DISABLED_CHECKS=smoke", "LOG_LEVEL=warn")
	invokeHook(b, r, "d-BENCH0001", "warm-up") // cold start is not overhead per deployment
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inv, res := invokeHook(b, r, "d-BENCH0001", fmt.Sprint("exec-", i))
		if inv.FunctionError != "" || res.Status != "Succeeded" {
			b.Fatalf("%s %s", res.Status, inv.Payload)
		}
	}
}

// TestMisconfiguredUnderRIE: without a findings bus the hook starts, fails
// every invocation naming the variable and logs it once, like every
// function; unlike the others it still tells CodeDeploy the deployment
// Failed, so CodeDeploy does not wait an hour for a verdict.
func TestMisconfiguredUnderRIE(t *testing.T) {
	e := newE2E(t)
	e.deployment("d-MISCONF01", "hello", true)
	var env []string
	for _, kv := range e.env {
		if !strings.HasPrefix(kv, "FINDINGS_BUS_NAME=") {
			env = append(env, kv)
		}
	}
	testenv.CheckMisconfigured(t, testenv.BuildFunction(t, "pre-traffic-hook"), env,
		`{"DeploymentId":"d-MISCONF01","LifecycleEventHookExecutionId":"exec-misconfigured"}`, "FINDINGS_BUS_NAME")
	puts := e.cd.Accepted()
	if len(puts) != 1 || puts[0].DeploymentID != "d-MISCONF01" || puts[0].Status != "Failed" {
		t.Errorf("CodeDeploy status reports %+v, want one Failed for d-MISCONF01", puts)
	}
}
