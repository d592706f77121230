package hook

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
)

const (
	testDeployment = "d-TEST00001"
	testExecution  = "exec-1"
)

// wireEnv is a hook whose SDK clients talk to the awsfake servers.
type wireEnv struct {
	cd     *awsfake.CodeDeploy
	lam    *awsfake.Lambda
	bus    *awsfake.EventBridge
	ssm    *awsfake.SSM
	hook   *Hook
	invoke func(name, q string, payload []byte) awsfake.InvokeResult
}

// appSpecFor is the AppSpec of a deployment that shifts fn's alias live
// from version 1 to 2.
func appSpecFor(fn string) string {
	return fmt.Sprintf("version: 0.0\nResources:\n  - Fn:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: %s\n        Alias: live\n        CurrentVersion: 1\n        TargetVersion: 2\n", fn)
}

// newWireEnv starts the fakes, points the real SDK clients at them and
// registers one healthy deployment of function "target". It uses
// t.Setenv, so its tests are not parallel.
func newWireEnv(t testing.TB) *wireEnv {
	t.Helper()
	testenv.FakeAWSEnv(t)
	e := &wireEnv{cd: awsfake.NewCodeDeploy(), lam: awsfake.NewLambda(nil), bus: awsfake.NewEventBridge(), ssm: awsfake.NewSSM()}
	e.lam.Invoke = func(_ context.Context, req awsfake.InvokeRequest) awsfake.InvokeResult {
		if e.invoke != nil {
			return e.invoke(req.Function, req.Qualifier, req.Payload)
		}
		return awsfake.InvokeResult{Payload: req.Payload}
	}
	awsfake.Serve(t, e.cd, e.lam, e.bus, e.ssm).Setenv(t)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryMaxAttempts(2))
	if err != nil {
		t.Fatal(err)
	}
	e.cd.Deployments[testDeployment] = awsfake.Deployment{Application: "app", AppSpec: appSpecFor("target"), Inline: true}
	e.lam.Put(awsfake.HealthyFunction("target", "2"))
	e.hook = &Hook{
		CodeDeploy: codedeploy.NewFromConfig(cfg),
		Lambda:     lambda.NewFromConfig(cfg),
		SSM:        ssm.NewFromConfig(cfg),
		Publisher:  &findings.EventBridgePublisher{Client: eventbridge.NewFromConfig(cfg), BusName: "findings", BaseDelay: time.Millisecond},
		ReadFile:   func(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) },
		Config:     DefaultConfig(),
	}
	e.hook.Config.ReportMargin = 300 * time.Millisecond
	return e
}

func (e *wireEnv) run(t testing.TB, timeout time.Duration) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return e.hook.Handle(ctx, Event{DeploymentID: testDeployment, LifecycleEventHookExecutionID: testExecution})
}

func findingChecks(e *wireEnv) []string {
	var out []string
	for _, d := range e.bus.Details() {
		out = append(out, fmt.Sprint(d["check"]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestHookOverTheWire(t *testing.T) {
	tests := map[string]struct {
		setup        func(e *wireEnv)
		timeout      time.Duration
		wantStatus   string
		wantFindings []string // check IDs that must be on the bus
		wantErr      bool
		wantPuts     int // attempts, when more than one
	}{
		"healthy version, inline AppSpec": {wantStatus: "Succeeded", wantFindings: []string{"HOOK000"}},
		"healthy version, AppSpec from GetApplicationRevision": {
			setup: func(e *wireEnv) {
				d := e.cd.Deployments[testDeployment]
				d.Inline = false
				e.cd.Deployments[testDeployment] = d
			},
			wantStatus: "Succeeded", wantFindings: []string{"HOOK000"},
		},
		"healthy version, legacy String revision": {
			setup: func(e *wireEnv) {
				d := e.cd.Deployments[testDeployment]
				d.LegacyString = true
				e.cd.Deployments[testDeployment] = d
			},
			wantStatus: "Succeeded",
		},
		"smoke cases from a file, all pass": {
			setup:      func(e *wireEnv) { e.hook.Config.SmokeFile = "smoke/cases.json" },
			wantStatus: "Succeeded",
		},
		"smoke cases from SSM per function": {
			setup: func(e *wireEnv) {
				e.hook.Config.SmokeParameter = "/hook/smoke/{function}"
				e.ssm.Put("/hook/smoke/target", `[{"name":"must-fail","event":{"fail":true}}]`)
				e.invoke = func(_, _ string, p []byte) awsfake.InvokeResult {
					if strings.Contains(string(p), "fail") {
						return awsfake.InvokeResult{Payload: []byte(`{"errorMessage":"asked to fail","errorType":"errorString"}`), FunctionError: "Unhandled"}
					}
					return awsfake.InvokeResult{Payload: p}
				}
			},
			wantStatus: "Failed", wantFindings: []string{"HOOK010"},
		},
		"SSM per-function parameter missing falls back to {}": {
			setup:      func(e *wireEnv) { e.hook.Config.SmokeParameter = "/hook/smoke/{function}" },
			wantStatus: "Succeeded",
		},
		"fixed SSM parameter missing fails": {
			setup:      func(e *wireEnv) { e.hook.Config.SmokeParameter = "/hook/smoke/all" },
			wantStatus: "Failed", wantFindings: []string{"HOOK091"},
		},
		"function error": {
			setup: func(e *wireEnv) {
				e.invoke = func(string, string, []byte) awsfake.InvokeResult {
					return awsfake.InvokeResult{Payload: []byte(`{"errorMessage":"boom","errorType":"errorString"}`), FunctionError: "Unhandled"}
				}
			},
			wantStatus: "Failed", wantFindings: []string{"HOOK010"},
		},
		"response lacks the expected fragment": {
			setup: func(e *wireEnv) {
				e.hook.Config.SmokeFile = "smoke/cases.json"
				e.invoke = func(string, string, []byte) awsfake.InvokeResult {
					return awsfake.InvokeResult{Payload: []byte(`{"other":1}`)}
				}
			},
			wantStatus: "Failed", wantFindings: []string{"HOOK012"},
		},
		"latency budget exceeded": {
			setup: func(e *wireEnv) {
				e.hook.Config.LatencyShare = 0.05 // 500ms of the 10s timeout
				e.invoke = func(string, string, []byte) awsfake.InvokeResult {
					return awsfake.InvokeResult{Payload: []byte(`{}`), Delay: 900 * time.Millisecond}
				}
			},
			wantStatus: "Failed", wantFindings: []string{"HOOK011"},
		},
		"secret in the environment": {
			setup: func(e *wireEnv) {
				f := awsfake.HealthyFunction("target", "2")
				f.Env = map[string]string{"DB_PASSWORD": "hunter2", "LOG_LEVEL": "info"}
				e.lam.Put(f)
			},
			wantStatus: "Failed", wantFindings: []string{"HOOK005"},
		},
		"several configuration problems": {
			setup: func(e *wireEnv) {
				f := awsfake.HealthyFunction("target", "2")
				f.Tracing = "PassThrough"
				f.Arch = "x86_64"
				f.Runtime = "nodejs22.x"
				f.TimeoutS = 900
				f.MemoryMB = 10240
				f.Env = map[string]string{AsyncMarkerVariable: "true"}
				e.lam.Put(f)
			},
			wantStatus: "Failed", wantFindings: []string{"HOOK001", "HOOK002", "HOOK003", "HOOK004", "HOOK006", "HOOK007"},
		},
		"deployment does not exist": {
			setup:      func(e *wireEnv) { delete(e.cd.Deployments, testDeployment) },
			wantStatus: "Failed", wantFindings: []string{"HOOK090"},
		},
		"GetDeployment access denied": {
			setup: func(e *wireEnv) {
				e.cd.SetError("GetDeployment", &awsfake.APIError{Status: 400, Type: "AccessDeniedException"})
			},
			wantStatus: "Failed", wantFindings: []string{"HOOK090"},
		},
		"malformed AppSpec": {
			setup: func(e *wireEnv) {
				e.cd.Deployments[testDeployment] = awsfake.Deployment{Application: "app", AppSpec: "Resources: [unclosed", Inline: true}
			},
			wantStatus: "Failed", wantFindings: []string{"HOOK090"},
		},
		"GetFunctionConfiguration keeps failing": {
			setup: func(e *wireEnv) {
				e.lam.SetError("GetFunctionConfiguration", &awsfake.APIError{Status: 500, Type: "ServiceException"})
			},
			wantStatus: "Failed", wantFindings: []string{"HOOK091"},
		},
		"panic injected in a check": {
			setup:      func(e *wireEnv) { e.hook.Config.PanicIn = CheckSecrets.ID },
			wantStatus: "Failed", wantFindings: []string{"HOOK092"},
		},
		"invalid hook configuration": {
			setup:      func(e *wireEnv) { e.hook.ConfigErr = fmt.Errorf("HOOK_LATENCY_SHARE: %q is not a number", "x") },
			wantStatus: "Failed", wantFindings: []string{"HOOK094"},
		},
		"time runs out": {
			setup: func(e *wireEnv) {
				e.cd.SetDelay("GetDeployment", 5*time.Second)
				e.hook.Config.ReportMargin = time.Second
			},
			timeout:    2 * time.Second,
			wantStatus: "Failed", wantFindings: []string{"HOOK093"},
		},
		"transient report errors are retried": {
			setup: func(e *wireEnv) {
				e.cd.SetError("PutLifecycleEventHookExecutionStatus", &awsfake.APIError{Status: 503, Type: "ServiceUnavailable", Times: 3})
			},
			wantStatus: "Succeeded", wantPuts: 4,
		},
		"already completed counts as reported": {
			setup: func(e *wireEnv) {
				e.cd.SetError("PutLifecycleEventHookExecutionStatus", &awsfake.APIError{Status: 400, Type: "LifecycleEventAlreadyCompletedException"})
			},
			wantStatus: "Succeeded", wantPuts: 1,
		},
		"permanent report error fails the invocation": {
			setup: func(e *wireEnv) {
				e.cd.SetError("PutLifecycleEventHookExecutionStatus", &awsfake.APIError{Status: 400, Type: "InvalidLifecycleEventHookExecutionIdException"})
			},
			wantStatus: "Succeeded", wantErr: true, wantPuts: 1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newWireEnv(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 20 * time.Second
			}
			start := time.Now()
			res, err := e.run(t, timeout)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Handle error = %v, wantErr %v", err, tc.wantErr)
			}
			if time.Since(start) > timeout {
				t.Errorf("Handle took %s, past the %s deadline", time.Since(start), timeout)
			}
			if res.Status != tc.wantStatus {
				t.Errorf("status = %s, want %s; checks %+v", res.Status, tc.wantStatus, res.Checks)
			}
			puts := e.cd.Puts()
			wantPuts := max(tc.wantPuts, 1)
			if len(puts) != wantPuts {
				t.Fatalf("PutLifecycleEventHookExecutionStatus called %d times, want %d: %+v", len(puts), wantPuts, puts)
			}
			for _, p := range puts {
				if p.Status != tc.wantStatus || p.DeploymentID != testDeployment || p.ExecutionID != testExecution {
					t.Errorf("report %+v, want %s for %s/%s", p, tc.wantStatus, testDeployment, testExecution)
				}
			}
			if !tc.wantErr && !strings.Contains(name, "already completed") && len(e.cd.Accepted()) != 1 {
				t.Errorf("%d reports accepted, want exactly 1", len(e.cd.Accepted()))
			}
			got := findingChecks(e)
			for _, id := range tc.wantFindings {
				if !slices.Contains(got, id) {
					t.Errorf("findings on the bus %v lack %s; reasons %v", got, id, res.Reasons)
				}
			}
			if tc.wantStatus == "Failed" && (len(res.Reasons) == 0 || slices.Contains(got, "HOOK000")) {
				t.Errorf("failed verdict with reasons %v and findings %v", res.Reasons, got)
			}
			for _, d := range e.bus.Details() {
				if strings.Contains(fmt.Sprint(d), "hunter2") {
					t.Errorf("a finding carries the secret value: %v", d)
				}
			}
		})
	}
}

func TestHookUsesTargetVersion(t *testing.T) {
	e := newWireEnv(t)
	var mu sync.Mutex
	var qualifiers []string
	e.invoke = func(name, q string, p []byte) awsfake.InvokeResult {
		mu.Lock()
		defer mu.Unlock()
		qualifiers = append(qualifiers, name+":"+q)
		return awsfake.InvokeResult{Payload: p}
	}
	if _, err := e.run(t, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(qualifiers, []string{"target:2"}) {
		t.Errorf("invocations = %v, want [target:2]", qualifiers)
	}
}

// TestHandleConcurrent runs several events at once through one Hook: the
// engine keeps no per-invocation state outside Handle.
func TestHandleConcurrent(t *testing.T) {
	e := newWireEnv(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := e.hook.Handle(ctx, Event{DeploymentID: testDeployment, LifecycleEventHookExecutionID: fmt.Sprint("exec-", i)})
			if err != nil || res.Status != "Succeeded" {
				t.Errorf("run %d: %s, %v", i, res.Status, err)
			}
		}()
	}
	wg.Wait()
	if n := len(e.cd.Accepted()); n != 4 {
		t.Errorf("%d reports, want 4", n)
	}
}

// loseFirstReport lets the first PutLifecycleEventHookExecutionStatus
// reach CodeDeploy and then fails it as a connection reset would, so the
// hook never reads the answer.
type loseFirstReport struct {
	next http.RoundTripper
	mu   sync.Mutex
	lost bool
}

func (l *loseFirstReport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err != nil || r.Header.Get("X-Amz-Target") != "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus" {
		return resp, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost {
		return resp, nil
	}
	l.lost = true
	_ = resp.Body.Close()
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
}

// TestReportAnswerLost: CodeDeploy took the report but its answer was lost.
// The SDK sends it again, CodeDeploy says the event is already completed,
// and the hook counts that as reported rather than failing the deployment.
func TestReportAnswerLost(t *testing.T) {
	e := newWireEnv(t)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryMaxAttempts(2),
		config.WithHTTPClient(&http.Client{Transport: &loseFirstReport{next: http.DefaultTransport}}))
	if err != nil {
		t.Fatal(err)
	}
	e.hook.CodeDeploy = codedeploy.NewFromConfig(cfg)
	res, err := e.run(t, 20*time.Second)
	if err != nil || res.Status != "Succeeded" || !res.Reported {
		t.Fatalf("Handle = %s (reported %v), %v; reasons %v", res.Status, res.Reported, err, res.Reasons)
	}
	if puts, acc := e.cd.Puts(), e.cd.Accepted(); len(puts) != 1 || len(acc) != 1 || e.cd.Repeats() != 1 {
		t.Errorf("reports %+v, accepted %d, repeats %d; want one report, accepted, and one SDK retry answered already-completed", puts, len(acc), e.cd.Repeats())
	}
}
