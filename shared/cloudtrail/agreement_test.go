package cloudtrail

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// pantherMapping says which of our checks means the same as a Panther rule,
// how "fires" is read (at or above a severity, where Panther's rule is a
// high-severity subset of ours) and the pipeline configuration that
// corresponds to the rule's own allow-list.
type pantherMapping struct {
	check    string
	minSev   findings.Severity
	pipeline []string
	why      string
}

var pantherMappings = map[string]pantherMapping{
	"AWS.Lambda.UpdateFunctionCode": {check: "CT002", pipeline: []string{"arn:aws:iam::123456789012:role/tester"},
		why: "code updated by someone other than the CI/CD role (Panther's allow-list = our pipeline principals)"},
	"AWS.Lambda.UpdateFunctionConfiguration": {check: "CT002", pipeline: []string{"arn:aws:iam::123456789012:role/tester"},
		why: "configuration (layers) changed by someone other than the CI/CD role"},
	"AWS.LAMBDA.CRUD": {check: "CT002", pipeline: []string{"arn:aws:iam::123456789012:user/DeployRole"},
		why: "Lambda change by a principal outside the allow-listed deployer"},
	"AWS.CloudTrail.IAMEntityCreatedWithoutCloudFormation": {check: "CT002",
		why: "IAM entity created outside CloudFormation"},
	"AWS.Potential.Backdoor.Lambda": {check: "CT003",
		why: "Lambda permission added (Panther fires on any AddPermission; CT003 only for principal *)"},
	"AWS.CloudTrail.Stopped":                {check: "CT004", why: "trail stopped or deleted"},
	"AWS.CloudTrail.EventSelectorsDisabled": {check: "CT004", why: "event selectors narrowed"},
	"AWS.CloudTrail.UnauthorizedAPICall":    {check: "CT005", why: "access denied (Panther: one call; CT005: a burst)"},
	"AWS.Root.Activity":                     {check: "CT006", why: "root user activity"},
	"AWS.IAM.AttachAdminRolePolicy":         {check: "CT007", minSev: findings.High, why: "admin policy attached to a role (CT007 at HIGH or above)"},
	"AWS.IAM.AttachAdminUserPolicy":         {check: "CT007", minSev: findings.High, why: "admin policy attached to a user (CT007 at HIGH or above)"},
	"AWS.IAM.BackdoorRole":                  {check: "CT007", minSev: findings.High, why: "trust policy opened to * (CT007 at HIGH or above)"},
	"AWS.IAM.Backdoor.User.Keys":            {check: "CT007", minSev: findings.High, why: "access key created for another user (CT007 at HIGH or above)"},
	"AWS.IAM.PolicyModified":                {check: "CT007", why: "IAM policy changed"},
	"AWS.User.Login.Profile.Modified": {check: "CT007", minSev: findings.High,
		why: "console password set for another user (CT007 at HIGH or above); an IAM user's own is not reported"},
	"AWS.CloudTrail.AMIModifiedForPublicAccess":             {check: "CT003", why: "AMI made public (CT003 only for group all)"},
	"AWS.CloudTrail.SnapshotMadePublic":                     {check: "CT003", why: "EBS snapshot made public (CT003 only for group all)"},
	"AWS.S3.DeletePublicAccessBlock":                        {check: "CT003", why: "S3 Block Public Access removed"},
	"AWS.VPCFlow.LogsDeleted":                               {check: "CT004", why: "VPC flow logs deleted"},
	"AWS.CloudTrail.DNSLogsDeleted":                         {check: "CT004", why: "Route 53 Resolver query logging deleted"},
	"AWS.ConfigService.DisabledDeleted":                     {check: "CT004", why: "AWS Config recorder or delivery channel stopped or deleted"},
	"AWS.S3.DisableBucketLogging":                           {check: "CT004", why: "S3 access logging switched off"},
	"AWS.Bedrock.DeleteModelInvocationLoggingConfiguration": {check: "CT004", why: "Bedrock model invocation logging deleted"},
	"AWS.CloudTrail.AttemptToLeaveOrg":                      {check: "CT012", why: "account leaving (or trying to leave) its organisation"},
	"AWS.Suspicious.SAML.Activity":                          {check: "CT013", why: "SAML provider created or changed (CT013 does not report deletions)"},
	"AWS.Console.LoginWithoutMFA":                           {check: "CT014", why: "console sign-in without MFA (root sign-ins are CT006's)"},
}

// minAgreement pins, per check, how many labelled records must agree; a
// change that makes a check disagree with more of them fails here.
var minAgreement = map[string]int{
	"CT002": 20, "CT003": 13, "CT004": 17, "CT005": 2, "CT006": 4, "CT007": 13,
	"CT012": 1, "CT013": 4, "CT014": 9,
}

// minRuleAgreement pins the same per Panther rule, so that a gain on one
// rule cannot hide a loss on another of the same check.
var minRuleAgreement = map[string]int{
	"AWS.CloudTrail.IAMEntityCreatedWithoutCloudFormation": 6, "AWS.LAMBDA.CRUD": 3,
	"AWS.Lambda.UpdateFunctionCode": 6, "AWS.Lambda.UpdateFunctionConfiguration": 5,
	"AWS.Potential.Backdoor.Lambda": 1, "AWS.CloudTrail.AMIModifiedForPublicAccess": 5,
	"AWS.CloudTrail.SnapshotMadePublic": 3, "AWS.S3.DeletePublicAccessBlock": 4,
	"AWS.CloudTrail.EventSelectorsDisabled": 3, "AWS.CloudTrail.Stopped": 3,
	"AWS.VPCFlow.LogsDeleted": 1, "AWS.CloudTrail.DNSLogsDeleted": 1, "AWS.ConfigService.DisabledDeleted": 3,
	"AWS.S3.DisableBucketLogging": 4, "AWS.Bedrock.DeleteModelInvocationLoggingConfiguration": 2,
	"AWS.CloudTrail.UnauthorizedAPICall": 2, "AWS.Root.Activity": 4,
	"AWS.IAM.AttachAdminRolePolicy": 2, "AWS.IAM.AttachAdminUserPolicy": 2, "AWS.IAM.Backdoor.User.Keys": 2,
	"AWS.IAM.BackdoorRole": 3, "AWS.IAM.PolicyModified": 3, "AWS.User.Login.Profile.Modified": 1,
	"AWS.CloudTrail.AttemptToLeaveOrg": 1, "AWS.Suspicious.SAML.Activity": 4, "AWS.Console.LoginWithoutMFA": 9,
}

type agreement struct{ agree, total int }

// TestPantherAgreement runs the labelled Panther records through our checks
// and counts, per check, the records where "our check fires" equals
// Panther's label. The table it logs is the one in README.md.
func TestPantherAgreement(t *testing.T) {
	f, err := os.Open("testdata/panther/panther-labeled-tests.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	perCheck := map[string]*agreement{}
	perRule := map[string]*agreement{}
	var disagreements []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var line struct {
			RuleID   string          `json:"rule_id"`
			TestName string          `json:"test_name"`
			Expected bool            `json:"expected"`
			Event    json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		m, ok := pantherMappings[line.RuleID]
		if !ok {
			continue
		}
		cfg := rules.DefaultConfig()
		cfg.PipelinePrincipals = m.pipeline
		a := NewAnalyzer(Options{Rules: cfg, Workers: 1, Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }})
		if err := a.AddRecord(context.Background(), line.Event, line.TestName); err != nil {
			t.Fatal(err)
		}
		fs, _, err := a.Finish(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		fired := false
		for _, f := range fs {
			if f.Check == m.check && f.Severity >= max(m.minSev, findings.Info) {
				fired = true
			}
		}
		for _, ag := range []*agreement{get(perCheck, m.check), get(perRule, line.RuleID)} {
			ag.total++
			if fired == line.Expected {
				ag.agree++
			}
		}
		if fired != line.Expected {
			disagreements = append(disagreements, fmt.Sprintf("%s %q: Panther expects %v, %s fired=%v", line.RuleID, line.TestName, line.Expected, m.check, fired))
		}
	}
	var b strings.Builder
	b.WriteString("| check | Panther rules | agree / labelled |\n|---|---|---|\n")
	checks := make([]string, 0, len(perCheck))
	for c := range perCheck {
		checks = append(checks, c)
	}
	sort.Strings(checks)
	for _, c := range checks {
		var rs []string
		for r, m := range pantherMappings {
			if m.check == c {
				ag := perRule[r]
				rs = append(rs, fmt.Sprintf("%s (%d/%d)", r, ag.agree, ag.total))
			}
		}
		sort.Strings(rs)
		ag := perCheck[c]
		fmt.Fprintf(&b, "| %s | %s | %d / %d |\n", c, strings.Join(rs, ", "), ag.agree, ag.total)
		if ag.agree < minAgreement[c] {
			t.Errorf("%s agrees with %d of %d labelled records, want at least %d", c, ag.agree, ag.total, minAgreement[c])
		}
	}
	for r := range pantherMappings {
		if ag := get(perRule, r); ag.agree < minRuleAgreement[r] {
			t.Errorf("%s agrees with %d of %d labelled records, want at least %d", r, ag.agree, ag.total, minRuleAgreement[r])
		}
	}
	t.Logf("agreement with Panther labels:\n%s", b.String())
	t.Logf("disagreements:\n%s", strings.Join(disagreements, "\n"))
}

func get(m map[string]*agreement, k string) *agreement {
	if m[k] == nil {
		m[k] = &agreement{}
	}
	return m[k]
}
