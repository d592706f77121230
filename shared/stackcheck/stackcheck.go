// Package stackcheck holds selfaudit's own SAM template, pipeline template
// and buildspec to the operations rules the stack recommends to others:
// every function built by the Makefile, traced, alarmed, graphed on the
// stack's dashboard, with a place for failed events (an SQS trigger reports
// batch item failures from a queue with a dead-letter queue), shipped
// through the pre-traffic hook; the finding store reachable with least privilege; and
// every change to production passing a person's approval of a change set
// made by a deploy role that can create what the stack declares.
//
// The checks read the templates with AWS's own CloudFormation parser (rain),
// which accepts short-form intrinsics, so they see what CloudFormation sees.
package stackcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/aws-cloudformation/rain/cft/parse"
)

// Template is a parsed CloudFormation template in long form.
type Template struct {
	Path string
	Root map[string]any
}

// Load parses a template file.
func Load(path string) (*Template, error) {
	t, err := parse.File(path)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &Template{Path: path, Root: t.Map()}, nil
}

// Resources returns the Resources section.
func (t *Template) Resources() map[string]map[string]any {
	out := map[string]map[string]any{}
	for name, r := range asMap(t.Root["Resources"]) {
		out[name] = asMap(r)
	}
	return out
}

// OfType returns the logical IDs of resources of a type, sorted.
func (t *Template) OfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources() {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	switch l := v.(type) {
	case []any:
		return l
	case nil:
		return nil
	default:
		return []any{l}
	}
}

// get walks nested maps by key.
func get(v any, path ...string) any {
	for _, k := range path {
		v = asMap(v)[k]
	}
	return v
}

// refersTo reports whether v (any intrinsic tree) mentions logical ID id
// through Ref, Fn::GetAtt or Fn::Sub.
func refersTo(v any, id string) bool {
	return somewhere(v, func(node any) bool {
		m, _ := node.(map[string]any)
		for k, val := range m {
			switch k {
			case "Ref":
				if s, _ := val.(string); s == id || strings.HasPrefix(s, id+".") {
					return true
				}
			case "Fn::GetAtt":
				if l := asList(val); len(l) > 0 {
					if s, _ := l[0].(string); s == id || strings.HasPrefix(s, id+".") {
						return true
					}
				}
				if s, _ := val.(string); strings.HasPrefix(s, id+".") {
					return true
				}
			case "Fn::Sub":
				for _, part := range asList(val) {
					if s, ok := part.(string); ok && strings.Contains(s, "${"+id) {
						return true
					}
				}
			}
		}
		return false
	})
}

// mentions reports whether the string s appears anywhere in v.
func mentions(v any, s string) bool {
	return somewhere(v, func(node any) bool {
		str, ok := node.(string)
		return ok && strings.Contains(str, s)
	})
}

// somewhere reports whether match holds for v or for any map value or list
// element nested in it, however deep.
func somewhere(v any, match func(any) bool) bool {
	if match(v) {
		return true
	}
	switch x := v.(type) {
	case map[string]any:
		for _, val := range x {
			if somewhere(val, match) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if somewhere(e, match) {
				return true
			}
		}
	}
	return false
}

var samTarget = regexp.MustCompile(`sam_target,([A-Za-z0-9]+),([a-z0-9-]+)\)`)

// MakefileTargets maps SAM logical IDs to function folders from the
// Makefile's build-<LogicalId> targets.
func MakefileTargets(makefile []byte) map[string]string {
	out := map[string]string{}
	for _, m := range samTarget.FindAllSubmatch(makefile, -1) {
		out[string(m[1])] = string(m[2])
	}
	return out
}

// CheckApp returns every way the application template breaks the stack's
// rules, those of the finding store, the alert topic and the dashboard
// included (CheckFindingStore, CheckTopicPolicies, CheckDashboard). root is the repository folder (for function folders and the
// Makefile).
func CheckApp(t *Template, root string) []string {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	g := asMap(get(t.Root, "Globals", "Function"))
	for k, want := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap", "Tracing": "Active", "AutoPublishAlias": "live"} {
		if g[k] != want {
			add("Globals.Function.%s = %v, want %s", k, g[k], want)
		}
	}
	if a := asList(g["Architectures"]); len(a) != 1 || a[0] != "arm64" {
		add("Globals.Function.Architectures = %v, want [arm64]", g["Architectures"])
	}
	if get(g, "LoggingConfig", "LogFormat") != "JSON" {
		add("Globals.Function.LoggingConfig.LogFormat is not JSON")
	}

	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		add("read Makefile: %v", err)
	}
	targets := MakefileTargets(makefile)
	res := t.Resources()
	functions := t.OfType("AWS::Serverless::Function")
	if len(functions) == 0 {
		add("no AWS::Serverless::Function")
	}
	var hook string
	for _, id := range functions {
		if name := get(res[id], "Properties", "FunctionName"); name != nil && mentions(name, "CodeDeployHook_") {
			hook = id
		}
	}
	if hook == "" {
		add("no pre-traffic hook: a function whose FunctionName starts with CodeDeployHook_")
	}
	alarms := t.OfType("AWS::CloudWatch::Alarm")
	alarmOn := func(fn, metric string) []string {
		var ids []string
		for _, a := range alarms {
			p := asMap(res[a]["Properties"])
			if p["MetricName"] == metric && refersTo(p["Dimensions"], fn) {
				ids = append(ids, a)
				continue
			}
			for _, m := range asList(p["Metrics"]) {
				if get(m, "MetricStat", "Metric", "MetricName") == metric && refersTo(get(m, "MetricStat", "Metric", "Dimensions"), fn) {
					ids = append(ids, a)
					break
				}
			}
		}
		return ids
	}

	for _, id := range functions {
		r := res[id]
		p := asMap(r["Properties"])
		if get(r, "Metadata", "BuildMethod") != "makefile" {
			add("%s: Metadata.BuildMethod is not makefile", id)
		}
		folder, ok := targets[id]
		if !ok {
			add("%s: no build-%s target in the Makefile", id, id)
		} else if _, err := os.Stat(filepath.Join(root, "functions", folder, "main.go")); err != nil {
			add("%s: function folder functions/%s has no main.go", id, folder)
		}
		if p["DeadLetterQueue"] == nil && get(p, "EventInvokeConfig", "DestinationConfig", "OnFailure") == nil {
			add("%s: no DeadLetterQueue or on-failure destination", id)
		}
		if lg := get(p, "LoggingConfig", "LogGroup"); lg == nil {
			add("%s: no LoggingConfig.LogGroup with retention", id)
		} else {
			found := false
			for _, g := range t.OfType("AWS::Logs::LogGroup") {
				if refersTo(lg, g) && get(res[g], "Properties", "RetentionInDays") != nil {
					found = true
				}
			}
			if !found {
				add("%s: its log group has no RetentionInDays", id)
			}
		}
		for _, metric := range []string{"Errors", "Invocations", "Throttles", "DeadLetterErrors", "Duration"} {
			if len(alarmOn(id, metric)) == 0 {
				add("%s: no alarm on %s", id, metric)
			}
		}
		errorRate := false
		for _, a := range alarmOn(id, "Errors") {
			for _, m := range asList(get(res[a], "Properties", "Metrics")) {
				if e, _ := get(m, "Expression").(string); strings.Contains(e, "errors") && strings.Contains(e, "invocations") {
					errorRate = true
				}
			}
		}
		if !errorRate {
			add("%s: no error-rate alarm (Errors / Invocations metric math)", id)
		}
		scheduled := false
		for name, ev := range asMap(p["Events"]) {
			typ := get(ev, "Type")
			if typ == "Schedule" || typ == "ScheduleV2" {
				scheduled = true
			}
			if typ == "Schedule" || typ == "ScheduleV2" || typ == "EventBridgeRule" {
				if get(ev, "Properties", "RetryPolicy") == nil || get(ev, "Properties", "DeadLetterConfig") == nil {
					add("%s: event %s has no RetryPolicy and DeadLetterConfig", id, name)
				}
			}
		}
		problems = append(problems, checkSQSEvents(t, id, p, g)...)
		if scheduled {
			zero := false
			for _, a := range alarmOn(id, "Invocations") {
				if get(res[a], "Properties", "ComparisonOperator") == "LessThanThreshold" {
					zero = true
				}
			}
			if !zero {
				add("%s: scheduled but no alarm on zero invocations", id)
			}
		}
		if id == hook {
			if p["DeploymentPreference"] != nil {
				add("%s: the hook must not shift its own traffic through itself", id)
			}
			continue
		}
		dp := asMap(p["DeploymentPreference"])
		if dp == nil {
			add("%s: no DeploymentPreference", id)
			continue
		}
		if hook != "" && !refersTo(get(dp, "Hooks", "PreTraffic"), hook) {
			add("%s: DeploymentPreference does not name the pre-traffic hook %s", id, hook)
		}
		if len(asList(dp["Alarms"])) == 0 {
			add("%s: DeploymentPreference has no rollback alarms", id)
		}
		if !mentions(dp["Type"], "Canary10Percent5Minutes") {
			add("%s: production traffic does not shift with Canary10Percent5Minutes", id)
		}
	}

	for _, q := range t.OfType("AWS::SQS::Queue") {
		depth := false
		for _, a := range alarms {
			ap := asMap(res[a]["Properties"])
			if ap["MetricName"] == "ApproximateNumberOfMessagesVisible" && refersTo(ap["Dimensions"], q) {
				depth = true
			}
		}
		if !depth {
			add("%s: no alarm on visible messages", q)
		}
	}
	for _, rule := range t.OfType("AWS::Events::Rule") {
		for _, target := range asList(get(res[rule], "Properties", "Targets")) {
			if get(target, "DeadLetterConfig") == nil || get(target, "RetryPolicy") == nil {
				add("%s: target %v has no RetryPolicy and DeadLetterConfig", rule, get(target, "Id"))
			}
		}
	}
	if len(t.OfType("AWS::Events::EventBus")) == 0 {
		add("no findings bus (AWS::Events::EventBus)")
	}
	outputs := asMap(t.Root["Outputs"])
	for _, id := range functions {
		found := false
		for _, o := range outputs {
			if refersTo(get(o, "Value"), id) {
				found = true
			}
		}
		if !found {
			add("Outputs: nothing names %s", id)
		}
	}
	if !mentions(outputs, "aws lambda invoke") {
		add("Outputs: no operator command to invoke the replayer")
	}
	problems = append(problems, CheckFindingStore(t)...)
	problems = append(problems, CheckTopicPolicies(t)...)
	problems = append(problems, CheckDashboard(t)...)
	sort.Strings(problems)
	return problems
}

// checkSQSEvents holds a function's SQS triggers to the rules that keep
// every message: the function reports batch item failures (so one bad
// message does not send the whole batch round again, nor hide in it), the
// queue hands messages that keep failing to a dead-letter queue, and it
// hides a message in flight at least as long as the function may run.
// fn is the function's logical ID, p its properties, globals the template's
// Globals.Function.
func checkSQSEvents(t *Template, fn string, p, globals map[string]any) []string {
	var problems []string
	res := t.Resources()
	timeout := number(p["Timeout"])
	if timeout == 0 {
		timeout = number(globals["Timeout"])
	}
	for name, ev := range asMap(p["Events"]) {
		if get(ev, "Type") != "SQS" {
			continue
		}
		ep := asMap(get(ev, "Properties"))
		reports := false
		for _, rt := range asList(ep["FunctionResponseTypes"]) {
			reports = reports || rt == "ReportBatchItemFailures"
		}
		if !reports {
			problems = append(problems, fmt.Sprintf("%s: SQS event %s does not report batch item failures (FunctionResponseTypes: [ReportBatchItemFailures])", fn, name))
		}
		for _, q := range t.OfType("AWS::SQS::Queue") {
			if !refersTo(ep["Queue"], q) {
				continue
			}
			qp := asMap(res[q]["Properties"])
			if get(qp, "RedrivePolicy", "deadLetterTargetArn") == nil {
				problems = append(problems, fmt.Sprintf("%s: queue %s of SQS event %s has no RedrivePolicy to a dead-letter queue", fn, q, name))
			}
			if v := number(qp["VisibilityTimeout"]); v < timeout {
				problems = append(problems, fmt.Sprintf("%s: queue %s hides a message %v s, less than the function's timeout of %v s", fn, q, v, timeout))
			}
		}
	}
	return problems
}

// number reads a template number, written as a number or a string.
func number(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case float64:
		return n
	case string:
		var f float64
		_, _ = fmt.Sscan(n, &f)
		return f
	}
	return 0
}

// CheckPipeline returns every way the pipeline template fails to put a
// reviewed change set between the build and production.
func CheckPipeline(t *Template) []string {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	res := t.Resources()
	pipes := t.OfType("AWS::CodePipeline::Pipeline")
	if len(pipes) != 1 {
		add("want one AWS::CodePipeline::Pipeline, found %d", len(pipes))
		return problems
	}
	p := asMap(res[pipes[0]]["Properties"])
	if p["PipelineType"] != "V2" {
		add("PipelineType = %v, want V2", p["PipelineType"])
	}
	var stages []string
	actions := map[string][]map[string]any{}
	for _, s := range asList(p["Stages"]) {
		name, _ := get(s, "Name").(string)
		stages = append(stages, name)
		for _, a := range asList(get(s, "Actions")) {
			actions[name] = append(actions[name], asMap(a))
		}
	}
	if strings.Join(stages, ",") != "Source,Build,DeployDev,Prod" {
		add("stages = %v, want Source, Build, DeployDev, Prod", stages)
	}
	if len(actions["Source"]) == 0 || get(actions["Source"][0], "ActionTypeId", "Provider") != "CodeStarSourceConnection" {
		add("Source is not a CodeStar connection")
	}
	if len(actions["Build"]) == 0 || get(actions["Build"][0], "ActionTypeId", "Provider") != "CodeBuild" {
		add("Build is not CodeBuild")
	}
	order := func(stage, what string, match func(map[string]any) bool) (int, map[string]any) {
		for _, a := range actions[stage] {
			if match(a) {
				n, _ := a["RunOrder"].(int)
				if f, ok := a["RunOrder"].(float64); ok {
					n = int(f)
				}
				if n == 0 {
					n = 1
				}
				return n, a
			}
		}
		add("%s: no %s action", stage, what)
		return -1, nil
	}
	mode := func(m string) func(map[string]any) bool {
		return func(a map[string]any) bool { return get(a, "Configuration", "ActionMode") == m }
	}
	for _, stage := range []string{"DeployDev", "Prod"} {
		create, c := order(stage, "CHANGE_SET_REPLACE", mode("CHANGE_SET_REPLACE"))
		exec, e := order(stage, "CHANGE_SET_EXECUTE", mode("CHANGE_SET_EXECUTE"))
		if c != nil && e != nil {
			if exec <= create {
				add("%s: the change set executes before or with its creation", stage)
			}
			if fmt.Sprint(get(c, "Configuration", "ChangeSetName")) != fmt.Sprint(get(e, "Configuration", "ChangeSetName")) {
				add("%s: created and executed change sets differ", stage)
			}
		}
		if stage != "Prod" {
			continue
		}
		approve, a := order(stage, "Manual approval", func(a map[string]any) bool {
			return get(a, "ActionTypeId", "Category") == "Approval" && get(a, "ActionTypeId", "Provider") == "Manual"
		})
		if a != nil {
			if !(create < approve && approve < exec) {
				add("Prod: the approval (run order %d) does not sit between change-set creation (%d) and execution (%d)", approve, create, exec)
			}
			if get(a, "Configuration", "NotificationArn") == nil {
				add("Prod: the approval notifies nobody")
			}
			if c != nil && !mentionsChangeSet(get(a, "Configuration", "CustomData"), get(c, "Configuration", "ChangeSetName")) {
				add("Prod: the approval message does not name the change set")
			}
		}
	}
	for _, b := range t.OfType("AWS::S3::Bucket") {
		if get(res[b], "Properties", "BucketEncryption") == nil {
			add("%s: artifact bucket is not encrypted", b)
		}
	}
	sort.Strings(problems)
	return problems
}

// mentionsChangeSet compares the approval text with the change set name,
// both possibly Fn::Sub strings.
func mentionsChangeSet(customData, name any) bool {
	n := fmt.Sprint(name)
	if m := asMap(name); m != nil {
		n = fmt.Sprint(m["Fn::Sub"])
	}
	return mentions(customData, n)
}

// CheckBuildspec returns the gates the buildspec lacks.
func CheckBuildspec(buildspec []byte) []string {
	var problems []string
	s := string(buildspec)
	scan := regexp.MustCompile(`selfaudit scan[^\n]*--fail-on medium[^\n]*template\.yaml pipeline\.yaml`)
	if !scan.MatchString(s) {
		problems = append(problems, "buildspec: no `selfaudit scan ... --fail-on medium ... template.yaml pipeline.yaml` gate")
	}
	for _, want := range []string{"make lint test", "sam build", "sam package", "packaged.yaml"} {
		if !strings.Contains(s, want) {
			problems = append(problems, "buildspec: missing "+want)
		}
	}
	return problems
}

// ResourceTypeLookup tells whether an IAM action supports resource-level
// permissions (iampolicy.LookupAction's ResourceTypes).
type ResourceTypeLookup func(action string) (supports, known bool)

// CheckWildcardResources returns each Allow statement of the template's
// roles that grants on Resource "*" an action which supports resource-level
// permissions: such an action can always be scoped.
func CheckWildcardResources(t *Template, lookup ResourceTypeLookup) []string {
	var problems []string
	res := t.Resources()
	for _, id := range t.OfType("AWS::IAM::Role") {
		for _, pol := range asList(get(res[id], "Properties", "Policies")) {
			for _, st := range asList(get(pol, "PolicyDocument", "Statement")) {
				if get(st, "Effect") != "Allow" {
					continue
				}
				star := false
				for _, r := range asList(get(st, "Resource")) {
					if r == "*" {
						star = true
					}
				}
				if !star {
					continue
				}
				for _, a := range asList(get(st, "Action")) {
					name, _ := a.(string)
					if supports, known := lookup(name); !known || supports {
						problems = append(problems, fmt.Sprintf("%s: %s on Resource \"*\" can be scoped to resources", id, name))
					}
				}
			}
		}
	}
	sort.Strings(problems)
	return problems
}
