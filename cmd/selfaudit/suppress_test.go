package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/suppress"
)

// trackedJSON is the JSON of a report with statuses.
type trackedJSON struct {
	Findings []struct {
		ID, Check, Resource string
		Status              findings.Status
		Suppression         *findings.Suppression
	}
	Summary       map[string]int
	StatusSummary map[string]int
	Baseline      *struct {
		File       string
		Known, New int
	}
	Notes []string
}

func parseTracked(t *testing.T, out string) trackedJSON {
	t.Helper()
	var r trackedJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	return r
}

const (
	suppressDir = "testdata/suppress/"
	scanDir     = "testdata/scan/"
)

// TestSuppressions runs scan with the suppression file of testdata: a
// suppressed finding is listed SUPPRESSED with its suppression and never
// fails the run; an expired suppression no longer applies and is noted; a
// suppression that matched nothing is a note, or with
// --strict-suppressions an error.
func TestSuppressions(t *testing.T) {
	t.Parallel()
	cfg := suppressDir + "selfaudit.yaml"
	cases := []struct {
		name       string
		args       []string
		code       int
		status     map[string]findings.Status // check -> status
		notes      []string
		stderrLine string
	}{
		{name: "suppressed CRITICAL does not fail the run", args: []string{scanDir + "wildcard.yaml"}, code: exitOK,
			status: map[string]findings.Status{"IAM001": findings.StatusSuppressed},
			notes:  []string{"selfaudit.yaml:12 (IAM003) matched no finding", "selfaudit.yaml:8 (IAM004) matched no finding"}},
		{name: "expired suppression: the finding counts again", args: []string{scanDir + "high-only.json"}, code: exitFindings,
			status: map[string]findings.Status{"IAM004": findings.StatusNew},
			notes:  []string{"suppression " + cfg + ":8 (IAM004) expired on 2020-01-01: 1 finding it matched counts again"}},
		{name: "strict: an unused suppression is an error after the report", args: []string{"--strict-suppressions", scanDir + "wildcard.yaml"}, code: exitUsage,
			status:     map[string]findings.Status{"IAM001": findings.StatusSuppressed},
			stderrLine: "selfaudit scan: suppression " + cfg + ":8 (IAM004) matched no finding (and 1 more) (--strict-suppressions)"},
		{name: "strict, every suppression used", args: []string{"--strict-suppressions", scanDir + "wildcard.yaml", scanDir + "high-only.json"}, code: exitUsage,
			stderrLine: "suppression " + cfg + ":12 (IAM003) matched no finding (--strict-suppressions)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"scan", "--config", cfg, "--format", "json"}, c.args...)
			code, stdout, stderr := scanRun(t, args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, stdout, stderr)
			}
			rep := parseTracked(t, stdout)
			for _, f := range rep.Findings {
				if want, ok := c.status[f.Check]; ok && f.Status != want {
					t.Errorf("%s: status %s, want %s", f.Check, f.Status, want)
				}
				if (f.Status == findings.StatusSuppressed) != (f.Suppression != nil) {
					t.Errorf("%s: status %s with suppression %+v", f.Check, f.Status, f.Suppression)
				}
			}
			notes := strings.Join(rep.Notes, "\n")
			for _, n := range c.notes {
				if !strings.Contains(notes, n) {
					t.Errorf("notes lack %q:\n%s", n, notes)
				}
			}
			if c.stderrLine == "" && stderr != "" || c.stderrLine != "" && (strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.stderrLine)) {
				t.Errorf("stderr %q, want one line with %q", stderr, c.stderrLine)
			}
		})
	}

	// The suppression itself is in the report, and the summary counts
	// only what counts.
	_, stdout, _ := scanRun(t, "scan", "--config", cfg, "--format", "json", scanDir+"wildcard.yaml")
	rep := parseTracked(t, stdout)
	if len(rep.Findings) != 1 || rep.Findings[0].Suppression == nil {
		t.Fatalf("findings %+v", rep.Findings)
	}
	want := findings.Suppression{Reason: "SEC-1: break-glass role, reviewed every quarter", Expires: "2099-12-31", Source: cfg + ":3"}
	if *rep.Findings[0].Suppression != want {
		t.Errorf("suppression %+v, want %+v", *rep.Findings[0].Suppression, want)
	}
	if rep.Summary["CRITICAL"] != 0 || rep.StatusSummary["SUPPRESSED"] != 1 || rep.StatusSummary["NEW"] != 0 {
		t.Errorf("summary %v, statusSummary %v", rep.Summary, rep.StatusSummary)
	}
}

// TestSuppressionFormats: text shows the status and the suppression, SARIF
// a suppression of kind external with the reason as justification.
func TestSuppressionFormats(t *testing.T) {
	t.Parallel()
	cfg := suppressDir + "selfaudit.yaml"
	code, stdout, _ := scanRun(t, "scan", "--config", cfg, scanDir+"wildcard.yaml")
	for _, want := range []string{"0 new, 1 suppressed\n", "status:", "SUPPRESSED", "suppressed:   SEC-1: break-glass role", "accepted in:  " + cfg + ":3, until 2099-12-31", "0 findings: CRITICAL 0"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, stdout)
		}
	}
	if code != exitOK {
		t.Errorf("text: exit %d", code)
	}
	code, stdout, _ = scanRun(t, "scan", "--config", cfg, "--format", "sarif", scanDir+"wildcard.yaml")
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID       string `json:"ruleId"`
				Suppressions []struct {
					Kind, Status, Justification string
					Properties                  map[string]string
				}
				Properties map[string]string
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil || code != exitOK {
		t.Fatalf("sarif: exit %d, %v\n%s", code, err, stdout)
	}
	rs := log.Runs[0].Results
	if len(rs) != 1 || len(rs[0].Suppressions) != 1 {
		t.Fatalf("results %+v", rs)
	}
	s := rs[0].Suppressions[0]
	if s.Kind != "external" || s.Justification != "SEC-1: break-glass role, reviewed every quarter" || s.Properties["source"] != cfg+":3" || s.Properties["expires"] != "2099-12-31" || rs[0].Properties["status"] != "SUPPRESSED" {
		t.Errorf("suppression %+v, properties %v", s, rs[0].Properties)
	}
}

// TestTemplateMetadataSuppressions: a resource's own Metadata suppresses
// its findings (selfaudit's, and cfn_nag's F3 as IAM001).
func TestTemplateMetadataSuppressions(t *testing.T) {
	t.Parallel()
	tmpl := suppressDir + "metadata.yaml"
	code, stdout, stderr := scanRun(t, "scan", "--format", "json", "--fail-on", "low", tmpl)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	got := map[string]string{}
	for _, f := range parseTracked(t, stdout).Findings {
		if f.Status != findings.StatusSuppressed || f.Suppression == nil {
			t.Errorf("%s on %s: %s", f.Check, f.Resource, f.Status)
			continue
		}
		got[f.Check] = f.Suppression.Source
	}
	want := map[string]string{
		"IAM001": tmpl + ":7 (Metadata.cfn_nag F3 of Role)",
		"IAM004": tmpl + ":27 (Metadata.selfaudit of Deployer)",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s suppressed by %q, want %q", k, got[k], v)
		}
	}
}

// TestMalformedPolicyFiles: every malformed suppression file, template
// suppression or baseline gives exit 2 and one line naming the file, for
// every command that reads them, before anything else is done.
func TestMalformedPolicyFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type input struct {
		flag, path string
		want       string // in the one stderr line, after the path
	}
	var inputs []input
	malformed, err := filepath.Glob(filepath.Join(testenv.ModuleRoot(t), "shared", "suppress", "testdata", "malformed", "*.yaml"))
	if err != nil || len(malformed) == 0 {
		t.Fatalf("malformed suppression files: %v %v", malformed, err)
	}
	for _, p := range malformed {
		inputs = append(inputs, input{"--config", p, ":"})
	}
	inputs = append(inputs,
		input{"--config", filepath.Join(dir, "missing.yaml"), ": no such file"},
		input{"--baseline", filepath.Join(dir, "missing.json"), ": no such file"},
		input{"--baseline", write("not-json.json", "findings:\n"), ": not a selfaudit --format json output: malformed JSON"},
		input{"--baseline", write("no-findings.json", `{"summary":{}}`), ": not a selfaudit --format json output: no findings list"},
		input{"--baseline", write("array.json", `[]`), ": not a selfaudit --format json output"},
		input{"--baseline", write("no-id.json", `{"findings":[{"check":"IAM001"}]}`), ": finding 1 has no id"},
	)
	for _, cmd := range []string{"scan", "iam", "lambda", "trail", "audit"} {
		for _, in := range inputs {
			t.Run(cmd+" "+in.flag+" "+filepath.Base(in.path), func(t *testing.T) {
				t.Parallel()
				args := []string{cmd, in.flag, in.path}
				if cmd == "scan" || cmd == "trail" {
					args = append(args, filepath.Join(dir, "unread"))
				}
				code, stdout, stderr := scanRun(t, args...)
				if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, in.path+in.want) {
					t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line naming %s%s", code, stdout, stderr, in.path, in.want)
				}
			})
		}
	}
	code, stdout, stderr := scanRun(t, "scan", suppressDir+"bad-metadata.yaml")
	if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "bad-metadata.yaml:7: Metadata.selfaudit.suppress entry 1 of Role: reason is required") {
		t.Errorf("template metadata: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
}

// TestBaseline: an earlier JSON output as --baseline lists its findings
// BASELINE, which do not fail the run; findings it lacks are new and do.
func TestBaseline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, before, _ := scanRun(t, "scan", "--format", "json", scanDir+"high-only.json")
	if code != exitFindings {
		t.Fatalf("first run: exit %d", code)
	}
	base := filepath.Join(dir, "baseline.json")
	if err := os.WriteFile(base, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := scanRun(t, "scan", "--baseline", base, "--format", "json", "--fail-on", "low", scanDir+"high-only.json")
	rep := parseTracked(t, stdout)
	if code != exitOK || stderr != "" {
		t.Fatalf("same findings: exit %d\n%s%s", code, stdout, stderr)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Status != findings.StatusBaseline || rep.Baseline == nil || rep.Baseline.Known != 1 || rep.Baseline.New != 0 {
		t.Errorf("report %+v", rep)
	}
	code, stdout, _ = scanRun(t, "scan", "--baseline", base, "--format", "json", scanDir+"high-only.json", scanDir+"wildcard.yaml")
	rep = parseTracked(t, stdout)
	if code != exitFindings || rep.Baseline.Known != 1 || rep.Baseline.New != 1 || rep.StatusSummary["NEW"] != 1 || rep.StatusSummary["BASELINE"] != 1 || rep.Summary["CRITICAL"] != 1 || rep.Summary["HIGH"] != 0 {
		t.Errorf("a new finding: exit %d, report %+v", code, rep)
	}
	code, stdout, _ = scanRun(t, "scan", "--baseline", base, scanDir+"high-only.json", scanDir+"wildcard.yaml")
	if code != exitFindings || !strings.HasPrefix(stdout, "1 new, 1 in the baseline\n") || !strings.Contains(stdout, "note: 1 findings new against the baseline "+base+" (1 in it)") {
		t.Errorf("text: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = scanRun(t, "scan", "--baseline", base, "--format", "sarif", scanDir+"high-only.json", scanDir+"wildcard.yaml")
	if code != exitFindings {
		t.Errorf("sarif: exit %d", code)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID        string `json:"ruleId"`
				BaselineState string `json:"baselineState"`
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, r := range log.Runs[0].Results {
		states[r.RuleID] = r.BaselineState
	}
	if states["IAM001"] != "new" || states["IAM004"] != "unchanged" {
		t.Errorf("sarif baselineState %v", states)
	}
}

// TestSuppressionsWithState: with --state-table a suppressed finding is
// recorded SUPPRESSED in the table and listed so; without the suppression
// it comes back REOPENED. An earlier --state-table JSON output serves as a
// baseline as the stateless one does.
func TestSuppressionsWithState(t *testing.T) {
	table := useDynalite(t)
	cfg := suppressDir + "selfaudit.yaml"
	tmpl := scanDir + "wildcard.yaml"
	code, stdout, stderr := scanRun(t, "scan", "--state-table", table, "--config", cfg, "--format", "json", tmpl)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	rep := parseTracked(t, stdout)
	if len(rep.Findings) != 1 || rep.Findings[0].Status != findings.StatusSuppressed || rep.Findings[0].Suppression == nil || rep.StatusSummary["SUPPRESSED"] != 1 || rep.StatusSummary["NEW"] != 0 {
		t.Fatalf("report %+v", rep)
	}
	id := rep.Findings[0].ID
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	item, err := dynamodb.NewFromConfig(awsCfg).GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{findingstore.AttrID: &types.AttributeValueMemberS{Value: id}}})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := item.Item[findingstore.AttrStatus].(*types.AttributeValueMemberS); s == nil || s.Value != string(findings.StatusSuppressed) {
		t.Errorf("stored status %v, want SUPPRESSED", item.Item[findingstore.AttrStatus])
	}
	code, stdout, _ = scanRun(t, "scan", "--state-table", table, "--config", cfg, tmpl)
	if first, _, _ := strings.Cut(stdout, "\n"); code != exitOK || first != "0 new, 0 reopened, 0 open, 0 resolved, 1 suppressed" {
		t.Errorf("second run: exit %d, first line %q", code, first)
	}
	empty := filepath.Join(t.TempDir(), "none.yaml")
	if err := os.WriteFile(empty, []byte("suppressions: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = scanRun(t, "scan", "--state-table", table, "--config", empty, "--format", "json", tmpl)
	rep = parseTracked(t, stdout)
	if code != exitFindings || len(rep.Findings) != 1 || rep.Findings[0].Status != findings.StatusReopened {
		t.Fatalf("suppression removed: exit %d, report %+v", code, rep)
	}
	base := filepath.Join(t.TempDir(), "state-baseline.json")
	if err := os.WriteFile(base, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = scanRun(t, "scan", "--state-table", table, "--config", empty, "--baseline", base, "--format", "json", tmpl)
	rep = parseTracked(t, stdout)
	if code != exitOK || len(rep.Findings) != 1 || rep.Findings[0].Status != findings.StatusBaseline || rep.Baseline == nil || rep.Baseline.Known != 1 {
		t.Errorf("state baseline: exit %d, report %+v", code, rep)
	}
}

// TestTrailAndAuditSuppressions: CloudTrail findings are suppressed by the
// account their resource names; audit reads ./selfaudit.yaml by default.
func TestTrailAndAuditSuppressions(t *testing.T) {
	cfg, err := filepath.Abs(suppressDir + "trail.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root := testenv.ModuleRoot(t)
	_, stdout, stderr := scanRun(t, "trail", "--config", cfg, "--format", "json", filepath.Join(root, "events", "cloudtrail"))
	statuses := map[string]findings.Status{}
	for _, f := range parseTracked(t, stdout).Findings {
		statuses[f.Check] = f.Status
	}
	if statuses["CT006"] != findings.StatusSuppressed || statuses["CT003"] != findings.StatusNew || stderr != "" {
		t.Errorf("trail statuses %v, stderr %q", statuses, stderr)
	}

	dir := t.TempDir()
	for _, p := range []string{"template.yaml", "events"} {
		if err := os.Symlink(filepath.Join(root, p), filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "selfaudit.yaml"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, stdout, stderr := scanRun(t, "audit")
	if code != exitOK || !strings.Contains(stdout, "SEC-9: the quarterly break-glass drill") || !strings.Contains(stdout, "accepted in:  selfaudit.yaml:2") {
		t.Errorf("audit: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestMappedChecksAreRegistered: every check the cfn_nag and checkov
// mappings name is one the command line knows.
func TestMappedChecksAreRegistered(t *testing.T) {
	t.Parallel()
	for _, m := range append(append([]suppress.Mapping{}, suppress.CfnNagRules...), suppress.CheckovRules...) {
		for _, id := range m.Checks {
			if _, ok := checks.Lookup(id); !ok {
				t.Errorf("%s maps to %s, which is not registered", m.Rule, id)
			}
		}
	}
}
