package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/internal/awsfake"
)

// RIE is one function running under aws-lambda-rie.
type RIE struct {
	// URL is the emulator's invoke endpoint base, http://127.0.0.1:P.
	URL string
	cmd *exec.Cmd
	mu  sync.Mutex // rie runs one invocation at a time, as one Lambda sandbox does
	log *lockedBuffer
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StartRIE runs bootstrap under aws-lambda-rie on two free loopback ports
// (the emulator's own and the Runtime API's, which would otherwise clash at
// 9001) with env added to a clean environment (fake AWS credentials
// included). The process is stopped when the test ends; its output is
// logged if the test failed.
func StartRIE(t testing.TB, bootstrap string, env ...string) *RIE {
	t.Helper()
	rie := RIEPath(t)
	emuPort, apiPort := FreePort(t), FreePort(t)
	r := &RIE{URL: fmt.Sprintf("http://127.0.0.1:%d", emuPort), log: &lockedBuffer{}}
	r.cmd = exec.Command(rie,
		"--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", emuPort),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", apiPort),
		"--log-level", "error",
		bootstrap)
	r.cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}, FakeAWSEnvList()...), env...)
	r.cmd.Stdout = r.log
	r.cmd.Stderr = r.log
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start aws-lambda-rie: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		_ = r.cmd.Wait()
		if t.Failed() {
			t.Logf("aws-lambda-rie output for %s:\n%s", bootstrap, r.log.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(r.URL + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("aws-lambda-rie did not listen on %s: %v\n%s", r.URL, err, r.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r
}

// Logs is everything the function and the emulator printed so far.
func (r *RIE) Logs() string { return r.log.String() }

// LogsUntil waits up to five seconds for the output to satisfy ok and
// returns it with whether it did. The emulator relays the function's output
// on its own time, so a line written before an invocation returned may
// arrive after it.
func (r *RIE) LogsUntil(ok func(logs string) bool) (string, bool) {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		logs := r.Logs()
		if ok(logs) {
			return logs, true
		}
		if time.Now().After(deadline) {
			return logs, false
		}
	}
}

// Logged reports whether the output shows want within LogsUntil's wait.
func (r *RIE) Logged(want string) bool {
	_, ok := r.LogsUntil(func(logs string) bool { return strings.Contains(logs, want) })
	return ok
}

// Invocation is the outcome of one invoke through the emulator.
type Invocation struct {
	Status  int
	Payload []byte
	// FunctionError is "Unhandled" when the function returned an error or
	// panicked, as Lambda reports it in X-Amz-Function-Error.
	FunctionError string
}

// Invoke posts payload as a synchronous invocation and waits for the result.
func (r *RIE) Invoke(ctx context.Context, payload []byte) (Invocation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL+"/2015-03-31/functions/function/invocations", bytes.NewReader(payload))
	if err != nil {
		return Invocation{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Invocation{}, fmt.Errorf("invoke through aws-lambda-rie: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Invocation{}, err
	}
	inv := Invocation{Status: resp.StatusCode, Payload: body}
	if resp.StatusCode >= 500 || isErrorPayload(body) {
		inv.FunctionError = "Unhandled"
	}
	return inv, nil
}

// Succeed invokes the function with payload and fails the test, with the
// function's output, unless the invocation succeeded; what names the
// invocation in the message. It returns the function's response.
func (r *RIE) Succeed(t testing.TB, ctx context.Context, payload []byte, what string) []byte {
	t.Helper()
	inv, err := r.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if inv.FunctionError != "" {
		t.Fatalf("%s failed: %s\n%s", what, inv.Payload, r.Logs())
	}
	return inv.Payload
}

// isErrorPayload recognises the error object the Go runtime reports for a
// returned error or a panic: {"errorMessage": ..., "errorType": ...}.
func isErrorPayload(b []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	_, hasMsg := m["errorMessage"]
	_, hasType := m["errorType"]
	return hasMsg && hasType
}

// Invoker runs the invocations of the Lambda fake on functions under
// aws-lambda-rie, by function name (the last part of an ARN, without
// qualifier): unknown names answer ResourceNotFoundException, a DryRun
// only checks the name, and a failure to reach the emulator is a 502
// ServiceException, as a Lambda service error would be.
func Invoker(fns map[string]*RIE) func(context.Context, awsfake.InvokeRequest) awsfake.InvokeResult {
	return func(ctx context.Context, req awsfake.InvokeRequest) awsfake.InvokeResult {
		fn := fns[req.Function]
		if fn == nil {
			return awsfake.InvokeResult{Err: awsfake.FunctionNotFound(req.Function)}
		}
		if req.InvocationType == "DryRun" {
			return awsfake.InvokeResult{}
		}
		inv, err := fn.Invoke(ctx, req.Payload)
		if err != nil {
			return awsfake.InvokeResult{Err: err}
		}
		return awsfake.InvokeResult{Payload: inv.Payload, FunctionError: inv.FunctionError}
	}
}
