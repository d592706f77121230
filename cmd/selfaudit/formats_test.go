package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings/asff"
)

// TestFormatHTML: --format html writes one page with every finding, and
// the findings still decide the exit code.
func TestFormatHTML(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := scanRun(t, "scan", "--format", "html", "testdata/scan/wildcard.yaml")
	if code != exitFindings || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 1 and nothing", code, stderr)
	}
	low := strings.ToLower(stdout)
	if !strings.HasPrefix(low, "<!doctype html>") || !strings.Contains(stdout, "IAM001") || !strings.Contains(stdout, "selfaudit scan") {
		t.Errorf("not the report page of the scan:\n%.400s", stdout)
	}
	if strings.Contains(low, "<script src") || strings.Contains(low, "<link ") {
		t.Error("the page loads something from elsewhere")
	}
}

// TestFormatASFF: --format asff writes the findings as Security Hub
// imports them, into the product of --account and --region, with the
// status each finding has in the run.
func TestFormatASFF(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	code, stdout, _ := scanRun(t, "scan", "--format", "json", "testdata/scan/wildcard.yaml")
	if code != exitFindings {
		t.Fatalf("baseline run exit %d", code)
	}
	if err := os.WriteFile(base, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		args     []string
		code     int
		workflow string
	}{
		"new":      {args: []string{"testdata/scan/wildcard.yaml"}, code: exitFindings, workflow: "NEW"},
		"baseline": {args: []string{"--baseline", base, "testdata/scan/wildcard.yaml"}, code: exitOK, workflow: "NOTIFIED"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"scan", "--format", "asff", "--account", "123456789012", "--region", "eu-west-1"}, tc.args...)
			code, stdout, stderr := scanRun(t, args...)
			if code != tc.code || stderr != "" {
				t.Fatalf("exit %d, stderr %q; want %d", code, stderr, tc.code)
			}
			var got []asff.Finding
			if err := json.Unmarshal([]byte(stdout), &got); err != nil || len(got) == 0 {
				t.Fatalf("%v: %s", err, stdout)
			}
			for _, f := range got {
				if f.ProductARN != "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default" || f.AwsAccountID != "123456789012" {
					t.Errorf("finding %s in product %s of %s", f.ID, f.ProductARN, f.AwsAccountID)
				}
				if f.Workflow.Status != tc.workflow || f.RecordState != "ACTIVE" {
					t.Errorf("finding %s: workflow %s, record %s; want %s, ACTIVE", f.ID, f.Workflow.Status, f.RecordState, tc.workflow)
				}
			}
		})
	}
}

// TestFormatASFFCaller: a template finding names no account or Region, so
// without --account and --region the product is the caller's (STS) in the
// configured Region; with no credentials to ask, the run exits 2 and says
// which flag to give.
func TestFormatASFFCaller(t *testing.T) {
	testenv.FakeAWSEnv(t)
	t.Setenv("AWS_REGION", "ap-southeast-2")
	awsfake.Serve(t, &awsfake.STS{Account: "210987654321"}).Setenv(t)
	code, stdout, stderr := scanRun(t, "scan", "--format", "asff", "--fail-on", "none", "testdata/scan/wildcard.yaml")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var got []asff.Finding
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || len(got) == 0 {
		t.Fatalf("%v: %s", err, stdout)
	}
	if got[0].ProductARN != "arn:aws:securityhub:ap-southeast-2:210987654321:product/210987654321/default" {
		t.Errorf("product %s, want the caller's", got[0].ProductARN)
	}

	t.Setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
	code, stdout, stderr = scanRun(t, "scan", "--format", "asff", "--region", "us-east-1", "testdata/scan/wildcard.yaml")
	if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--account") {
		t.Errorf("without a caller: exit %d, stdout %q, stderr %q; want 2 and one line naming --account", code, stdout, stderr)
	}
	code, _, stderr = scanRun(t, "scan", "--format", "asff", "--account", "12345", "testdata/scan/wildcard.yaml")
	if code != exitUsage || !strings.Contains(stderr, "12-digit") {
		t.Errorf("bad --account: exit %d, stderr %q", code, stderr)
	}
}
