package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/hook"
	"github.com/selfaudit/selfaudit/shared/lambdamain"
)

func TestBundledSmokeFile(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		name    string
		wantErr bool
	}{
		"relative path":     {name: "smoke/default.json"},
		"dot-relative path": {name: "./smoke/default.json"},
		"missing file":      {name: "smoke/nope.json", wantErr: true},
		"absolute, missing": {name: "/nonexistent/smoke.json", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := readFile(tc.name)
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cs, err := hook.ParseSmokeCases(b); err != nil || len(cs) != 1 {
				t.Fatalf("bundled cases = %v, %v", cs, err)
			}
		})
	}
}

func TestHandleRejectsUnanswerableEvents(t *testing.T) {
	t.Parallel()
	h := &handler{hook: &hook.Hook{}}
	_, err := h.Handle(context.Background(), json.RawMessage(`{"DeploymentId":"d-ABCDEFGH1"}`))
	if !errors.Is(err, hook.ErrInvalidEvent) {
		t.Fatalf("err = %v, want ErrInvalidEvent", err)
	}
}

// TestSetupKeepsAnsweringWhenMisconfigured: a bad configuration, a missing
// FINDINGS_BUS_NAME included, still gives a handler that runs (so the hook
// can report Failed to CodeDeploy), and every invocation fails naming the
// variable.
func TestSetupKeepsAnsweringWhenMisconfigured(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env     map[string]string
		wantErr []string
	}{
		"good":         {env: map[string]string{"FINDINGS_BUS_NAME": "b"}},
		"no bus":       {env: map[string]string{}, wantErr: []string{"FINDINGS_BUS_NAME is not set"}},
		"bad share":    {env: map[string]string{"FINDINGS_BUS_NAME": "b", hook.EnvLatencyShare: "2"}, wantErr: []string{hook.EnvLatencyShare}},
		"both missing": {env: map[string]string{hook.EnvReportAttempts: "0"}, wantErr: []string{"FINDINGS_BUS_NAME", hook.EnvReportAttempts}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			rt := &lambdamain.Runtime{Name: hook.Source, Log: zerolog.New(&logs), Getenv: func(k string) string { return tc.env[k] }, AWS: aws.Config{Region: "us-east-1"}}
			h := lambdamain.Build(rt, nil, setup)
			// An event without its execution ID reaches the handler, which
			// refuses it; no AWS call is made.
			_, err := h(context.Background(), json.RawMessage(`{"DeploymentId":"d-ABCDEFGH1"}`))
			if !errors.Is(err, hook.ErrInvalidEvent) {
				t.Errorf("err = %v: the handler did not run", err)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to name %s", err, want)
				}
			}
			var ce *lambdamain.ConfigError
			if misconfigured := errors.As(err, &ce); misconfigured != (len(tc.wantErr) > 0) {
				t.Errorf("err = %v: misconfigured %v, want %v", err, misconfigured, len(tc.wantErr) > 0)
			}
		})
	}
}
