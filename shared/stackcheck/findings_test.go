package stackcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/internal/testenv"
)

// loadApp parses template.yaml, or a copy of it with old replaced by new.
func loadApp(t *testing.T, old, new string) *Template {
	t.Helper()
	path := filepath.Join(testenv.ModuleRoot(t), "template.yaml")
	if old != "" {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), old) {
			t.Fatalf("fixture text %q not found", old)
		}
		path = filepath.Join(t.TempDir(), "t.yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(string(src), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tpl, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func sortedStrings(v any) []string {
	var out []string
	for _, e := range asList(v) {
		s, _ := e.(string)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// findingRulePatterns is the contract of the findings bus's alert rules:
// a person hears of a severe finding when it is new or back (and, by
// severeAlternatives, when an open finding escalates into it), and of any
// finding when it is resolved.
var findingRulePatterns = []struct {
	rule string
	path []string
	want []string
}{
	{"SevereFindingsRule", []string{"source"}, []string{"selfaudit"}},
	{"SevereFindingsRule", []string{"detail-type"}, []string{"Selfaudit Finding"}},
	{"SevereFindingsRule", []string{"detail", "severity"}, []string{"CRITICAL", "HIGH"}},
	{"ResolvedFindingsRule", []string{"source"}, []string{"selfaudit"}},
	{"ResolvedFindingsRule", []string{"detail-type"}, []string{"Selfaudit Finding"}},
	{"ResolvedFindingsRule", []string{"detail", "status"}, []string{"RESOLVED"}},
}

// severeAlternatives is the $or of SevereFindingsRule's detail: a severe
// finding is mailed when it is new or reopened, or when it was of another
// severity than CRITICAL before an escalation (an OPEN event carries
// previousSeverity only on a severity change), so a step down from
// CRITICAL to HIGH stays quiet.
var severeAlternatives = []any{
	map[string]any{"status": []any{"NEW", "REOPENED"}},
	map[string]any{"previousSeverity": []any{map[string]any{"anything-but": []any{"CRITICAL"}}}},
}

// findingRuleProblems holds a template to findingRulePatterns and the
// resolved rule to the conventions of the severe one: same topic, same
// retries, a dead-letter queue, its own message, and a parameter that
// turns it off.
func findingRuleProblems(tpl *Template) []string {
	var problems []string
	res := tpl.Resources()
	for _, c := range findingRulePatterns {
		r, ok := res[c.rule]
		if !ok {
			problems = append(problems, c.rule+": missing")
			continue
		}
		pattern := get(r, append([]string{"Properties", "EventPattern"}, c.path...)...)
		if got := sortedStrings(pattern); !reflect.DeepEqual(got, c.want) {
			problems = append(problems, c.rule+": EventPattern."+strings.Join(c.path, ".")+" = "+strings.Join(got, ",")+", want "+strings.Join(c.want, ","))
		}
	}
	severe, resolved := res["SevereFindingsRule"], res["ResolvedFindingsRule"]
	if severe == nil || resolved == nil {
		return problems
	}
	if got := get(severe, "Properties", "EventPattern", "detail", "$or"); !reflect.DeepEqual(got, severeAlternatives) {
		problems = append(problems, fmt.Sprintf("SevereFindingsRule: EventPattern.detail.$or = %v, want %v", got, severeAlternatives))
	}
	if len(asMap(get(severe, "Properties", "EventPattern", "detail"))) != 2 {
		problems = append(problems, "SevereFindingsRule: the detail pattern matches more than severity and the $or of status and previousSeverity")
	}
	if len(asMap(get(resolved, "Properties", "EventPattern", "detail"))) != 1 {
		problems = append(problems, "ResolvedFindingsRule: the detail pattern matches more than status")
	}
	st := asMap(asList(get(severe, "Properties", "Targets"))[0])
	rt := asMap(asList(get(resolved, "Properties", "Targets"))[0])
	if !reflect.DeepEqual(st["Arn"], rt["Arn"]) {
		problems = append(problems, "ResolvedFindingsRule: does not send to the severe findings' topic")
	}
	if rt["RetryPolicy"] == nil || !reflect.DeepEqual(st["RetryPolicy"], rt["RetryPolicy"]) {
		problems = append(problems, "ResolvedFindingsRule: RetryPolicy differs from SevereFindingsRule's")
	}
	if dlq, _ := get(rt, "DeadLetterConfig", "Arn", "Fn::GetAtt").([]any); len(dlq) == 0 || get(res[dlq[0].(string)], "Type") != "AWS::SQS::Queue" {
		problems = append(problems, "ResolvedFindingsRule: no dead-letter queue")
	}
	if got := get(rt, "InputTransformer", "InputTemplate"); got != `"RESOLVED <check>: <title> on <resource>"` {
		problems = append(problems, "ResolvedFindingsRule: InputTemplate = "+strings.TrimSpace(toString(got)))
	}
	for _, k := range []string{"check", "title", "resource"} {
		if get(rt, "InputTransformer", "InputPathsMap", k) != "$.detail."+k {
			problems = append(problems, "ResolvedFindingsRule: InputPathsMap lacks "+k)
		}
	}
	cond, _ := resolved["Condition"].(string)
	def := get(tpl.Root, "Conditions", cond)
	param := get(tpl.Root, "Parameters", "NotifyResolved")
	switch {
	case cond == "" || def == nil:
		problems = append(problems, "ResolvedFindingsRule: no Condition to turn it off")
	case !refersTo(def, "NotifyResolved"):
		problems = append(problems, "ResolvedFindingsRule: Condition "+cond+" does not read the NotifyResolved parameter")
	case get(param, "Default") != "true":
		problems = append(problems, "NotifyResolved: resolutions are not sent by default")
	}
	return problems
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

func TestTemplateFindingRules(t *testing.T) {
	if p := findingRuleProblems(loadApp(t, "", "")); len(p) > 0 {
		t.Fatalf("template.yaml: %q", p)
	}
	// Each case breaks the contract once and must be caught.
	tests := map[string]struct{ old, new, want string }{
		"open findings mailed":    {old: "status: [NEW, REOPENED]", new: "status: [NEW, OPEN, REOPENED]", want: "SevereFindingsRule: EventPattern.detail.$or"},
		"step down mailed":        {old: "previousSeverity: [{anything-but: [CRITICAL]}]", new: "previousSeverity: [{exists: true}]", want: "SevereFindingsRule: EventPattern.detail.$or"},
		"escalation not mailed":   {old: "            - previousSeverity: [{anything-but: [CRITICAL]}]\n", new: "", want: "SevereFindingsRule: EventPattern.detail.$or"},
		"status outside the or":   {old: "          $or:\n            - status: [NEW, REOPENED]\n            - previousSeverity: [{anything-but: [CRITICAL]}]\n", new: "          status: [NEW, REOPENED]\n", want: "SevereFindingsRule: EventPattern.detail.$or"},
		"medium mailed":           {old: "severity: [CRITICAL, HIGH]", new: "severity: [CRITICAL, HIGH, MEDIUM]", want: "EventPattern.detail.severity"},
		"status not matched":      {old: "            - status: [NEW, REOPENED]\n", new: "", want: "EventPattern.detail.$or"},
		"resolved rule gone":      {old: "  ResolvedFindingsRule:\n", new: "  ResolvedRule:\n", want: "ResolvedFindingsRule: missing"},
		"resolved retried less":   {old: "86400\n          DeadLetterConfig:\n            Arn: !GetAtt RuleTargetDLQ.Arn\n          InputTransformer:\n            InputPathsMap:\n              check:", new: "3600\n          DeadLetterConfig:\n            Arn: !GetAtt RuleTargetDLQ.Arn\n          InputTransformer:\n            InputPathsMap:\n              check:", want: "RetryPolicy differs"},
		"resolved without dlq":    {old: "          DeadLetterConfig:\n            Arn: !GetAtt RuleTargetDLQ.Arn\n          InputTransformer:\n            InputPathsMap:\n              check:", new: "          InputTransformer:\n            InputPathsMap:\n              check:", want: "no dead-letter queue"},
		"resolved without off":    {old: "    Condition: NotifiesResolved\n    Properties:\n      EventBusName", new: "    Properties:\n      EventBusName", want: "no Condition"},
		"resolved off by default": {old: "    Default: \"true\"\n    Description: Also send", new: "    Default: \"false\"\n    Description: Also send", want: "not sent by default"},
		"resolved message":        {old: `"RESOLVED <check>: <title> on <resource>"`, new: `"<check> resolved"`, want: "InputTemplate"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := strings.Join(findingRuleProblems(loadApp(t, tc.old, tc.new)), "\n")
			if !strings.Contains(got, tc.want) {
				t.Fatalf("problems %q lack %q", got, tc.want)
			}
		})
	}
}

func TestTemplateFindingStore(t *testing.T) {
	tpl := loadApp(t, "", "")
	if got := tpl.FindingsTables(); !reflect.DeepEqual(got, []string{"FindingsTable"}) {
		t.Fatalf("findings tables = %v, want [FindingsTable]", got)
	}
	for _, p := range CheckFindingStore(tpl) {
		t.Error(p)
	}
	// The posture runs remember their findings, and the CloudTrail
	// checker reads the administrators the IAM scanner records there; the
	// other functions do not touch the store.
	users := map[string]bool{
		"IamWildcardScanner":       true,
		"LambdaFleetAuditor":       true,
		"CloudTrailAnomalyChecker": true,
		"DlqReplayer":              false,
		"PreTrafficHook":           false,
		"SecurityHubExporter":      false,
		"OrgCoordinator":           false,
	}
	fns := tpl.OfType("AWS::Serverless::Function")
	if len(fns) != len(users) {
		t.Errorf("functions %v, want a store decision for each of %d", fns, len(users))
	}
	for _, fn := range fns {
		_, given := asMap(get(tpl.Resources()[fn], "Properties", "Environment", "Variables"))[FindingsTableEnv]
		if given != users[fn] {
			t.Errorf("%s: %s given = %v, want %v", fn, FindingsTableEnv, given, users[fn])
		}
	}
}

// dashboardFindingMetrics are the metrics the functions write in EMF (the
// Selfaudit namespace) that the dashboard graphs, each summed per day: the
// open findings gauge per severity (one value per full-scope run and scope),
// and the new and resolved counts, without dimensions.
var dashboardFindingMetrics = []struct {
	name       string
	dimensions map[string]string
	stat       string
	period     int
}{
	{"OpenFindings", map[string]string{"Severity": "CRITICAL"}, "Sum", 86400},
	{"OpenFindings", map[string]string{"Severity": "HIGH"}, "Sum", 86400},
	{"OpenFindings", map[string]string{"Severity": "MEDIUM"}, "Sum", 86400},
	{"OpenFindings", map[string]string{"Severity": "LOW"}, "Sum", 86400},
	{"OpenFindings", map[string]string{"Severity": "INFO"}, "Sum", 86400},
	{"NewFindings", map[string]string{}, "Sum", 86400},
	{"ResolvedFindings", map[string]string{}, "Sum", 86400},
}

func TestTemplateDashboard(t *testing.T) {
	tpl := loadApp(t, "", "")
	for _, p := range CheckDashboard(tpl) {
		t.Error(p)
	}
	metrics, err := DashboardOf(tpl)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range dashboardFindingMetrics {
		found := false
		for _, m := range metrics {
			if m.Namespace == "Selfaudit" && m.Name == want.name && reflect.DeepEqual(m.Dimensions, want.dimensions) && m.Stat == want.stat && m.Period == want.period {
				found = true
			}
		}
		if !found {
			t.Errorf("no Selfaudit/%s %v graphed as %s over %d s", want.name, want.dimensions, want.stat, want.period)
		}
	}
	for _, m := range metrics {
		if m.Namespace == "AWS/Lambda" || m.Namespace == "AWS/SQS" {
			continue
		}
		if m.Namespace != "Selfaudit" {
			t.Errorf("%s: metric of namespace %s", m.Widget, m.Namespace)
		}
	}
}

func TestSubPlaceholders(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"in a string":      {in: `{"a": "${Fn}"}`, want: `{"a": "<Fn>"}`},
		"attribute":        {in: `{"a": "x ${Q.QueueName} y"}`, want: `{"a": "x <Q.QueueName> y"}`},
		"pseudo parameter": {in: `{"region": "${AWS::Region}"}`, want: `{"region": "<AWS::Region>"}`},
		"outside a string": {in: `{"period": ${Period}}`, want: `{"period": 0}`},
		"escaped quote":    {in: `{"a": "\"${X}\"", "b": ${Y}}`, want: `{"a": "\"<X>\"", "b": 0}`},
		"literal":          {in: `{"a": "${!Literal}"}`, want: `{"a": "${Literal}"}`},
		"unterminated":     {in: `{"a": "${X`, want: `{"a": "${X`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := SubPlaceholders(tc.in); got != tc.want {
				t.Fatalf("SubPlaceholders(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestDashboardMetrics(t *testing.T) {
	tests := map[string]struct {
		body        string
		wantProblem string
		wantMetrics []DashboardMetric
	}{
		"not json":          {body: `{"widgets": [`, wantProblem: "not JSON"},
		"empty":             {body: `{"widgets": []}`, wantProblem: "no widgets"},
		"no type":           {body: `{"widgets": [{"properties": {}}]}`, wantProblem: "no type"},
		"no region":         {body: `{"widgets": [{"type": "metric", "properties": {"stat": "Sum", "period": 60, "metrics": [["N", "M"]]}}]}`, wantProblem: "no region"},
		"no array":          {body: `{"widgets": [{"type": "metric", "properties": {"region": "r"}}]}`, wantProblem: "no metrics array"},
		"no stat":           {body: `{"widgets": [{"type": "metric", "properties": {"region": "r", "period": 60, "metrics": [["N", "M"]]}}]}`, wantProblem: "has no stat"},
		"no period":         {body: `{"widgets": [{"type": "metric", "properties": {"region": "r", "stat": "Sum", "metrics": [["N", "M"]]}}]}`, wantProblem: "has no period"},
		"odd dims":          {body: `{"widgets": [{"type": "metric", "properties": {"region": "r", "stat": "Sum", "period": 60, "metrics": [["N", "M", "D"]]}}]}`, wantProblem: "is not [namespace"},
		"text widgets pass": {body: `{"widgets": [{"type": "text", "properties": {"markdown": "x"}}]}`},
		"shorthand and options": {
			body: `{"widgets": [{"type": "metric", "properties": {"title": "w", "region": "r", "stat": "Sum", "period": 60, "metrics": [
				["AWS/Lambda", "Duration", "FunctionName", "<A>", {"stat": "p99"}],
				[".", ".", ".", "<B>", {"period": 300}],
				[{"expression": "m1 + m2"}]]}}]}`,
			wantMetrics: []DashboardMetric{
				{Widget: "w", Region: "r", Namespace: "AWS/Lambda", Name: "Duration", Dimensions: map[string]string{"FunctionName": "<A>"}, Stat: "p99", Period: 60},
				{Widget: "w", Region: "r", Namespace: "AWS/Lambda", Name: "Duration", Dimensions: map[string]string{"FunctionName": "<B>"}, Stat: "Sum", Period: 300},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			metrics, problems := DashboardMetrics(tc.body)
			got := strings.Join(problems, "\n")
			if tc.wantProblem == "" && got != "" {
				t.Fatalf("problems %q, want none", got)
			}
			if !strings.Contains(got, tc.wantProblem) {
				t.Fatalf("problems %q lack %q", got, tc.wantProblem)
			}
			if tc.wantMetrics != nil && !reflect.DeepEqual(metrics, tc.wantMetrics) {
				t.Fatalf("metrics = %+v, want %+v", metrics, tc.wantMetrics)
			}
		})
	}
}

// TestFindingChecksCatchBreakage proves the finding store, topic policy and
// dashboard rules of CheckApp can fail: each case breaks one in a copy of
// template.yaml.
func TestFindingChecksCatchBreakage(t *testing.T) {
	root := testenv.ModuleRoot(t)
	tests := map[string]struct{ old, new, want string }{
		"table without ttl": {
			old:  "NonKeyAttributes: [severity, status]\n      TimeToLiveSpecification:\n        AttributeName: expiresAt",
			new:  "NonKeyAttributes: [severity, status]\n      TimeToLiveSpecification:\n        AttributeName: ttl",
			want: "FindingsTable: TimeToLiveSpecification.AttributeName = ttl",
		},
		"table without pitr": {
			old:  "        PointInTimeRecoveryEnabled: true\n      SSESpecification:\n        SSEEnabled: true\n\n  # CodeDeploy",
			new:  "        PointInTimeRecoveryEnabled: false\n      SSESpecification:\n        SSEEnabled: true\n\n  # CodeDeploy",
			want: "FindingsTable: PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled",
		},
		"table provisioned": {
			old:  "  FindingsTable:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PAY_PER_REQUEST",
			new:  "  FindingsTable:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PROVISIONED",
			want: "FindingsTable: BillingMode",
		},
		"scan added":                   {old: "Action: [dynamodb:GetItem, dynamodb:UpdateItem]", new: "Action: [dynamodb:GetItem, dynamodb:UpdateItem, dynamodb:Scan]", want: "IamWildcardScanner: role IamScannerRole grants"},
		"every index":                  {old: `"${FindingsTable.Arn}/index/openByScope"`, new: `"${FindingsTable.Arn}/index/*"`, want: "IamWildcardScanner: role IamScannerRole grants"},
		"access without the variable":  {old: "SELFAUDIT_INVOKED_ASYNC: \"true\"\n          FINDINGS_TABLE_NAME: !Ref FindingsTable\n", new: "SELFAUDIT_INVOKED_ASYNC: \"true\"\n", want: "LambdaFleetAuditor: role FleetAuditorRole grants"},
		"admins read unlimited":        {old: "                Condition:\n                  ForAllValues:StringLike:\n                    dynamodb:LeadingKeys: [\"admins#*\"]\n", new: "", want: "CloudTrailAnomalyChecker: role CloudTrailCheckerRole may read every item"},
		"admins read too wide":         {old: `dynamodb:LeadingKeys: ["admins#*"]`, new: `dynamodb:LeadingKeys: ["*"]`, want: "CloudTrailAnomalyChecker: role CloudTrailCheckerRole may read every item"},
		"admins reader queries":        {old: "                Action: dynamodb:GetItem\n                Resource: !GetAtt FindingsTable.Arn\n                Condition:", new: "                Action: [dynamodb:GetItem, dynamodb:Query]\n                Resource: !GetAtt FindingsTable.Arn\n                Condition:", want: "CloudTrailAnomalyChecker: role CloudTrailCheckerRole grants"},
		"variable names another table": {old: "SELFAUDIT_INVOKED_ASYNC: \"true\"\n          FINDINGS_TABLE_NAME: !Ref FindingsTable\n", new: "SELFAUDIT_INVOKED_ASYNC: \"true\"\n          FINDINGS_TABLE_NAME: !Ref BaselineTable\n", want: "LambdaFleetAuditor: FINDINGS_TABLE_NAME"},
		"topic closed to the resolved rule": {
			old:  "aws:SourceArn: !GetAtt ResolvedFindingsRule.Arn",
			new:  "aws:SourceArn: !GetAtt SevereFindingsRule.Arn",
			want: "ResolvedFindingsRule: the policy of topic AlertTopic does not allow the rule to publish under Condition NotifiesResolved",
		},
		"function without a graph": {
			old:  `["AWS/Lambda", "Duration", "FunctionName", "${DlqReplayer}", {"label": "dlq-replayer"}],` + "\n",
			new:  "",
			want: "no widget graphs Duration p99 of DlqReplayer",
		},
		"conditional function without a graph": {
			old:  `["AWS/Lambda", "Invocations", "FunctionName", "${AWS::StackName}-securityhub-exporter", {"label": "securityhub-exporter"}]`,
			new:  `["AWS/Lambda", "Invocations", "FunctionName", "${AWS::StackName}-other", {"label": "securityhub-exporter"}]`,
			want: "no widget graphs Invocations of SecurityHubExporter",
		},
		"conditional queue without a graph": {old: `"${AWS::StackName}-securityhub-export-dlq"`, new: `"${AWS::StackName}-other"`, want: "visible messages of SecurityHubExportDLQ"},
		"duration not p99":                  {old: `"stat": "p99",`, new: `"stat": "Average",`, want: "no widget graphs Duration p99 of CloudTrailAnomalyChecker"},
		"queue without a graph":             {old: `"${ParkingQueue.QueueName}"`, new: `"${ReplayerDLQ.QueueName}"`, want: "visible messages of ParkingQueue"},
		"new queue":                         {old: "  RuleTargetDLQPolicy:\n", new: "  ExtraQueue:\n    Type: AWS::SQS::Queue\n\n  RuleTargetDLQPolicy:\n", want: "visible messages of ExtraQueue"},
		"body not json":                     {old: `"periodOverride": "auto",`, new: `"periodOverride": "auto",,`, want: "not JSON"},
		"fixed region":                      {old: `"region": "${AWS::Region}",`, new: `"region": "us-east-1",`, want: "takes region us-east-1"},
		"no dashboard link":                 {old: "#dashboards/dashboard/${OperationsDashboard}", new: "", want: "no console URL of OperationsDashboard"},
		"dashboard unnamed":                 {old: `DashboardName: !Sub "${AWS::StackName}-${AWS::Region}"`, new: `DashboardName: selfaudit`, want: "not named after the stack"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := strings.Join(CheckApp(loadApp(t, tc.old, tc.new), root), "\n")
			if !strings.Contains(got, tc.want) {
				t.Fatalf("problems %q lack %q", got, tc.want)
			}
		})
	}
}

// TestPipelineDeploysTheStack: the pipeline's deploy role can make every
// kind of resource template.yaml declares, the findings table's recovery
// and the region-less dashboard ARN included; and the check fails on a
// role that cannot.
func TestPipelineDeploysTheStack(t *testing.T) {
	root := testenv.ModuleRoot(t)
	app := loadApp(t, "", "")
	load := func(old, new string) *Template {
		src, err := os.ReadFile(filepath.Join(root, "pipeline.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), old) {
			t.Fatalf("fixture text %q not found", old)
		}
		path := filepath.Join(t.TempDir(), "p.yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(string(src), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		tpl, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return tpl
	}
	tests := map[string]struct{ old, new, want string }{
		"as it is":           {old: "DeployRole:", new: "DeployRole:"},
		"no pitr":            {old: "                  - dynamodb:UpdateContinuousBackups\n", new: "", want: "AWS::DynamoDB::Table: DeployRole cannot dynamodb:UpdateContinuousBackups"},
		"regional dashboard": {old: `cloudwatch::${AWS::AccountId}:dashboard/${ProdStackName}-*`, new: `cloudwatch:${AWS::Region}:${AWS::AccountId}:dashboard/${ProdStackName}-*`, want: "cloudwatch:PutDashboard on cloudwatch::${AWS::AccountId}:dashboard/ resources of ${ProdStackName}"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := strings.Join(CheckDeployRole(load(tc.old, tc.new), "DeployRole", app), "\n")
			if tc.want == "" {
				if got != "" {
					t.Fatal(got)
				}
				return
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("problems %q lack %q", got, tc.want)
			}
		})
	}
	withStream := loadApp(t, "  RuleTargetDLQPolicy:\n", "  Stream:\n    Type: AWS::Kinesis::Stream\n\n  RuleTargetDLQPolicy:\n")
	if got := strings.Join(CheckDeployRole(load("DeployRole:", "DeployRole:"), "DeployRole", withStream), "\n"); !strings.Contains(got, "AWS::Kinesis::Stream: the stack uses it") {
		t.Fatalf("a new resource type passed: %q", got)
	}
}
