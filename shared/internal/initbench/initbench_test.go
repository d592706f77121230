// Package initbench measures what a cold start costs each function before it
// can take its first event: the time from process start to the first poll
// of the Lambda Runtime API, against the smallest aws-lambda-go function
// built the same way, and the size of each linux/arm64 bootstrap.
package initbench

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/stackcheck"
)

// MaxBootstrapBytes is the size budget of one arm64 bootstrap.
const MaxBootstrapBytes = 12 << 20

// functionNames lists the function folders present in the repository.
func functionNames(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(testenv.ModuleRoot(t), "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(testenv.ModuleRoot(t), "functions", e.Name(), "main.go")); err == nil {
			names = append(names, e.Name())
		}
	}
	return names
}

// runtimeAPI is a minimal Runtime API that signals the first poll for the
// next invocation and never answers it.
type runtimeAPI struct {
	addr   string
	polled chan struct{}
	srv    *http.Server
}

func startRuntimeAPI(b testing.TB) *runtimeAPI {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	r := &runtimeAPI{addr: l.Addr().String(), polled: make(chan struct{}, 1)}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/2018-06-01/runtime/invocation/next" {
			select {
			case r.polled <- struct{}{}:
			default:
			}
			<-req.Context().Done()
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})}
	go func() { _ = r.srv.Serve(l) }()
	b.Cleanup(func() { _ = r.srv.Close() })
	return r
}

// globalEnv returns the literal variables template.yaml gives every
// function (Globals), so that each binary starts as deployed; values that
// are intrinsics (!Ref ...) are left out.
func globalEnv(t testing.TB) []string {
	t.Helper()
	tmpl, err := stackcheck.Load(filepath.Join(testenv.ModuleRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var node any = tmpl.Root
	for _, key := range []string{"Globals", "Function", "Environment", "Variables"} {
		m, _ := node.(map[string]any)
		node = m[key]
	}
	vars, _ := node.(map[string]any)
	var env []string
	for k, v := range vars {
		if s, ok := v.(string); ok {
			env = append(env, k+"="+s)
		}
	}
	sort.Strings(env)
	return env
}

func TestGlobalEnv(t *testing.T) {
	env := strings.Join(globalEnv(t), " ")
	if !strings.Contains(env, "GOGC=off") || strings.Contains(env, "FINDINGS_BUS_NAME") {
		t.Errorf("global environment from template.yaml = %q", env)
	}
}

// coldStart runs bin once and returns the time until its first poll.
func coldStart(b testing.TB, bin string, api *runtimeAPI, env []string) time.Duration {
	b.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(testenv.FakeAWSEnvList(),
		"AWS_LAMBDA_RUNTIME_API="+api.addr,
		"AWS_LAMBDA_FUNCTION_NAME=initbench",
		"AWS_LAMBDA_FUNCTION_VERSION=1",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_LOG_LEVEL=ERROR",
		"SELFAUDIT_TRACING=xray",
		"FINDINGS_BUS_NAME=initbench",
		"HOME="+os.TempDir(),
	)
	cmd.Env = append(cmd.Env, env...)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case <-api.polled:
		return time.Since(start)
	case <-time.After(10 * time.Second):
		b.Fatalf("%s did not poll the Runtime API within 10s", bin)
	}
	return 0
}

// BenchmarkInit reports each function's time to first poll, after the two
// baselines the README's ratios divide by: hello (aws-lambda-go alone) and
// sdkfloor-<function> (aws-lambda-go plus the SDK configuration and the
// service clients the function uses, without any selfaudit code).
func BenchmarkInit(b *testing.B) {
	env := globalEnv(b)
	targets := map[string]string{"hello": testenv.BuildPackage(b, "./internal/testenv/testdata/hello", "hello")}
	order := []string{"hello"}
	for _, name := range functionNames(b) {
		floor := "sdkfloor-" + name
		targets[floor] = testenv.BuildPackage(b, "./shared/internal/initbench/testdata/sdkfloor/"+name, floor)
		targets[name] = testenv.BuildFunction(b, name)
		order = append(order, floor, name)
	}
	for _, name := range order {
		bin := targets[name]
		b.Run(name, func(b *testing.B) {
			api := startRuntimeAPI(b)
			var total time.Duration
			for b.Loop() {
				total += coldStart(b, bin, api, env)
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/init")
		})
	}
}

// TestSDKFloorsMatch: each SDK floor program links exactly the AWS service
// packages its function links, so the comparison stays fair as the
// functions change.
func TestSDKFloorsMatch(t *testing.T) {
	for _, name := range functionNames(t) {
		t.Run(name, func(t *testing.T) {
			fn := servicePackages(t, "./functions/"+name)
			floor := servicePackages(t, "./shared/internal/initbench/testdata/sdkfloor/"+name)
			if fn != floor {
				t.Errorf("function links %s, its SDK floor %s", fn, floor)
			}
		})
	}
}

// servicePackages lists the aws-sdk-go-v2 service packages pkg links.
func servicePackages(t *testing.T, pkg string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg)
	cmd.Dir = testenv.ModuleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	const prefix = "github.com/aws/aws-sdk-go-v2/service/"
	var svcs []string
	for _, p := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(p, prefix); ok && !strings.Contains(rest, "/") {
			svcs = append(svcs, rest)
		}
	}
	sort.Strings(svcs)
	return strings.Join(svcs, " ")
}

// TestBootstrapSize builds each function as Lambda runs it (linux/arm64,
// stripped) and holds it to the size budget; smaller packages upload and
// unpack faster on a cold start.
func TestBootstrapSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function for linux/arm64")
	}
	dir := t.TempDir()
	for _, name := range functionNames(t) {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(dir, name)
			cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", out, "./functions/"+name)
			cmd.Dir = testenv.ModuleRoot(t)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, b)
			}
			st, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %.1f MB (budget %.0f MB)", name, float64(st.Size())/(1<<20), float64(MaxBootstrapBytes)/(1<<20))
			if st.Size() > MaxBootstrapBytes {
				t.Errorf("%s bootstrap is %d bytes, budget %d", name, st.Size(), MaxBootstrapBytes)
			}
		})
	}
}
