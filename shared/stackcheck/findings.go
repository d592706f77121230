package stackcheck

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// FindingsTableEnv is the variable through which a function is given the
// finding store's table.
const FindingsTableEnv = "FINDINGS_TABLE_NAME"

// findingsIndex is the finding store's index of standing findings by scope
// (findingstore.IndexOpenByScope; stackcheck cannot import the store, whose
// tests read the stack through this package).
const findingsIndex = "openByScope"

// StoreAccess is the whole DynamoDB access a function of the finding store
// needs, as action -> resources, "${T.Arn}" standing for the table's ARN:
// read and conditionally update one finding, and query the standing
// findings of a scope through the index.
var StoreAccess = map[string][]string{
	"dynamodb:GetItem":    {"${T.Arn}"},
	"dynamodb:UpdateItem": {"${T.Arn}"},
	"dynamodb:Query":      {"${T.Arn}", "${T.Arn}/index/" + findingsIndex},
}

// AdminsReadAccess is the whole access of a function that only reads the
// accounts' administrators the IAM scanner records in the table (the
// CloudTrail checker): one item at a time, under the condition
// adminsOnly, so that it reads no finding.
var AdminsReadAccess = map[string][]string{
	"dynamodb:GetItem": {"${T.Arn}"},
}

// adminsKeys is the dynamodb:LeadingKeys pattern of the administrators
// items (findingstore.AdminsKey; stackcheck cannot import the store).
const adminsKeys = "admins#*"

// adminsOnly reports whether every statement of role that allows
// dynamodb:GetItem on table limits it to the administrators items.
func adminsOnly(role map[string]any, table string) bool {
	only := true
	eachAllow(role, func(st any) {
		onTable := false
		for _, r := range asList(get(st, "Resource")) {
			onTable = onTable || refersTo(r, table)
		}
		if !onTable {
			return
		}
		keys := asList(get(st, "Condition", "ForAllValues:StringLike", "dynamodb:LeadingKeys"))
		if len(keys) != 1 || keys[0] != adminsKeys {
			only = false
		}
	})
	return only
}

// FindingsTables returns the logical IDs of the tables that carry the
// finding store's index.
func (t *Template) FindingsTables() []string {
	var ids []string
	for _, id := range t.OfType("AWS::DynamoDB::Table") {
		for _, g := range asList(get(t.Resources()[id], "Properties", "GlobalSecondaryIndexes")) {
			if get(g, "IndexName") == findingsIndex {
				ids = append(ids, id)
				break
			}
		}
	}
	return ids
}

// CheckFindingStore returns every way the stack's finding store breaks the
// rules: one table, on demand, with point-in-time recovery, encryption and
// TTL on expiresAt; every function given the table through
// FindingsTableEnv holds exactly StoreAccess on it (or, reading only the
// administrators items, AdminsReadAccess), and no other function holds any
// DynamoDB access to it. Access is read from the inline policies
// of each function's role, the only kind the stack uses.
func CheckFindingStore(t *Template) []string {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	tables := t.FindingsTables()
	if len(tables) != 1 {
		return []string{fmt.Sprintf("want one findings table (a DynamoDB table with the %s index), found %d", findingsIndex, len(tables))}
	}
	table := tables[0]
	res := t.Resources()
	p := asMap(res[table]["Properties"])
	for _, c := range []struct {
		path []string
		want any
	}{
		{[]string{"BillingMode"}, "PAY_PER_REQUEST"},
		{[]string{"PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"}, true},
		{[]string{"SSESpecification", "SSEEnabled"}, true},
		{[]string{"TimeToLiveSpecification", "AttributeName"}, "expiresAt"},
		{[]string{"TimeToLiveSpecification", "Enabled"}, true},
	} {
		if got := get(p, c.path...); got != c.want {
			add("%s: %s = %v, want %v", table, strings.Join(c.path, "."), got, c.want)
		}
	}

	onTable := func(access map[string][]string) map[string][]string {
		out := map[string][]string{}
		for action, resources := range access {
			for _, r := range resources {
				out[action] = append(out[action], strings.ReplaceAll(r, "${T.", "${"+table+"."))
			}
			sort.Strings(out[action])
		}
		return out
	}
	want, reader := onTable(StoreAccess), onTable(AdminsReadAccess)
	users := 0
	for _, fn := range t.OfType("AWS::Serverless::Function") {
		fp := asMap(res[fn]["Properties"])
		env, given := asMap(get(fp, "Environment", "Variables"))[FindingsTableEnv]
		if given && !reflect.DeepEqual(env, map[string]any{"Ref": table}) {
			add("%s: %s = %v, want !Ref %s", fn, FindingsTableEnv, env, table)
		}
		role := roleOf(fp["Role"])
		if role == "" {
			if given {
				add("%s: no role of its own to hold the finding store's access", fn)
			}
			continue
		}
		got := dynamoGrants(res[role], table)
		switch {
		case given:
			users++
			switch {
			case reflect.DeepEqual(got, want):
			case reflect.DeepEqual(got, reader):
				if !adminsOnly(res[role], table) {
					add("%s: role %s may read every item of %s, want dynamodb:LeadingKeys limited to %q", fn, role, table, adminsKeys)
				}
			default:
				add("%s: role %s grants %v on %s, want exactly %v, or %v on the administrators items only", fn, role, got, table, want, reader)
			}
		case len(got) > 0:
			add("%s: role %s grants %v on %s without %s", fn, role, got, table, FindingsTableEnv)
		}
	}
	if users == 0 {
		add("%s: no function is given it through %s", table, FindingsTableEnv)
	}
	sort.Strings(problems)
	return problems
}

// roleOf returns the logical ID of the role named by !GetAtt Role.Arn.
func roleOf(v any) string {
	switch g := asMap(v)["Fn::GetAtt"].(type) {
	case []any:
		if len(g) == 2 && g[1] == "Arn" {
			s, _ := g[0].(string)
			return s
		}
	case string:
		if id, ok := strings.CutSuffix(g, ".Arn"); ok {
			return id
		}
	}
	return ""
}

// dynamoGrants returns the DynamoDB actions (and "*") a role's inline
// policies allow on a table, its indexes or every resource, by action, each
// with its sorted resources written as in an Fn::Sub.
func dynamoGrants(role map[string]any, table string) map[string][]string {
	out := map[string][]string{}
	eachAllow(role, func(st any) {
		var resources []string
		for _, r := range asList(get(st, "Resource")) {
			if s := subForm(r); s == "*" || (strings.Contains(s, ":dynamodb:") && strings.Contains(s, "*")) || refersTo(r, table) {
				resources = append(resources, s)
			}
		}
		if len(resources) == 0 {
			return
		}
		for _, a := range asList(get(st, "Action")) {
			name, _ := a.(string)
			if name == "*" || strings.HasPrefix(strings.ToLower(name), "dynamodb:") {
				out[name] = append(out[name], resources...)
			}
		}
	})
	for a := range out {
		sort.Strings(out[a])
	}
	return out
}

// statements flattens a policy's statement list, taking both branches of
// an Fn::If.
// eachAllow calls fn with every Allow statement of a role's inline
// policies.
func eachAllow(role any, fn func(statement any)) {
	for _, pol := range asList(get(role, "Properties", "Policies")) {
		for _, st := range statements(get(pol, "PolicyDocument", "Statement")) {
			if get(st, "Effect") == "Allow" {
				fn(st)
			}
		}
	}
}

func statements(v any) []any {
	var out []any
	for _, st := range asList(v) {
		if branches, ok := asMap(st)["Fn::If"].([]any); ok && len(branches) == 3 {
			out = append(out, statements(branches[1])...)
			out = append(out, statements(branches[2])...)
			continue
		}
		out = append(out, st)
	}
	return out
}

// subForm writes a resource as an Fn::Sub would: !GetAtt X.Arn is
// "${X.Arn}", !Ref X is "${X}".
func subForm(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	m := asMap(v)
	if s, ok := m["Fn::Sub"].(string); ok {
		return s
	}
	if s, ok := m["Ref"].(string); ok {
		return "${" + s + "}"
	}
	switch g := m["Fn::GetAtt"].(type) {
	case []any:
		var parts []string
		for _, p := range g {
			parts = append(parts, fmt.Sprint(p))
		}
		return "${" + strings.Join(parts, ".") + "}"
	case string:
		return "${" + g + "}"
	}
	return fmt.Sprint(v)
}

// CheckTopicPolicies returns each EventBridge rule target on an SNS topic
// of the stack that the topic's policy does not allow to publish: a
// statement allowing events.amazonaws.com sns:Publish with aws:SourceArn
// naming the rule, under the rule's own Condition when it has one (else the
// policy names a rule that does not exist, or misses one that does).
func CheckTopicPolicies(t *Template) []string {
	var problems []string
	res := t.Resources()
	topics := map[string]bool{}
	for _, id := range t.OfType("AWS::SNS::Topic") {
		topics[id] = true
	}
	for _, rule := range t.OfType("AWS::Events::Rule") {
		ruleCond, _ := res[rule]["Condition"].(string)
		for _, target := range asList(get(res[rule], "Properties", "Targets")) {
			topic := ""
			if ref, _ := get(target, "Arn", "Ref").(string); topics[ref] {
				topic = ref
			}
			if topic == "" {
				continue
			}
			allowed := false
			for _, pol := range t.OfType("AWS::SNS::TopicPolicy") {
				pp := asMap(res[pol]["Properties"])
				if !refersTo(pp["Topics"], topic) {
					continue
				}
				polCond, _ := res[pol]["Condition"].(string)
				for _, st := range conditionalStatements(get(pp, "PolicyDocument", "Statement"), polCond) {
					if st.cond == ruleCond && publishesFromRule(st.body, rule) {
						allowed = true
					}
				}
			}
			if !allowed {
				under := ""
				if ruleCond != "" {
					under = " under Condition " + ruleCond
				}
				problems = append(problems, fmt.Sprintf("%s: the policy of topic %s does not allow the rule to publish%s", rule, topic, under))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

type conditional struct {
	cond string
	body any
}

// conditionalStatements flattens a statement list, noting for each
// statement the Condition of the Fn::If that keeps it (or cond).
func conditionalStatements(v any, cond string) []conditional {
	var out []conditional
	for _, st := range asList(v) {
		if branches, ok := asMap(st)["Fn::If"].([]any); ok && len(branches) == 3 {
			name, _ := branches[0].(string)
			out = append(out, conditionalStatements(branches[1], name)...)
			out = append(out, conditionalStatements(branches[2], "!"+name)...)
			continue
		}
		if asMap(st)["Ref"] == "AWS::NoValue" {
			continue
		}
		out = append(out, conditional{cond: cond, body: st})
	}
	return out
}

func publishesFromRule(st any, rule string) bool {
	if get(st, "Effect") != "Allow" || !mentions(get(st, "Principal", "Service"), "events.amazonaws.com") {
		return false
	}
	publish := false
	for _, a := range asList(get(st, "Action")) {
		if a == "sns:Publish" {
			publish = true
		}
	}
	if !publish {
		return false
	}
	for _, op := range []string{"ArnEquals", "ArnLike"} {
		if refersTo(get(st, "Condition", op, "aws:SourceArn"), rule) {
			return true
		}
	}
	return false
}
