package fleet

import (
	"encoding/json"
	"fmt"
	"strings"
)

// asyncServices are the service principals that invoke a function
// asynchronously when they are its trigger: a failed event from them is
// lost unless the function keeps it in a dead-letter queue or an
// on-failure destination.
var asyncServices = map[string]bool{
	"events.amazonaws.com":         true, // EventBridge rules
	"s3.amazonaws.com":             true,
	"sns.amazonaws.com":            true,
	"logs.amazonaws.com":           true, // subscription filters
	"ses.amazonaws.com":            true,
	"iot.amazonaws.com":            true,
	"codecommit.amazonaws.com":     true,
	"config.amazonaws.com":         true,
	"cloudformation.amazonaws.com": true,
}

// parsePolicy reads the statements of a Lambda resource policy document.
// Principal, Action and Resource may each be a string or a list.
func parsePolicy(doc string) ([]Statement, error) {
	var p struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, fmt.Errorf("parse resource policy: %w", err)
	}
	var raw []map[string]json.RawMessage
	if len(p.Statement) > 0 && p.Statement[0] == '{' {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(p.Statement, &one); err != nil {
			return nil, fmt.Errorf("parse resource policy statement: %w", err)
		}
		raw = append(raw, one)
	} else if len(p.Statement) > 0 {
		if err := json.Unmarshal(p.Statement, &raw); err != nil {
			return nil, fmt.Errorf("parse resource policy statements: %w", err)
		}
	}
	out := make([]Statement, 0, len(raw))
	for _, r := range raw {
		st := Statement{Sid: str(r["Sid"]), Effect: str(r["Effect"]), Actions: strs(r["Action"])}
		if rs := strs(r["Resource"]); len(rs) > 0 {
			st.Resource = rs[0]
		}
		var pr any
		_ = json.Unmarshal(r["Principal"], &pr)
		switch v := pr.(type) {
		case string:
			st.AnyoneOrAWS = true
		case map[string]any:
			for k, val := range v {
				list := anyStrings(val)
				if k == "Service" {
					st.Services = append(st.Services, list...)
				} else {
					st.AnyoneOrAWS = true
				}
			}
		}
		var cond map[string]map[string]any
		_ = json.Unmarshal(r["Condition"], &cond)
		for _, kv := range cond {
			for k, v := range kv {
				if strings.EqualFold(k, "aws:SourceArn") {
					if l := anyStrings(v); len(l) > 0 {
						st.SourceArn = l[0]
					}
				}
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// invokes reports whether the statement allows invoking the function.
func (s Statement) invokes() bool {
	if !strings.EqualFold(s.Effect, "Allow") {
		return false
	}
	for _, a := range s.Actions {
		if strings.EqualFold(a, "lambda:InvokeFunction") || a == "lambda:*" || a == "*" {
			return true
		}
	}
	return false
}

// asyncService returns the first service principal that invokes
// asynchronously, or "".
func (s Statement) asyncService() string {
	if !s.invokes() {
		return ""
	}
	for _, svc := range s.Services {
		if asyncServices[strings.ToLower(svc)] {
			return svc
		}
	}
	return ""
}

func str(b json.RawMessage) string {
	var s string
	_ = json.Unmarshal(b, &s)
	return s
}

func strs(b json.RawMessage) []string {
	var v any
	_ = json.Unmarshal(b, &v)
	return anyStrings(v)
}

func anyStrings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
