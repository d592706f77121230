package iameval

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// FuzzEvaluate evaluates any policy that parses, in every role a policy
// can play, against a fuzzed request: it must never panic and must always
// reach one of the three decisions. Run it with an execution count on
// busy machines, e.g. -fuzztime 5000x.
func FuzzEvaluate(f *testing.F) {
	for i := range 40 {
		c := newCase(1, i)
		var b []byte
		if len(c.Ident) > 0 {
			b, _ = json.Marshal(c.Ident[0].Policy)
		}
		if c.Res != nil {
			b, _ = json.Marshal(c.Res)
		}
		f.Add(b, c.Request.Principal, c.Request.Action, c.Request.Resource, "aws:SourceIp=10.1.2.3")
	}
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3","Condition":{"ForAnyValue:NullIfExists":{"k":"true"},"DateEquals":{"k":"${k, '"}}}}`), "", "s3:", "*", "k=")
	f.Add([]byte(`{"Statement":{"Effect":"Deny","NotAction":"x","NotResource":"arn:${a}:${b}","NotPrincipal":{"AWS":"*"}}}`), "arn:aws:sts::1:federated-user/x", ":", "arn:::::", "a=${b}")
	f.Fuzz(func(t *testing.T, policy []byte, principal, action, resource, ctx string) {
		d, err := iampolicy.Parse(policy)
		if err != nil {
			return
		}
		context := map[string][]string{}
		for _, kv := range strings.Split(ctx, ";") {
			k, v, _ := strings.Cut(kv, "=")
			context[k] = append(context[k], v)
		}
		p := Policy{Name: "fuzz", Doc: d}
		req := Request{Principal: principal, Action: action, Resource: resource, Context: context}
		sets := []PolicySet{
			{Identity: []Policy{p}},
			{Resource: &p},
			{Identity: []Policy{p}, Resource: &p, Boundary: &p, Session: &p, SCPs: [][]Policy{{p}}, RCPs: [][]Policy{{p}}},
		}
		for _, set := range sets {
			for _, q := range []quirks{{}, {sessionCapsAll: true, variableResourceType: true}} {
				res := evaluate(req, set, q)
				if res.Decision != Allowed && res.Decision != ImplicitlyDenied && res.Decision != ExplicitlyDenied {
					t.Fatalf("decision %d", res.Decision)
				}
				if res.Decision == ExplicitlyDenied && len(res.Statements) == 0 {
					t.Fatal("an explicit deny names no statement")
				}
			}
		}
	})
}
