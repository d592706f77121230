package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/cloudtrail"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/findingstest"
	"github.com/selfaudit/selfaudit/shared/lambdamain"
)

type fakeChecker struct {
	a   cloudtrail.Analysis
	err error
}

func (f fakeChecker) Analyze(context.Context, json.RawMessage) (cloudtrail.Analysis, error) {
	return f.a, f.err
}

func realChecker(t *testing.T) *cloudtrail.Checker {
	t.Helper()
	cfg, err := cloudtrail.FunctionConfigFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return &cloudtrail.Checker{Config: cfg, Now: func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) }}
}

// TestHandle: the handler publishes the fresh findings, writes their
// metrics, logs with the invocation's logger, and fails when the checker
// or the publication fails.
func TestHandle(t *testing.T) {
	t.Parallel()
	sample, err := os.ReadFile(filepath.Join("..", "..", "events", "cloudtrail-anomaly-checker", "eventbridge-addpermission.json"))
	if err != nil {
		t.Fatal(err)
	}
	fresh := []findings.Finding{{ID: "x", Check: "CT003", Severity: findings.High, Title: "t", Resource: "r", Source: cloudtrail.FunctionSource, ObservedAt: time.Unix(0, 0)}}
	tests := map[string]struct {
		checker       checker
		pubErr        error
		wantErr       string
		wantPublished []string
		wantTotal     string
	}{
		"sample event, real checker": {checker: realChecker(t), wantPublished: []string{"CT003", "CT002"}, wantTotal: `"FindingsTotal":2`},
		"nothing fresh":              {checker: fakeChecker{a: cloudtrail.Analysis{Trigger: "s3", Found: 3}}, wantTotal: `"FindingsTotal":0`},
		"checker fails":              {checker: fakeChecker{err: errors.New("get s3://b/k: NoSuchKey")}, wantErr: "NoSuchKey"},
		"publish fails":              {checker: fakeChecker{a: cloudtrail.Analysis{Trigger: "eventbridge", Found: 1, Fresh: fresh}}, pubErr: errors.New("bus down"), wantErr: "bus down"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pub := &findingstest.Recorder{Err: tc.pubErr}
			var metrics, logs bytes.Buffer
			h := &handler{checker: tc.checker, publisher: pub, metrics: &metrics}
			ctx := zerolog.New(&logs).WithContext(context.Background())
			res, err := h.Handle(ctx, sample)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if res.Published != 0 {
					t.Errorf("published %d on failure", res.Published)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var checks []string
			for _, f := range pub.Findings() {
				checks = append(checks, f.Check)
			}
			if strings.Join(checks, ",") != strings.Join(tc.wantPublished, ",") || res.Published != len(tc.wantPublished) {
				t.Errorf("published %v (result %d), want %v", checks, res.Published, tc.wantPublished)
			}
			if !strings.Contains(metrics.String(), tc.wantTotal) {
				t.Errorf("EMF lines lack %s: %s", tc.wantTotal, metrics.String())
			}
			if !strings.Contains(logs.String(), "cloudtrail analysed") {
				t.Errorf("no summary line on the invocation's logger: %s", logs.String())
			}
		})
	}
}

// TestSetupConfiguration: setup refuses a bad or incomplete configuration
// with an error naming every bad variable; lambdamain then fails every
// invocation with it.
func TestSetupConfiguration(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env     map[string]string
		wantErr []string
	}{
		"good":          {env: map[string]string{"FINDINGS_BUS_NAME": "b", "BASELINE_TABLE": "t"}},
		"no bus":        {env: map[string]string{}, wantErr: []string{"FINDINGS_BUS_NAME is not set"}},
		"bad source":    {env: map[string]string{"FINDINGS_BUS_NAME": "b", "BASELINE_SOURCE": "kinesis"}, wantErr: []string{"BASELINE_SOURCE"}},
		"every mistake": {env: map[string]string{"SWEEP_WINDOW": "soon"}, wantErr: []string{"SWEEP_WINDOW", "FINDINGS_BUS_NAME"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rt := &lambdamain.Runtime{Name: "fn", Getenv: func(k string) string { return tc.env[k] }, AWS: aws.Config{Region: "us-east-1"}, Metrics: io.Discard}
			h, err := setup(rt)
			for _, want := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to name %s", err, want)
				}
			}
			if len(tc.wantErr) == 0 && (err != nil || h == nil) {
				t.Errorf("setup = %v, %v", h != nil, err)
			}
		})
	}
}
