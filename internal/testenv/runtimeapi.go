package testenv

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TracedInvocation is the outcome of InvokeOnceTraced.
type TracedInvocation struct {
	Payload []byte
	// Error is true when the function reported an invocation error.
	Error bool
	Logs  string
}

// InvokeOnceTraced runs bin as Lambda would for one invocation carrying
// traceHeader in Lambda-Runtime-Trace-Id, through a minimal Runtime API of
// its own. aws-lambda-rie cannot be used for this: it never passes a trace
// header to the function. Everything else (the binary, the SDK clients,
// the environment) is as under aws-lambda-rie.
func InvokeOnceTraced(t testing.TB, bin string, env []string, event []byte, traceHeader string, timeout time.Duration) TracedInvocation {
	t.Helper()
	type outcome struct {
		body    []byte
		isError bool
	}
	done := make(chan outcome, 1)
	served := make(chan struct{}, 1)
	const reqID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case served <- struct{}{}:
		default:
			<-r.Context().Done() // one invocation only
			return
		}
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", reqID)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(timeout).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:traced")
		h.Set("Lambda-Runtime-Trace-Id", traceHeader)
		_, _ = w.Write(event)
	})
	finish := func(isError bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.WriteHeader(http.StatusAccepted)
			done <- outcome{b, isError}
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", finish(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", finish(true))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	var logs lockedBuffer
	cmd := exec.Command(bin)
	cmd.Env = append(append(FakeAWSEnvList(),
		"AWS_LAMBDA_RUNTIME_API="+l.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=traced",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"HOME="+os.TempDir(),
	), env...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case o := <-done:
		return TracedInvocation{Payload: o.body, Error: o.isError, Logs: logs.String()}
	case <-time.After(timeout + 30*time.Second):
		t.Fatalf("%s did not answer within %s\n%s", bin, timeout, logs.String())
	}
	return TracedInvocation{}
}
