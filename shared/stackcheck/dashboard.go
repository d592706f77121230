package stackcheck

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// SubPlaceholders turns the text of an Fn::Sub into what can be parsed
// before CloudFormation resolves it: each ${Var} inside a JSON string
// becomes <Var>, one outside a string (a number, say) becomes 0, and the
// escape ${!Literal} becomes the literal ${Literal}.
func SubPlaceholders(s string) string {
	var b strings.Builder
	inString, escaped := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '$' && i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end > 0 {
				name := s[i+2 : i+end]
				switch {
				case strings.HasPrefix(name, "!"):
					b.WriteString("${" + name[1:] + "}")
				case inString:
					b.WriteString("<" + name + ">")
				default:
					b.WriteString("0")
				}
				i += end
				escaped = false
				continue
			}
		}
		b.WriteByte(c)
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		}
	}
	return b.String()
}

// DashboardMetric is one graphed metric of a dashboard widget, with the
// widget's stat and period applied where the metric sets none.
type DashboardMetric struct {
	Widget     string // the widget's title
	Region     string // the widget's region
	Namespace  string
	Name       string
	Dimensions map[string]string
	Stat       string
	Period     int
}

// DashboardMetrics parses a CloudWatch dashboard body (JSON) and returns its
// metrics, with every way the body breaks the dashboard body structure:
// widgets without a type, metric widgets without a metrics array, a region,
// a stat or a period. Metric-math rows ({"expression": ...}) are checked for
// their expression only.
func DashboardMetrics(body string) ([]DashboardMetric, []string) {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	var doc struct {
		Widgets []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return nil, []string{fmt.Sprintf("dashboard body is not JSON: %v", err)}
	}
	if len(doc.Widgets) == 0 {
		add("dashboard has no widgets")
	}
	var out []DashboardMetric
	for i, w := range doc.Widgets {
		title, _ := w.Properties["title"].(string)
		where := fmt.Sprintf("widget %d (%q)", i, title)
		if w.Type == "" {
			add("%s: no type", where)
		}
		if w.Type != "metric" {
			continue
		}
		region, _ := w.Properties["region"].(string)
		if region == "" {
			add("%s: no region", where)
		}
		rows, ok := w.Properties["metrics"].([]any)
		if !ok || len(rows) == 0 {
			add("%s: no metrics array", where)
			continue
		}
		wStat, _ := w.Properties["stat"].(string)
		wPeriod, _ := w.Properties["period"].(float64)
		var prev []any
		for j, r := range rows {
			row, ok := r.([]any)
			if !ok || len(row) == 0 {
				add("%s: metric %d is not an array", where, j)
				continue
			}
			opts, _ := row[len(row)-1].(map[string]any)
			fields := row
			if opts != nil {
				fields = row[:len(row)-1]
			}
			if len(fields) == 0 {
				if e, _ := opts["expression"].(string); e == "" {
					add("%s: metric %d has neither a metric nor an expression", where, j)
				}
				continue
			}
			names := make([]string, len(fields))
			for k, f := range fields {
				s, _ := f.(string)
				if s == "." && k < len(prev) {
					s, _ = prev[k].(string)
				}
				names[k] = s
			}
			resolved := make([]any, len(names))
			for k, n := range names {
				resolved[k] = n
			}
			prev = resolved
			if len(names) < 2 || len(names)%2 != 0 || names[0] == "" || names[1] == "" {
				add("%s: metric %d is not [namespace, name, dimension, value, ...]", where, j)
				continue
			}
			m := DashboardMetric{Widget: title, Region: region, Namespace: names[0], Name: names[1], Dimensions: map[string]string{}, Stat: wStat, Period: int(wPeriod)}
			for k := 2; k+1 < len(names); k += 2 {
				m.Dimensions[names[k]] = names[k+1]
			}
			if s, _ := opts["stat"].(string); s != "" {
				m.Stat = s
			}
			if p, _ := opts["period"].(float64); p > 0 {
				m.Period = int(p)
			}
			if m.Stat == "" {
				add("%s: %s/%s has no stat", where, m.Namespace, m.Name)
			}
			if m.Period <= 0 {
				add("%s: %s/%s has no period", where, m.Namespace, m.Name)
			}
			out = append(out, m)
		}
	}
	return out, problems
}

// LambdaDashboardMetrics are the metrics (and stat, where it matters) the
// dashboard must graph for every function of the stack.
var LambdaDashboardMetrics = map[string]string{"Invocations": "", "Errors": "", "Duration": "p99", "Throttles": ""}

// CheckDashboard returns every way the stack's dashboard fails to show
// what an operator looks at first: it must exist, be named after the stack,
// parse as dashboard JSON once its Fn::Sub variables are filled, graph
// every function's invocations, errors, p99 duration and throttles and every
// queue's visible messages, and be linked from the outputs. Functions and
// queues are read from the template, so a new one without a graph fails.
func CheckDashboard(t *Template) []string {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	res := t.Resources()
	dashboards := t.OfType("AWS::CloudWatch::Dashboard")
	if len(dashboards) != 1 {
		return []string{fmt.Sprintf("want one AWS::CloudWatch::Dashboard, found %d", len(dashboards))}
	}
	id := dashboards[0]
	p := asMap(res[id]["Properties"])
	if !refersTo(p["DashboardName"], "AWS::StackName") {
		add("%s: DashboardName is not named after the stack", id)
	}
	body, ok := asMap(p["DashboardBody"])["Fn::Sub"].(string)
	if !ok {
		return append(problems, fmt.Sprintf("%s: DashboardBody is not an Fn::Sub string", id))
	}
	metrics, bad := DashboardMetrics(SubPlaceholders(body))
	for _, b := range bad {
		add("%s: %s", id, b)
	}
	for _, m := range metrics {
		if m.Region != "<AWS::Region>" {
			add("%s: widget %q takes region %s, not the stack's ${AWS::Region}", id, m.Widget, m.Region)
		}
	}
	graphed := func(ns, name, dim string, values []string, stat string) bool {
		for _, m := range metrics {
			for _, value := range values {
				if m.Namespace == ns && m.Name == name && m.Dimensions[dim] == value && (stat == "" || m.Stat == stat) {
					return true
				}
			}
		}
		return false
	}
	fns := append(t.OfType("AWS::Serverless::Function"), t.OfType("AWS::Lambda::Function")...)
	for _, fn := range fns {
		var names []string
		for name := range LambdaDashboardMetrics {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			stat := LambdaDashboardMetrics[name]
			if !graphed("AWS/Lambda", name, "FunctionName", dashboardNames(res[fn], fn, "", "FunctionName"), stat) {
				what := name
				if stat != "" {
					what += " " + stat
				}
				add("%s: no widget graphs %s of %s", id, what, fn)
			}
		}
	}
	for _, q := range t.OfType("AWS::SQS::Queue") {
		if !graphed("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dashboardNames(res[q], q, ".QueueName", "QueueName"), "") {
			add("%s: no widget graphs the visible messages of %s", id, q)
		}
	}
	linked := false
	for _, o := range asMap(t.Root["Outputs"]) {
		if refersTo(get(o, "Value"), id) && mentions(get(o, "Value"), "console.aws.amazon.com/cloudwatch") {
			linked = true
		}
	}
	if !linked {
		add("Outputs: no console URL of %s", id)
	}
	sort.Strings(problems)
	return problems
}

// dashboardNames are the dimension values under which the dashboard may
// graph resource id: its Ref or attribute (<Id> or <Id.QueueName> once
// SubPlaceholders has run), or the fixed name its property nameProp gives
// it as an Fn::Sub string. A conditional resource can only be graphed by
// such a name, since the dashboard may not refer to a resource that is not
// created.
func dashboardNames(r map[string]any, id, attr, nameProp string) []string {
	out := []string{"<" + id + attr + ">"}
	switch n := get(r, "Properties", nameProp).(type) {
	case string:
		out = append(out, n)
	case map[string]any:
		if sub, ok := n["Fn::Sub"].(string); ok {
			out = append(out, strings.Trim(SubPlaceholders(`"`+sub+`"`), `"`))
		}
	}
	return out
}

// DashboardOf returns the parsed metrics of the template's one dashboard,
// its Fn::Sub variables replaced by SubPlaceholders.
func DashboardOf(t *Template) ([]DashboardMetric, error) {
	ids := t.OfType("AWS::CloudWatch::Dashboard")
	if len(ids) == 0 {
		return nil, fmt.Errorf("no AWS::CloudWatch::Dashboard")
	}
	id := ids[0]
	body, ok := get(t.Resources()[id], "Properties", "DashboardBody", "Fn::Sub").(string)
	if !ok {
		return nil, fmt.Errorf("%s: DashboardBody is not an Fn::Sub string", id)
	}
	m, problems := DashboardMetrics(SubPlaceholders(body))
	if len(problems) > 0 {
		return m, fmt.Errorf("%s: %s", id, strings.Join(problems, "; "))
	}
	return m, nil
}
