package iameffect

import (
	"testing"

	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// FuzzIssues judges any policy that parses against any other as its
// sibling, boundary and SCP: the judge must not panic, must keep or drop
// every issue it is given, and must not touch the issues it was given.
func FuzzIssues(f *testing.F) {
	f.Add(allowAll, denyS3Del)
	f.Add(allowEscal, `{"Statement":[{"Effect":"Deny","NotAction":"iam:Get*","NotResource":"arn:aws:iam::*:role/x"}]}`)
	f.Add(`{"Statement":{"Effect":"Allow","NotAction":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2001-01-01"}}}}`, allowS3)
	f.Fuzz(func(t *testing.T, a, b string) {
		da, err := iampolicy.Parse([]byte(a))
		if err != nil {
			return
		}
		db, err := iampolicy.Parse([]byte(b))
		if err != nil {
			return
		}
		issues := iampolicy.Evaluate(da, iampolicy.Identity, iampolicy.Options{})
		for _, set := range []Set{
			{Identity: []iameval.Policy{{Name: "a", Doc: da}, {Name: "b", Doc: db}}, Now: testNow},
			{Identity: []iameval.Policy{{Name: "a", Doc: da}}, Boundary: &iameval.Policy{Name: "b", Doc: db}, Now: testNow},
			{Identity: []iameval.Policy{{Name: "a", Doc: da}}, SCPs: [][]iameval.Policy{{{Name: "b", Doc: db}}}, Now: testNow},
		} {
			j := New(set)
			kept, dropped := j.Issues("a", da, issues)
			if len(kept)+len(dropped) != len(issues) {
				t.Fatalf("%d issues became %d kept and %d dropped", len(issues), len(kept), len(dropped))
			}
			j.Possible(map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}})
		}
		for _, is := range issues {
			if _, ok := is.Evidence["grantedBy"]; ok {
				t.Fatal("input issues modified")
			}
		}
	})
}
