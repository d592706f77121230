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

	path := testenv.ModuleRoot(t) + "/org/member-role.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := cfntemplate.Load(path, data)
	if err != nil {
		t.Fatal(err)
	}
	doc := f.Value().(map[string]any)
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
