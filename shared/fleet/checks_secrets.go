package fleet

import (
	"sort"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/secretscan"
)

// Secrets in the environment: LMB113.

// LMB113: environment variable looks like a secret; raised by secrets.
var LMB113 = register(checks.Check{ID: "LMB113", Severity: findings.High,
	Title:       "environment variable looks like a secret",
	Description: "An environment variable of $LATEST or of a published version looks like a secret (a key, token or password): anyone allowed to read the function's configuration can read it, and published versions keep it after it is removed from the template.",
	Remediation: "Move the value to SSM Parameter Store (SecureString) or Secrets Manager and keep only its name in the environment; rotate the exposed value.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html"}},
})

// secrets scans $LATEST and every published version with the same
// detector as the pre-traffic hook; one finding per variable, naming the
// versions that carry it but never the value.
func (e evaluator) secrets(fn *Function) []findings.Finding {
	type hit struct {
		reason   string
		versions []string
	}
	hits := map[string]*hit{}
	scan := func(version string, c types.FunctionConfiguration) {
		if c.Environment == nil {
			return
		}
		for _, m := range secretscan.Scan(c.Environment.Variables) {
			h := hits[m.Key]
			if h == nil {
				h = &hit{reason: m.Reason}
				hits[m.Key] = h
			}
			h.versions = append(h.versions, version)
		}
	}
	scan("$LATEST", fn.Latest)
	vs := make([]string, 0, len(fn.Versions))
	for v := range fn.Versions {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return len(vs[i]) < len(vs[j]) || (len(vs[i]) == len(vs[j]) && vs[i] < vs[j]) })
	for _, v := range vs {
		scan(v, fn.Versions[v])
	}
	keys := make([]string, 0, len(hits))
	for k := range hits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []findings.Finding
	for _, k := range keys {
		out = append(out, e.finding(LMB113, fn, k, map[string]any{"variable": k, "reason": hits[k].reason, "versions": hits[k].versions}))
	}
	return out
}
