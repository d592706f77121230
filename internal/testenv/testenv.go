package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// missing skips or fails the test for an absent dependency.
func missing(t testing.TB, what string) {
	t.Helper()
	msg := what + " is not available; run the tests with `make test`"
	if os.Getenv("SELFAUDIT_REQUIRE_EMULATORS") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// FauxqsEndpoint is the URL of fauxqs (SQS and S3 on one port).
func FauxqsEndpoint(t testing.TB) string {
	t.Helper()
	return emulatorEndpoint(t, "fauxqs", "SELFAUDIT_FAUXQS_ENDPOINT")
}

// DynaliteEndpoint is the URL of dynalite.
func DynaliteEndpoint(t testing.TB) string {
	t.Helper()
	return emulatorEndpoint(t, "dynalite", "SELFAUDIT_DYNALITE_ENDPOINT")
}

// emulatorEndpoint is the URL of the emulator named what, which
// .ci/emulators.sh publishes in the variable env.
func emulatorEndpoint(t testing.TB, what, env string) string {
	t.Helper()
	u := os.Getenv(env)
	if u == "" {
		missing(t, what+" ("+env+")")
	}
	return u
}

// RIEPath is the path of the aws-lambda-rie binary.
func RIEPath(t testing.TB) string {
	t.Helper()
	p := os.Getenv("SELFAUDIT_RIE")
	if p == "" {
		if root, err := moduleRoot(); err == nil {
			cand := filepath.Join(root, ".tools", "bin", "aws-lambda-rie")
			if _, err := os.Stat(cand); err == nil {
				return cand
			}
		}
		missing(t, "aws-lambda-rie (SELFAUDIT_RIE)")
	}
	return p
}

// FakeAWSEnv sets static credentials and a region so the SDK never looks
// for real ones, and clears any endpoint overrides of the caller's shell.
// It uses t.Setenv, so the test must not be parallel.
func FakeAWSEnv(t testing.TB) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTESTTESTTESTTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_DEFAULT_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// Every fake speaks plain HTTP; a CA bundle from the caller's shell
	// would also stop a test from giving the SDK its own HTTP client.
	t.Setenv("AWS_CA_BUNDLE", "")
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_ENDPOINT_URL") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

// FakeAWSEnvList is FakeAWSEnv as a list for a child process.
func FakeAWSEnvList() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=AKIDTESTTESTTESTTEST",
		"AWS_SECRET_ACCESS_KEY=test-secret",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

func moduleRoot() (string, error) {
	rootOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			rootErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			rootErr = fmt.Errorf("not inside the selfaudit module")
			return
		}
		rootDir = filepath.Dir(gomod)
	})
	return rootDir, rootErr
}

// ModuleRoot is the repository's root folder.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	r, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var (
	buildMu    sync.Mutex
	builtFuncs = map[string]string{}
	buildDir   string
)

// BuildFunction builds ./functions/<name> for this machine with the same
// flags as the Lambda build and returns the bootstrap's path. Builds are
// shared by all tests of one test binary.
func BuildFunction(t testing.TB, name string) string {
	t.Helper()
	return BuildPackage(t, "./functions/"+name, name)
}

// BuildPackage builds any main package of the module (for example a test
// target function) and returns the binary's path.
func BuildPackage(t testing.TB, pkg, name string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := builtFuncs[pkg]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "selfaudit-build-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	out := filepath.Join(buildDir, name, "bootstrap")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", out, pkg)
	cmd.Dir = ModuleRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	builtFuncs[pkg] = out
	return out
}
