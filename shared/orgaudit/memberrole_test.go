package orgaudit_test

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/cfntemplate"
	"github.com/selfaudit/selfaudit/shared/fleet"
	"github.com/selfaudit/selfaudit/shared/iamscan"
)

// methods lists the methods of the interface *p points at, as IAM actions
// of service.
func methods(service string, p any) []string {
	t := reflect.TypeOf(p).Elem()
	var out []string
	for i := 0; i < t.NumMethod(); i++ {
		out = append(out, service+":"+t.Method(i).Name)
	}
	return out
}

// loadTemplate decodes the CloudFormation template at rel, a path from the
// module's root.
func loadTemplate(t *testing.T, rel string) map[string]any {
	t.Helper()
	path := testenv.ModuleRoot(t) + "/" + rel
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := cfntemplate.Load(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return f.Value().(map[string]any)
}

// TestMemberRoleGrantsExactlyWhatScannersCall holds org/member-role.yaml to
// the calls a unit makes: the fleet auditor's interfaces and, of the IAM
// scanner's, the full scan's (GetAccountAuthorizationDetails, and the
// Lambda calls); the per-role reads are for targeted rescans, which units
// never run.
func TestMemberRoleGrantsExactlyWhatScannersCall(t *testing.T) {
	t.Parallel()
	want := []string{"iam:GetAccountAuthorizationDetails"}
	want = append(want, methods("lambda", (*iamscan.LambdaAPI)(nil))...)
	want = append(want, methods("lambda", (*fleet.LambdaAPI)(nil))...)
	want = append(want, methods("cloudwatch", (*fleet.CloudWatchAPI)(nil))...)
	want = append(want, methods("logs", (*fleet.LogsAPI)(nil))...)
	slices.Sort(want)
	want = slices.Compact(want)

	doc := loadTemplate(t, "org/member-role.yaml")
	role := doc["Resources"].(map[string]any)["AuditRole"].(map[string]any)["Properties"].(map[string]any)
	var got []string
	for _, p := range role["Policies"].([]any) {
		for _, st := range p.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if st["Effect"] != "Allow" {
				continue
			}
			switch a := st["Action"].(type) {
			case string:
				got = append(got, a)
			case []any:
				for _, x := range a {
					got = append(got, x.(string))
				}
			}
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("member role allows\n  %s\nthe scanners call\n  %s", strings.Join(got, " "), strings.Join(want, " "))
	}
	trust := role["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)
	cond, _ := trust["Condition"].(map[string]any)
	eq, _ := cond["StringEquals"].(map[string]any)
	if eq["sts:ExternalId"] == nil || eq["aws:PrincipalOrgID"] == nil {
		t.Errorf("trust policy without sts:ExternalId and aws:PrincipalOrgID: %v", cond)
	}
}

// TestMemberRoleTrustsTheWorkersRolePath: the member role trusts the audit
// account's roles on one IAM path, and the audit stack puts the IAM
// scanner's and the fleet auditor's roles on that path by default, so the
// audit stack may have any name.
func TestMemberRoleTrustsTheWorkersRolePath(t *testing.T) {
	t.Parallel()
	member, stack := loadTemplate(t, "org/member-role.yaml"), loadTemplate(t, "template.yaml")
	def := func(doc map[string]any, param string) any {
		p, _ := doc["Parameters"].(map[string]any)[param].(map[string]any)
		return p["Default"]
	}
	if m, s := def(member, "AuditRolePath"), def(stack, "OrgWorkerRolePath"); m == nil || m != s {
		t.Errorf("member role's AuditRolePath defaults to %v, the audit stack's OrgWorkerRolePath to %v", m, s)
	}
	trust := member["Resources"].(map[string]any)["AuditRole"].(map[string]any)["Properties"].(map[string]any)["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)
	like, _ := trust["Condition"].(map[string]any)["ArnLike"].(map[string]any)
	if got := like["aws:PrincipalArn"]; !reflect.DeepEqual(got, map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${AuditAccountId}:role${AuditRolePath}*"}) {
		t.Errorf("trust policy's aws:PrincipalArn = %v, want the audit account's roles on AuditRolePath", got)
	}
	for _, name := range []string{"IamScannerRole", "FleetAuditorRole"} {
		props := stack["Resources"].(map[string]any)[name].(map[string]any)["Properties"].(map[string]any)
		if got := props["Path"]; !reflect.DeepEqual(got, map[string]any{"Ref": "OrgWorkerRolePath"}) {
			t.Errorf("%s: Path = %v, want !Ref OrgWorkerRolePath", name, got)
		}
	}
}
