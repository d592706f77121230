package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
)

func orgRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run(context.Background(), env, append([]string{"org"}, args...))
	return code, out.String(), errOut.String()
}

// TestOrgAuditAgainstGeneratedOrganization audits a generated organisation
// of 12 accounts, three without the member role, in two regions.
func TestOrgAuditAgainstGeneratedOrganization(t *testing.T) {
	testenv.FakeAWSEnv(t)
	org := &awsfake.Organization{Accounts: 12, Seed: 3, NoRoleEvery: 4, ExternalID: "ext-123456", MaxFunctions: 20, MaxRoles: 20}
	_, fakes := awsfake.NewOrgFakes(org, awsfake.OrgLimits{MinLatency: time.Millisecond, MaxLatency: 2 * time.Millisecond})
	awsfake.Serve(t, fakes...).Setenv(t)
	code, out, errOut := orgRun(t, "audit", "--external-id", "ext-123456", "--regions", "us-east-1,eu-west-1", "--format", "json", "--fail-on", "critical", "--concurrency", "8")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d (ORG001 is CRITICAL: 3 of 12 accounts): %s", code, exitFindings, errOut)
	}
	var rep findings.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var org001 *findings.Finding
	checksSeen := map[string]bool{}
	for i, f := range rep.Findings {
		checksSeen[f.Check] = true
		if f.Check == "ORG001" {
			org001 = &rep.Findings[i]
		}
	}
	if org001 == nil || org001.Severity != findings.Critical {
		t.Fatalf("ORG001: %+v", org001)
	}
	for _, a := range org.NoRoleAccounts() {
		if !strings.Contains(strings.Join(rep.Notes, "\n"), "account "+a+" not audited") {
			t.Errorf("notes do not name %s: %v", a, rep.Notes)
		}
	}
	if !checksSeen["IAM001"] && !checksSeen["IAM002"] && !checksSeen["IAM003"] {
		t.Logf("checks seen: %v", checksSeen)
	}
	if !strings.Contains(rep.Notes[0], "audited 9 of 12 accounts") || !strings.Contains(rep.Notes[0], "not covered 9, failed 0") {
		t.Errorf("notes %v", rep.Notes)
	}
	if code, _, errOut := orgRun(t, "audit", "--regions", "nowhere"); code != exitUsage {
		t.Errorf("bad region: exit %d %s", code, errOut)
	}
	if code, _, _ := orgRun(t, "list"); code != exitUsage {
		t.Errorf("unknown subcommand: exit %d", code)
	}
}
