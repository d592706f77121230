package suppress

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Template is the part of a parsed template FromTemplate reads;
// *cfntemplate.File implements it. An interface rather than the type, so
// that a function, which reads suppressions from a parameter and never a
// template, does not link the template parser.
type Template interface {
	IsTemplate() bool
	// Value is the document as maps, slices and strings.
	Value() any
	// Line is the line of the node at a JSON pointer.
	Line(pointer string) int
}

// pointer joins tokens into a JSON pointer, escaping "~" and "/".
func pointer(base string, tokens ...string) string {
	var b strings.Builder
	b.WriteString(base)
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapePointer(t))
	}
	return b.String()
}

// Mapping says which selfaudit checks mean the same as a rule of another
// tool, so that its suppression in a template's Metadata counts for them.
type Mapping struct {
	Rule   string
	Checks []string
	// Part narrows the mapping to a role's trust policy or to its
	// permissions policies, where the other rule looks at only one.
	Part Part
	// Meaning is the other tool's wording of its rule.
	Meaning string
}

// CfnNagRules maps cfn_nag rules (Metadata.cfn_nag.rules_to_suppress) onto
// selfaudit checks. The pairs are those of the cfn_nag agreement test of
// shared/iamscan, narrowed to the checks that mean the same: F3 (Action "*"
// on a role) covers IAM001 and IAM002, but a W11 suppression (a "*"
// resource) accepts write actions on every resource (IAM006), not every
// action, and F38 (iam:PassRole on "*") accepts IAM004 only.
var CfnNagRules = []Mapping{
	{Rule: "F2", Checks: []string{"IAM002", "IAM008"}, Part: TrustPolicy, Meaning: "IAM role should not allow * action on its trust policy"},
	{Rule: "W14", Checks: []string{"IAM003", "IAM008"}, Part: TrustPolicy, Meaning: "IAM role should not allow Allow+NotAction on trust permissions"},
	{Rule: "F3", Checks: []string{"IAM001", "IAM002"}, Part: PermissionsPolicy, Meaning: "IAM role should not allow * action on its permissions policy"},
	{Rule: "F4", Checks: []string{"IAM001", "IAM002"}, Meaning: "IAM policy should not allow * action"},
	{Rule: "F5", Checks: []string{"IAM001", "IAM002"}, Meaning: "IAM managed policy should not allow * action"},
	{Rule: "W11", Checks: []string{"IAM006"}, Part: PermissionsPolicy, Meaning: "IAM role should not allow * resource on its permissions policy"},
	{Rule: "W12", Checks: []string{"IAM006"}, Meaning: "IAM policy should not allow * resource"},
	{Rule: "W13", Checks: []string{"IAM006"}, Meaning: "IAM managed policy should not allow * resource"},
	{Rule: "W15", Checks: []string{"IAM003"}, Part: PermissionsPolicy, Meaning: "IAM role should not allow Allow+NotAction"},
	{Rule: "W16", Checks: []string{"IAM003"}, Meaning: "IAM policy should not allow Allow+NotAction"},
	{Rule: "W17", Checks: []string{"IAM003"}, Meaning: "IAM managed policy should not allow Allow+NotAction"},
	{Rule: "W21", Checks: []string{"IAM007"}, Part: PermissionsPolicy, Meaning: "IAM role should not allow Allow+NotResource"},
	{Rule: "W22", Checks: []string{"IAM007"}, Meaning: "IAM policy should not allow Allow+NotResource"},
	{Rule: "W23", Checks: []string{"IAM007"}, Meaning: "IAM managed policy should not allow Allow+NotResource"},
	{Rule: "F38", Checks: []string{"IAM004"}, Part: PermissionsPolicy, Meaning: "IAM role should not allow * resource with PassRole action on its permissions policy"},
	{Rule: "F39", Checks: []string{"IAM004"}, Meaning: "IAM policy should not allow * resource with PassRole action"},
	{Rule: "F40", Checks: []string{"IAM004"}, Meaning: "IAM managed policy should not allow a * resource with PassRole action"},
	{Rule: "F13", Checks: []string{"LMB001"}, Meaning: "Lambda permission principal should not be wildcard"},
}

// CheckovRules maps checkov's CloudFormation checks (Metadata.checkov.skip)
// onto selfaudit checks. CKV_AWS_107 (credentials exposure), CKV_AWS_108
// (data exfiltration) and CKV_AWS_109 (permissions management) judge
// action lists selfaudit has no check for, so they map to nothing.
var CheckovRules = []Mapping{
	{Rule: "CKV_AWS_60", Checks: []string{"IAM008"}, Part: TrustPolicy, Meaning: "Ensure IAM role allows only specific services or principals to assume it"},
	{Rule: "CKV_AWS_62", Checks: []string{"IAM001"}, Meaning: `Ensure no IAM policies that allow full "*-*" administrative privileges are not created`},
	{Rule: "CKV_AWS_63", Checks: []string{"IAM001"}, Meaning: `Ensure no IAM policies documents allow "*" as a statement's actions`},
	{Rule: "CKV_AWS_110", Checks: []string{"IAM005"}, Meaning: "Ensure IAM policies does not allow privilege escalation"},
	{Rule: "CKV_AWS_111", Checks: []string{"IAM006"}, Meaning: "Ensure IAM policies does not allow write access without constraints"},
	{Rule: "CKV_AWS_364", Checks: []string{"LMB003"}, Meaning: "Ensure that AWS Lambda function permissions delegated to AWS services are limited by SourceArn or SourceAccount"},
}

func lookupMapping(ms []Mapping, rule string) (Mapping, bool) {
	for _, m := range ms {
		if strings.EqualFold(m.Rule, rule) {
			return m, true
		}
	}
	return Mapping{}, false
}

// FromTemplate reads the suppressions in the Metadata of the resources of
// the template named name: selfaudit's own (check, reason, expires), and
// cfn_nag's and checkov's for the rules CfnNagRules and CheckovRules map.
// Each applies to the findings about its resource in this file. A file
// that is not a template has none. Rules come in file order; problems name
// the file and line, as Parse's do.
func FromTemplate(name string, f Template, opts Options) ([]Rule, error) {
	if f == nil || !f.IsTemplate() {
		return nil, nil
	}
	root, _ := f.Value().(map[string]any)
	resources, _ := root["Resources"].(map[string]any)
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		li, lj := f.Line(pointer("/Resources", ids[i])), f.Line(pointer("/Resources", ids[j]))
		if li != lj {
			return li < lj
		}
		return ids[i] < ids[j]
	})
	t := &tmplParser{name: name, f: f, opts: opts}
	for _, id := range ids {
		body, _ := resources[id].(map[string]any)
		md, _ := body["Metadata"].(map[string]any)
		if md == nil {
			continue
		}
		base := pointer("/Resources", id, "Metadata")
		t.own(id, base, md["selfaudit"])
		t.mapped(id, base, "cfn_nag", "rules_to_suppress", "reason", md["cfn_nag"], CfnNagRules)
		t.mapped(id, base, "checkov", "skip", "comment", md["checkov"], CheckovRules)
	}
	if len(t.problems) > 0 {
		sort.SliceStable(t.problems, func(i, j int) bool { return t.problems[i].Line < t.problems[j].Line })
		return nil, &Error{Problems: t.problems}
	}
	return t.rules, nil
}

type tmplParser struct {
	name     string
	f        Template
	opts     Options
	ids      []string
	rules    []Rule
	problems []Problem
}

func (t *tmplParser) fail(ptr, format string, a ...any) {
	t.problems = append(t.problems, Problem{File: t.name, Line: t.f.Line(ptr), Msg: fmt.Sprintf(format, a...)})
}

// list returns the entries at m[key] (a list of mappings), failing on any
// other shape.
func (t *tmplParser) list(m any, ptr, what, key string) []map[string]any {
	if m == nil {
		return nil
	}
	mm, ok := m.(map[string]any)
	if !ok {
		t.fail(ptr, "%s must be a mapping", what)
		return nil
	}
	raw, ok := mm[key]
	if !ok || raw == nil {
		return nil
	}
	items, ok := raw.([]any)
	if !ok {
		t.fail(pointer(ptr, key), "%s.%s must be a list", what, key)
		return nil
	}
	out := make([]map[string]any, len(items))
	for i, it := range items {
		e, ok := it.(map[string]any)
		if !ok {
			t.fail(pointer(ptr, key, fmt.Sprint(i)), "%s.%s entry %d must be a mapping", what, key, i+1)
			continue
		}
		out[i] = e
	}
	return out
}

// own reads Metadata.selfaudit.suppress.
func (t *tmplParser) own(id, base string, md any) {
	ptr := pointer(base, "selfaudit")
	if mm, ok := md.(map[string]any); ok {
		for k := range mm {
			if k != "suppress" {
				t.fail(pointer(ptr, k), "Metadata.selfaudit of %s: unknown key %q (want suppress)", id, k)
			}
		}
	}
	for i, e := range t.list(md, ptr, "Metadata.selfaudit of "+id, "suppress") {
		if e == nil {
			continue
		}
		at := pointer(ptr, "suppress", fmt.Sprint(i))
		what := fmt.Sprintf("Metadata.selfaudit.suppress entry %d of %s", i+1, id)
		bad := false
		for k := range e {
			if k != "check" && k != "reason" && k != "expires" {
				t.fail(pointer(at, k), "%s: unknown key %q (want check, reason, expires)", what, k)
				bad = true
			}
		}
		check, _ := e["check"].(string)
		reason, _ := e["reason"].(string)
		expires, hasExpires := e["expires"].(string)
		check, reason, expires = strings.TrimSpace(check), strings.TrimSpace(reason), strings.TrimSpace(expires)
		if msg := checkProblem(check, t.opts, &t.ids); msg != "" {
			t.fail(pointer(at, "check"), "%s: %s", what, msg)
			bad = true
		}
		if reason == "" {
			t.fail(pointer(at, "reason"), "%s: reason is required: say why the risk is accepted", what)
			bad = true
		}
		r := Rule{Check: check, Resource: "*", Reason: reason, Template: t.name, LogicalID: id,
			Source: fmt.Sprintf("%s:%d (Metadata.selfaudit of %s)", t.name, t.f.Line(at), id)}
		if hasExpires || e["expires"] != nil {
			d, err := time.Parse(DateLayout, expires)
			if err != nil || d.Format(DateLayout) != expires {
				t.fail(pointer(at, "expires"), "%s: expires %q is not a date YYYY-MM-DD", what, expires)
				bad = true
			}
			r.Expires, r.expires = expires, d
		}
		if !bad {
			t.rules = append(t.rules, r)
		}
	}
}

// mapped reads another tool's suppressions, keeping those of the rules ms
// maps; the others are that tool's business.
func (t *tmplParser) mapped(id, base, tool, key, reasonKey string, md any, ms []Mapping) {
	ptr := pointer(base, tool)
	for i, e := range t.list(md, ptr, "Metadata."+tool+" of "+id, key) {
		if e == nil {
			continue
		}
		rule, _ := e["id"].(string)
		m, ok := lookupMapping(ms, strings.TrimSpace(rule))
		if !ok {
			continue
		}
		at := pointer(ptr, key, fmt.Sprint(i))
		reason, _ := e[reasonKey].(string)
		if reason = strings.TrimSpace(reason); reason == "" {
			t.fail(at, "Metadata.%s.%s entry %d of %s: %s suppresses %s but has no %s: say why the risk is accepted", tool, key, i+1, id, m.Rule, strings.Join(m.Checks, ", "), reasonKey)
			continue
		}
		for _, c := range m.Checks {
			t.rules = append(t.rules, Rule{Check: c, Resource: "*", Reason: reason, Template: t.name, LogicalID: id, Part: m.Part, Tool: tool,
				Source: fmt.Sprintf("%s:%d (Metadata.%s %s of %s)", t.name, t.f.Line(at), tool, m.Rule, id)})
		}
	}
}
