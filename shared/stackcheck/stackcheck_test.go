package stackcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// optionalOnly lists actions whose only resource type is optional and
// does not cover what the stack reads: CloudWatch's GetMetricData can be
// scoped to OTLP datasets only, never to classic metrics.
var optionalOnly = map[string]bool{"cloudwatch:GetMetricData": true}

func lookupResourceTypes(action string) (bool, bool) {
	info, ok := iampolicy.LookupAction(action)
	return info.ResourceTypes && !optionalOnly[action], ok
}

// TestWildcardResourcesOnlyWhereUnavoidable: Resource "*" appears only for
// APIs that support no resource-level permission.
func TestWildcardResourcesOnlyWhereUnavoidable(t *testing.T) {
	root := testenv.ModuleRoot(t)
	for _, name := range []string{"template.yaml", "pipeline.yaml"} {
		tpl, err := Load(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range CheckWildcardResources(tpl, lookupResourceTypes) {
			t.Errorf("%s: %s", name, p)
		}
	}
	broken, err := Load(filepath.Join("testdata", "wildcard-write.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if p := CheckWildcardResources(broken, lookupResourceTypes); len(p) != 1 || !strings.Contains(p[0], "sqs:SendMessage") {
		t.Fatalf("problems = %v, want sqs:SendMessage reported", p)
	}
}

func TestTemplateInvariants(t *testing.T) {
	root := testenv.ModuleRoot(t)
	tpl, err := Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range CheckApp(tpl, root) {
		t.Error(p)
	}
	if n := len(tpl.OfType("AWS::Serverless::Function")); n != 7 {
		t.Errorf("%d functions, want 7", n)
	}
}

func TestPipelineInvariants(t *testing.T) {
	root := testenv.ModuleRoot(t)
	tpl, err := Load(filepath.Join(root, "pipeline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range CheckPipeline(tpl) {
		t.Error(p)
	}
	bs, err := os.ReadFile(filepath.Join(root, "buildspec.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range CheckBuildspec(bs) {
		t.Error(p)
	}
}

// TestChecksCatchBreakage proves the invariant checks can fail: each case
// breaks one rule in a copy of the real templates.
func TestChecksCatchBreakage(t *testing.T) {
	root := testenv.ModuleRoot(t)
	app, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := os.ReadFile(filepath.Join(root, "pipeline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		pipeline    bool
		old, new    string
		wantProblem string
	}{
		"tracing off":                 {old: "Tracing: Active", new: "Tracing: PassThrough", wantProblem: "Tracing"},
		"no hook":                     {old: "FunctionName: !Sub \"CodeDeployHook_${AWS::StackName}\"", new: "", wantProblem: "no pre-traffic hook"},
		"dlq removed":                 {old: "      DeadLetterQueue:\n        Type: SQS\n        TargetArn: !GetAtt IamScannerDLQ.Arn\n", new: "", wantProblem: "IamWildcardScanner: no DeadLetterQueue"},
		"batch failures not reported": {old: "FunctionResponseTypes: [ReportBatchItemFailures]", new: "FunctionResponseTypes: []", wantProblem: "does not report batch item failures"},
		"queue without redrive":       {old: "      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt SecurityHubExportDLQ.Arn\n        maxReceiveCount: 5\n", new: "", wantProblem: "SecurityHubExportQueue of SQS event Findings has no RedrivePolicy"},
		"visibility below timeout":    {old: "VisibilityTimeout: 360", new: "VisibilityTimeout: 30", wantProblem: "hides a message 30 s, less than the function's timeout of 60 s"},
		"no canary":                   {old: "Canary10Percent5Minutes", new: "Linear10PercentEvery1Minute", wantProblem: "Canary10Percent5Minutes"},
		"approval moved":              {pipeline: true, old: "              RunOrder: 2\n              ActionTypeId: {Category: Approval", new: "              RunOrder: 4\n              ActionTypeId: {Category: Approval", wantProblem: "does not sit between"},
		"no approval topic":           {pipeline: true, old: "                NotificationArn: !Ref ApprovalTopic\n", new: "", wantProblem: "notifies nobody"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src := app
			if tc.pipeline {
				src = pipe
			}
			if !strings.Contains(string(src), tc.old) {
				t.Fatalf("fixture text %q not found", tc.old)
			}
			path := filepath.Join(t.TempDir(), "t.yaml")
			if err := os.WriteFile(path, []byte(strings.Replace(string(src), tc.old, tc.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			tpl, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			var problems []string
			if tc.pipeline {
				problems = CheckPipeline(tpl)
			} else {
				problems = CheckApp(tpl, root)
			}
			if !strings.Contains(strings.Join(problems, "\n"), tc.wantProblem) {
				t.Fatalf("problems %q lack %q", problems, tc.wantProblem)
			}
		})
	}
	if p := CheckBuildspec([]byte("phases: {}")); len(p) < 2 {
		t.Fatalf("empty buildspec passed: %v", p)
	}
}
