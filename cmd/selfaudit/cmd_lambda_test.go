package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// lambdaRun runs `selfaudit lambda args...` in-process.
func lambdaRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run(context.Background(), env, append([]string{"lambda"}, args...))
	return code, out.String(), errOut.String()
}

// TestLambdaAgainstSampleFleet runs the command with the real SDK clients
// against the fake Lambda, CloudWatch and CloudWatch Logs servers.
func TestLambdaAgainstSampleFleet(t *testing.T) {
	testenv.FakeAWSEnv(t)
	awsfake.StartFleet(t, awsfake.SampleEstate()).Setenv(t)
	code, out, errOut := lambdaRun(t, "--format", "json", "--fail-on", "high")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d (HIGH findings present): %s", code, exitFindings, errOut)
	}
	var rep findings.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := 0
	for _, c := range awsfake.SampleEstateChecks {
		want += len(c)
	}
	if len(rep.Findings) != want || rep.Summary["HIGH"] == 0 {
		t.Errorf("%d findings (summary %v), want %d", len(rep.Findings), rep.Summary, want)
	}
	if len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0], "audited 8 functions") {
		t.Errorf("notes %v", rep.Notes)
	}
	code, out, _ = lambdaRun(t, "--fail-on", "none", "--reports", "events")
	if code != exitOK || !strings.Contains(out, "LMB115") || !strings.Contains(out, "findings: CRITICAL 0") {
		t.Errorf("text run: exit %d\n%s", code, out)
	}
}

func TestLambdaUsageErrors(t *testing.T) {
	tests := map[string][]string{
		"bad format":     {"--format", "yaml"},
		"bad fail-on":    {"--fail-on", "urgent"},
		"lookback":       {"--lookback-days", "100"},
		"error rate":     {"--error-rate", "2"},
		"reports":        {"--reports", "s3"},
		"stray argument": {"prod"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := lambdaRun(t, args...)
			if code != exitUsage || !strings.HasPrefix(errOut, "selfaudit lambda: ") {
				t.Errorf("exit %d stderr %q", code, errOut)
			}
		})
	}
}
