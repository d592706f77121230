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

// LambdaFront is an httptest-style handler speaking the Lambda Invoke REST
// API (POST /2015-03-31/functions/{name}/invocations) in front of functions
// under aws-lambda-rie, so the real SDK Lambda client can invoke them. It
// adds X-Amz-Function-Error as real Lambda does, answers 202 to Event
// invocations and runs them in order, and records every call.
type LambdaFront struct {
	// Functions maps a function name (the last part of an ARN, without
	// qualifier) to its emulator.
	Functions map[string]*RIE
	// Fallback serves every other route (control-plane calls); nil
	// answers 404 with a Lambda-style error.
	Fallback http.Handler

	mu    sync.Mutex
	calls []FrontCall
	wg    sync.WaitGroup
}

// FrontCall is one invoke the front received.
type FrontCall struct {
	Function       string
	Qualifier      string
	InvocationType string
	Payload        []byte
	Result         Invocation
	Err            error
	// Retry marks an SDK retry (IsSDKRetry): the caller asked once, and
	// an answer it never read made the SDK send the call again.
	Retry bool
}

// Calls returns the invocations received so far, after waiting for queued
// Event invocations to finish.
func (f *LambdaFront) Calls() []FrontCall {
	f.wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FrontCall(nil), f.calls...)
}

func (f *LambdaFront) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	const prefix = "/2015-03-31/functions/"
	path := req.URL.EscapedPath()
	if req.Method != http.MethodPost || !strings.HasPrefix(path, prefix) || !strings.HasSuffix(path, "/invocations") {
		if f.Fallback != nil {
			f.Fallback.ServeHTTP(w, req)
			return
		}
		writeLambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "no such route in the test server: "+req.Method+" "+path)
		return
	}
	name := strings.TrimSuffix(strings.TrimPrefix(path, prefix), "/invocations")
	name = unescape(name)
	qualifier := req.URL.Query().Get("Qualifier")
	if i := strings.LastIndex(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	if n, q, ok := strings.Cut(name, ":"); ok {
		name, qualifier = n, q
	}
	fn := f.Functions[name]
	if fn == nil {
		writeLambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	payload, err := io.ReadAll(req.Body)
	if err != nil {
		writeLambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	typ := req.Header.Get("X-Amz-Invocation-Type")
	if typ == "" {
		typ = "RequestResponse"
	}
	call := FrontCall{Function: name, Qualifier: qualifier, InvocationType: typ, Payload: payload, Retry: IsSDKRetry(req)}
	switch typ {
	case "DryRun":
		f.record(call)
		w.WriteHeader(http.StatusNoContent)
	case "Event":
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			call.Result, call.Err = fn.Invoke(context.Background(), payload)
			f.record(call)
		}()
		w.WriteHeader(http.StatusAccepted)
	case "RequestResponse":
		call.Result, call.Err = fn.Invoke(req.Context(), payload)
		f.record(call)
		if call.Err != nil {
			writeLambdaError(w, http.StatusBadGateway, "ServiceException", call.Err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Executed-Version", orDefault(qualifier, "$LATEST"))
		if call.Result.FunctionError != "" {
			w.Header().Set("X-Amz-Function-Error", call.Result.FunctionError)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(call.Result.Payload)
	default:
		writeLambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", "unknown invocation type "+typ)
	}
}

func (f *LambdaFront) record(c FrontCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func unescape(s string) string {
	r := strings.NewReplacer("%3A", ":", "%3a", ":", "%24", "$")
	return r.Replace(s)
}

// writeLambdaError answers in the Lambda REST API's error format.
func writeLambdaError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}
