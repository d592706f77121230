package iamgraph

import (
	"testing"

	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// FuzzBuild builds a graph of three principals from any policies that
// parse (identity policies and a trust policy): it must not panic, and
// every escalation it reports must start at a non-administrator and have
// hops that chain from it.
func FuzzBuild(f *testing.F) {
	f.Add(`{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`, adminPolicy, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:*"}}`)
	f.Add(`{"Statement":{"Effect":"Allow","Action":["iam:PassRole","lambda:*"],"Resource":"*"}}`, `{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`, `{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}`)
	f.Fuzz(func(t *testing.T, a, b, trustJSON string) {
		da, err := iampolicy.Parse([]byte(a))
		if err != nil {
			return
		}
		db, err := iampolicy.Parse([]byte(b))
		if err != nil {
			return
		}
		dt, err := iampolicy.Parse([]byte(trustJSON))
		if err != nil {
			return
		}
		g := Build(Input{Now: testNow, Principals: []Principal{
			{ARN: user("a"), Kind: User, Identity: []iameval.Policy{{Name: "a", Doc: da}}, Groups: []string{"arn:aws:iam::" + acct + ":group/g"}},
			{ARN: role("b"), Kind: Role, Identity: []iameval.Policy{{Name: "b", Doc: db}}, Trust: dt, Managed: []string{"arn:aws:iam::" + acct + ":policy/p"}},
			{ARN: "arn:aws:iam::" + acct + ":group/g", Kind: Group, Identity: []iameval.Policy{{Name: "b", Doc: db}}},
		}, Functions: []Function{{ARN: "arn:aws:lambda:us-east-1:" + acct + ":function:f", Role: role("b")}}})
		for _, e := range g.Escalations() {
			if g.Admin(e.Principal) || len(e.Hops) == 0 || e.Hops[0].From != e.Principal {
				t.Fatalf("bad escalation %+v", e)
			}
			for i := 1; i < len(e.Hops); i++ {
				if e.Hops[i].From != e.Hops[i-1].To {
					t.Fatalf("hops do not chain: %+v", e.Hops)
				}
			}
		}
	})
}
