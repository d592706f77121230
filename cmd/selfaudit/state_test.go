package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
)

// stateJSON is the JSON of a run with --state-table.
type stateJSON struct {
	Findings []struct {
		ID, Check, Resource string
		Status              findings.Status
		FirstSeen, LastSeen time.Time
	}
	Summary       map[string]int
	StatusSummary map[string]int
	Notes         []string
}

// statuses maps "CHECK resource" to the status the findings were listed
// with, failing on a finding listed twice or without first and last
// sighting.
func (r stateJSON) statuses(t *testing.T) map[string]findings.Status {
	t.Helper()
	out := map[string]findings.Status{}
	ids := map[string]bool{}
	for _, f := range r.Findings {
		key := f.Check + " " + f.Resource
		if ids[f.ID] {
			t.Errorf("%s (%s) listed twice", key, f.ID)
		}
		ids[f.ID] = true
		if f.FirstSeen.IsZero() || f.LastSeen.Before(f.FirstSeen) {
			t.Errorf("%s: firstSeen %v, lastSeen %v", key, f.FirstSeen, f.LastSeen)
		}
		out[key] = f.Status
	}
	return out
}

func parseStateJSON(t *testing.T, out string) stateJSON {
	t.Helper()
	var r stateJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	return r
}

// useDynalite points the SDK at dynalite with fake credentials and returns
// the name of a table that does not exist yet.
func useDynalite(t *testing.T) string {
	t.Helper()
	ep := testenv.DynaliteEndpoint(t)
	testenv.FakeAWSEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ep)
	return fmt.Sprintf("findings-cli-%d", time.Now().UnixNano())
}

func counts(newN, reopened, open, resolved int) map[string]int {
	return map[string]int{"NEW": newN, "REOPENED": reopened, "OPEN": open, "RESOLVED": resolved}
}

func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestScanStateSequence is the lifecycle of issue 11 through the command
// line: two versions of one template scanned in turn against one findings
// table that the first run creates.
func TestScanStateSequence(t *testing.T) {
	table := useDynalite(t)
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "template.yaml")
	res := func(logical string) string {
		return tmpl + "#/Resources/" + logical + "/Properties/Policies/0/PolicyDocument/Statement/0"
	}
	admin, deploy, reader := "IAM001 "+res("AdminRole"), "IAM004 "+res("DeployRole"), "IAM002 "+res("ReaderRole")
	const (
		NEW, OPEN, REOPENED, RESOLVED = findings.StatusNew, findings.StatusOpen, findings.StatusReopened, findings.StatusResolved
	)
	steps := []struct {
		name    string
		version string
		args    []string
		code    int
		want    map[string]findings.Status
		counts  map[string]int
		summary int // findings that stand
		note    string
	}{
		{name: "first run: every finding is new, the table is created", version: "v1.yaml", code: exitFindings,
			want: map[string]findings.Status{admin: NEW, deploy: NEW, reader: NEW}, counts: counts(3, 0, 0, 0), summary: 3,
			note: "created findings table " + table},
		{name: "same template: every finding open, nothing new to fail on", version: "v1.yaml", args: []string{"--new-only", "--fail-on", "low"}, code: exitOK,
			want: map[string]findings.Status{admin: OPEN, deploy: OPEN, reader: OPEN}, counts: counts(0, 0, 3, 0), summary: 3},
		{name: "without --new-only the open findings still fail the run", version: "v1.yaml", args: []string{"--fail-on", "low"}, code: exitFindings,
			want: map[string]findings.Status{admin: OPEN, deploy: OPEN, reader: OPEN}, counts: counts(0, 0, 3, 0), summary: 3},
		{name: "PassRole fixed: listed resolved", version: "v2.yaml", args: []string{"--new-only", "--fail-on", "low"}, code: exitOK,
			want: map[string]findings.Status{admin: OPEN, deploy: RESOLVED, reader: OPEN}, counts: counts(0, 0, 2, 1), summary: 2},
		{name: "fixed template again: nothing left to resolve", version: "v2.yaml", args: []string{"--new-only"}, code: exitOK,
			want: map[string]findings.Status{admin: OPEN, reader: OPEN}, counts: counts(0, 0, 2, 0), summary: 2},
		{name: "PassRole back: reopened, and it fails --new-only", version: "v1.yaml", args: []string{"--new-only", "--fail-on", "high"}, code: exitFindings,
			want: map[string]findings.Status{admin: OPEN, deploy: REOPENED, reader: OPEN}, counts: counts(0, 1, 2, 0), summary: 3},
	}
	for _, st := range steps {
		src, err := os.ReadFile(filepath.Join("testdata", "state", st.version))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tmpl, src, 0o644); err != nil {
			t.Fatal(err)
		}
		args := append(append([]string{"scan", "--state-table", table, "--format", "json"}, st.args...), tmpl)
		code, stdout, stderr := scanRun(t, args...)
		if code != st.code || stderr != "" {
			t.Fatalf("%s: exit %d, want %d\nstderr: %s\n%s", st.name, code, st.code, stderr, stdout)
		}
		rep := parseStateJSON(t, stdout)
		got := rep.statuses(t)
		if len(got) != len(st.want) {
			t.Errorf("%s: listed %v, want %v", st.name, got, st.want)
		}
		for k, want := range st.want {
			if got[k] != want {
				t.Errorf("%s: %s is %q, want %q", st.name, k, got[k], want)
			}
		}
		if !sameCounts(rep.StatusSummary, st.counts) {
			t.Errorf("%s: statusSummary %v, want %v", st.name, rep.StatusSummary, st.counts)
		}
		standing := 0
		for _, n := range rep.Summary {
			standing += n
		}
		if standing != st.summary {
			t.Errorf("%s: summary %v counts %d findings, want the %d that stand", st.name, rep.Summary, standing, st.summary)
		}
		created := strings.Contains(strings.Join(rep.Notes, "\n"), "created findings table")
		if st.note != "" && !created {
			t.Errorf("%s: notes %q lack %q", st.name, rep.Notes, st.note)
		}
		if st.note == "" && created {
			t.Errorf("%s: notes %q say the table was created again", st.name, rep.Notes)
		}
	}

	// The table the first run created has the stack's layout.
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	desc, err := dynamodb.NewFromConfig(cfg).DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if k := desc.Table.KeySchema; len(k) != 1 || aws.ToString(k[0].AttributeName) != findingstore.AttrID {
		t.Errorf("key schema %+v", k)
	}
	if g := desc.Table.GlobalSecondaryIndexes; len(g) != 1 || aws.ToString(g[0].IndexName) != findingstore.IndexOpenByScope {
		t.Errorf("indexes %+v", g)
	}

	// Text leads with the counts; SARIF carries the status per result.
	code, stdout, _ := scanRun(t, "scan", "--state-table", table, "--fail-on", "none", tmpl)
	if first, _, _ := strings.Cut(stdout, "\n"); code != exitOK || first != "0 new, 0 reopened, 3 open, 0 resolved" {
		t.Errorf("text: exit %d, first line %q\n%s", code, first, stdout)
	}
	if !strings.Contains(stdout, "status:") || !strings.Contains(stdout, "3 findings: CRITICAL 1, HIGH 1, MEDIUM 1") {
		t.Errorf("text output:\n%s", stdout)
	}
	code, stdout, _ = scanRun(t, "scan", "--state-table", table, "--format", "sarif", "--fail-on", "none", tmpl)
	var sarifLog struct {
		Runs []struct {
			Results []struct {
				BaselineState string            `json:"baselineState"`
				Properties    map[string]string `json:"properties"`
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &sarifLog); err != nil || code != exitOK {
		t.Fatalf("sarif: exit %d, %v\n%s", code, err, stdout)
	}
	if rs := sarifLog.Runs[0].Results; len(rs) != 3 || rs[0].BaselineState != "unchanged" || rs[0].Properties["status"] != "OPEN" || rs[0].Properties["firstSeen"] == "" {
		t.Errorf("sarif results %+v", rs)
	}

	// Without the flag the output is the stateless report, as before.
	_, withState, _ := scanRun(t, "scan", "--format", "json", tmpl)
	if strings.Contains(withState, `"status"`) || strings.Contains(withState, "statusSummary") || strings.Contains(withState, "firstSeen") {
		t.Errorf("stateless output carries state:\n%s", withState)
	}
}

// TestStateUsageErrors: --new-only means nothing without a store, and a
// table name DynamoDB would refuse is caught before any call.
func TestStateUsageErrors(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"scan", "iam", "lambda", "trail"} {
		for name, tc := range map[string]struct {
			args []string
			want string
		}{
			"new-only alone": {[]string{"--new-only"}, "--new-only needs --state-table"},
			"bad table name": {[]string{"--state-table", "a/b"}, "not a DynamoDB table name"},
		} {
			t.Run(cmd+" "+name, func(t *testing.T) {
				t.Parallel()
				args := append([]string{cmd}, tc.args...)
				if cmd == "scan" || cmd == "trail" {
					args = append(args, filepath.Join("testdata", "scan", "clean.yaml"))
				}
				code, stdout, stderr := scanRun(t, args...)
				if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
					t.Errorf("exit %d stdout %q stderr %q, want exit 2 and one line with %q", code, stdout, stderr, tc.want)
				}
			})
		}
		t.Run(cmd+" help", func(t *testing.T) {
			t.Parallel()
			code, _, stderr := scanRun(t, cmd, "--help")
			if code != exitOK || !strings.Contains(stderr, "-state-table") || !strings.Contains(stderr, "-new-only") {
				t.Errorf("exit %d\n%s", code, stderr)
			}
		})
	}
}

// iamAccount serves the example account of shared/iamscan (3 roles with 8
// findings, IAM009 included; 3 users and 2 groups; 8 functions with 6) and
// an STS that answers its account ID.
func iamAccount(t *testing.T) (*awsfake.IAM, *awsfake.Lambda) {
	t.Helper()
	fixtures := filepath.Join(testenv.ModuleRoot(t), "shared", "iamscan", "testdata")
	fi, err := awsfake.NewIAM(filepath.Join(fixtures, "gaad"))
	if err != nil {
		t.Fatal(err)
	}
	estate, err := awsfake.LoadLambdaFixture(filepath.Join(fixtures, "lambda", "functions.json"))
	if err != nil {
		t.Fatal(err)
	}
	fl := awsfake.NewLambda(estate)
	awsfake.Serve(t, fi, fl, &awsfake.STS{Account: "012345678901"}).Setenv(t)
	return fi, fl
}

// TestIAMStateUnreadableParts: what a scan could not read is neither
// confirmed nor resolved, and the run says so; what it read is resolved as
// usual.
func TestIAMStateUnreadableParts(t *testing.T) {
	table := useDynalite(t)
	fi, fl := iamAccount(t)
	const webhook = "LMB001 arn:aws:lambda:us-east-1:012345678901:function:public-webhook"
	const roleFinding = "IAM004 arn:aws:iam::012345678901:role/MyRole"
	denied := func(name string) func(awsfake.Call) *awsfake.APIError {
		return func(c awsfake.Call) *awsfake.APIError {
			if strings.Contains(c.Resource, name) {
				return &awsfake.APIError{Status: http.StatusForbidden, Type: "AccessDeniedException"}
			}
			return nil
		}
	}
	steps := []struct {
		name   string
		setup  func()
		code   int
		want   map[string]findings.Status // some of the findings listed
		absent []string                   // findings not listed
		counts map[string]int
		note   string
	}{
		{name: "full read: every finding new", setup: func() {}, code: exitOK,
			want: map[string]findings.Status{webhook: findings.StatusNew, roleFinding: findings.StatusNew}, counts: counts(14, 0, 0, 0)},
		{name: "one function policy unreadable: its finding stays, unlisted", setup: func() { fl.Override("GetPolicy", denied("public-webhook")) }, code: exitUsage,
			want: map[string]findings.Status{roleFinding: findings.StatusOpen}, absent: []string{webhook}, counts: counts(0, 0, 13, 0),
			note: "1 remembered findings neither confirmed nor resolved"},
		{name: "IAM unreadable: the role findings stay", setup: func() {
			fl.Override("GetPolicy", nil)
			fi.SetError("GetAccountAuthorizationDetails", &awsfake.APIError{Status: http.StatusForbidden, Type: "AccessDenied"})
		}, code: exitUsage,
			want: map[string]findings.Status{webhook: findings.StatusOpen}, absent: []string{roleFinding}, counts: counts(0, 0, 6, 0),
			note: "8 remembered findings neither confirmed nor resolved"},
		{name: "policy removed: resolved", setup: func() {
			fi.SetError("GetAccountAuthorizationDetails", nil)
			fl.Override("GetPolicy", func(c awsfake.Call) *awsfake.APIError {
				if strings.Contains(c.Resource, "public-webhook") {
					return &awsfake.APIError{Status: http.StatusNotFound, Type: "ResourceNotFoundException"}
				}
				return nil
			})
		}, code: exitOK,
			want: map[string]findings.Status{webhook: findings.StatusResolved, roleFinding: findings.StatusOpen}, counts: counts(0, 0, 13, 1)},
	}
	for _, st := range steps {
		st.setup()
		code, stdout, stderr := scanRun(t, "iam", "--all-roles", "--fail-on", "none", "--format", "json", "--state-table", table)
		if code != st.code {
			t.Fatalf("%s: exit %d, want %d\nstderr: %s\n%s", st.name, code, st.code, stderr, stdout)
		}
		rep := parseStateJSON(t, stdout)
		got := rep.statuses(t)
		for k, want := range st.want {
			if got[k] != want {
				t.Errorf("%s: %s is %q, want %q", st.name, k, got[k], want)
			}
		}
		for _, k := range st.absent {
			if s, ok := got[k]; ok {
				t.Errorf("%s: %s listed as %s; its part was not read", st.name, k, s)
			}
		}
		if !sameCounts(rep.StatusSummary, st.counts) {
			t.Errorf("%s: statusSummary %v, want %v", st.name, rep.StatusSummary, st.counts)
		}
		if notes := strings.Join(rep.Notes, "\n"); !strings.Contains(notes, st.note) {
			t.Errorf("%s: notes lack %q:\n%s", st.name, st.note, notes)
		}
	}
}

// TestTrailStateEvents: event findings are remembered, so reading the same
// events again reports them OPEN and --new-only lets the run pass; they
// are never listed as resolved, and none stands in the table afterwards.
func TestTrailStateEvents(t *testing.T) {
	table := useDynalite(t)
	samples := filepath.Join("..", "..", "events", "cloudtrail")
	deploy := filepath.Join(samples, "111122223333_CloudTrail_eu-west-1_20261120T0900Z_deploy.json.gz")
	trail := func(args ...string) (int, stateJSON, string) {
		t.Helper()
		env, out, errb := trailEnv()
		code := runTrailWith(context.Background(), env, append([]string{"--state-table", table, "--format", "json"}, args...), defaultTrailDeps)
		if errb.Len() > 0 {
			t.Errorf("stderr: %s", errb)
		}
		return code, parseStateJSON(t, out.String()), out.String()
	}
	code, first, out := trail(samples)
	if code != exitFindings || len(first.Findings) == 0 || first.StatusSummary["NEW"] != len(first.Findings) {
		t.Fatalf("first read: exit %d, statusSummary %v for %d findings\n%s", code, first.StatusSummary, len(first.Findings), out)
	}
	steps := []struct {
		name string
		args []string
		code int
	}{
		{"the same files again", []string{"--new-only", "--fail-on", "low", samples}, exitOK},
		{"one of the files", []string{"--new-only", "--fail-on", "low", deploy}, exitOK},
		{"both files after the one", []string{"--new-only", "--fail-on", "low", samples}, exitOK},
	}
	for _, st := range steps {
		code, rep, out := trail(st.args...)
		if code != st.code {
			t.Errorf("%s: exit %d, want %d\n%s", st.name, code, st.code, out)
		}
		for k, s := range rep.statuses(t) {
			if s != findings.StatusOpen {
				t.Errorf("%s: %s is %s, want OPEN: it was read before", st.name, k, s)
			}
		}
		if rep.StatusSummary["RESOLVED"] != 0 || rep.StatusSummary["OPEN"] != len(rep.Findings) || len(rep.Findings) == 0 {
			t.Errorf("%s: statusSummary %v for %d findings", st.name, rep.StatusSummary, len(rep.Findings))
		}
	}

	// Nothing stands in the table: every recorded event was closed, so
	// none waits forever for a run to resolve it.
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	q, err := dynamodb.NewFromConfig(cfg).Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String(table), IndexName: aws.String(findingstore.IndexOpenByScope),
		KeyConditionExpression:    aws.String("#s = :s"),
		ExpressionAttributeNames:  map[string]string{"#s": findingstore.AttrOpenScope},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: findingstore.Scope{Scanner: scannerTrail}.Key()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if q.Count != 0 {
		t.Errorf("%d event findings stand in the table after the runs", q.Count)
	}
}

// TestLambdaStateReportsGap: a fleet audit that did not read REPORT lines
// cannot judge memory, so the memory findings of the functions it could
// not judge stay as they were instead of being resolved.
func TestLambdaStateReportsGap(t *testing.T) {
	table := useDynalite(t)
	fleet := awsfake.StartFleet(t, awsfake.SampleEstate())
	fleet.Setenv(t)
	awsfake.Serve(t, awsfake.NewSTS()).Setenv(t)
	total := 0
	for _, c := range awsfake.SampleEstateChecks {
		total += len(c)
	}
	memory := "LMB115 " + awsfake.FunctionARN("image-resizer")
	steps := []struct {
		name    string
		reports string
		counts  map[string]int
		memory  findings.Status // "" when not listed
		note    string
	}{
		{"first audit", "events", counts(total, 0, 0, 0), findings.StatusNew, ""},
		{"REPORT lines not read", "off", counts(0, 0, total-3, 0), "", "3 remembered findings neither confirmed nor resolved"},
		{"REPORT lines read again", "events", counts(0, 0, total, 0), findings.StatusOpen, ""},
	}
	for _, st := range steps {
		code, out, errOut := lambdaRun(t, "--format", "json", "--fail-on", "none", "--reports", st.reports, "--state-table", table)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", st.name, code, errOut)
		}
		rep := parseStateJSON(t, out)
		if !sameCounts(rep.StatusSummary, st.counts) {
			t.Errorf("%s: statusSummary %v, want %v", st.name, rep.StatusSummary, st.counts)
		}
		if got := rep.statuses(t)[memory]; got != st.memory {
			t.Errorf("%s: %s is %q, want %q", st.name, memory, got, st.memory)
		}
		if notes := strings.Join(rep.Notes, "\n"); !strings.Contains(notes, st.note) {
			t.Errorf("%s: notes lack %q:\n%s", st.name, st.note, notes)
		}
	}
}

// TestStateTableOfAnotherLayout: a table made for something else is an
// input error, not a store to write into.
func TestStateTableOfAnotherLayout(t *testing.T) {
	table := useDynalite(t)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := dynamodb.NewFromConfig(cfg)
	_, err = client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := scanRun(t, "scan", "--state-table", table, filepath.Join("testdata", "state", "v1.yaml"))
	if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "not a findings table") {
		t.Errorf("exit %d stdout %q stderr %q, want exit 2 and one line saying it is not a findings table", code, stdout, stderr)
	}
}
