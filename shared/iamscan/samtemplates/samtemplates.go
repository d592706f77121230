// Package samtemplates holds the statements of AWS SAM's policy templates
// (SQSPollerPolicy, DynamoDBCrudPolicy, VPCAccessPolicy, ...), so that a
// template entry such as `SQSPollerPolicy: {QueueName: q}` can be judged by
// what SAM will actually grant: a scoped template is no finding, a broad one
// (TextractPolicy grants textract:* on *) is.
//
// The statements follow samtranslator/policy_templates_data/
// policy_templates.json of aws/serverless-application-model (Apache-2.0);
// see README.md for provenance.
package samtemplates

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

//go:embed templates.json
var raw []byte

var (
	once      sync.Once
	templates map[string][]map[string]any
	loadErr   error
)

func load() {
	loadErr = json.Unmarshal(raw, &templates)
}

// Names lists the known templates in order.
func Names() []string {
	once.Do(load)
	out := make([]string, 0, len(templates))
	for n := range templates {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Document returns the policy document SAM would generate for the template
// name with params, or false when the template is unknown. A parameter that
// is a plain string is substituted into the resource ARNs; one given as an
// intrinsic (a Ref, a GetAtt) stays as the placeholder ${Name}, which still
// names one resource rather than "*".
func Document(name string, params any) (map[string]any, bool, error) {
	once.Do(load)
	if loadErr != nil {
		return nil, false, fmt.Errorf("read embedded SAM policy templates: %w", loadErr)
	}
	stmts, ok := templates[name]
	if !ok {
		return nil, false, nil
	}
	vals := map[string]string{}
	if m, ok := params.(map[string]any); ok {
		for k, v := range m {
			if s, ok := v.(string); ok {
				vals[k] = s
			}
		}
	}
	out := make([]any, 0, len(stmts))
	for _, st := range stmts {
		out = append(out, substitute(st, vals))
	}
	return map[string]any{"Version": "2012-10-17", "Statement": out}, true, nil
}

func substitute(v any, vals map[string]string) any {
	return MapStrings(v, func(t string) string {
		for k, val := range vals {
			t = strings.ReplaceAll(t, "${"+k+"}", val)
		}
		return strings.ReplaceAll(t, "${AWS::Partition}", "aws")
	})
}

// MapStrings returns a copy of a decoded JSON or YAML value with f applied
// to every string in it, at any depth; keys are kept as they are.
func MapStrings(v any, f func(string) string) any {
	switch t := v.(type) {
	case string:
		return f(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = MapStrings(e, f)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = MapStrings(e, f)
		}
		return out
	}
	return v
}
