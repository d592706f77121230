package iamgraph

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

const acct = "111111111111"

var testNow = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func pol(t testing.TB, name, js string) iameval.Policy {
	t.Helper()
	d, err := iampolicy.Parse([]byte(js))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return iameval.Policy{Name: name, Doc: d}
}

func trust(t testing.TB, principal string) *iampolicy.Document {
	t.Helper()
	d, err := iampolicy.Parse([]byte(`{"Statement":{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}}`))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func role(name string) string { return "arn:aws:iam::" + acct + ":role/" + name }
func user(name string) string { return "arn:aws:iam::" + acct + ":user/" + name }

const (
	adminPolicy = `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	rootTrust   = `{"AWS":"arn:aws:iam::111111111111:root"}`
)

// fixture is an account built from pathfinding.cloud's paths: sts-001
// in one and two hops, lambda-001, iam-002, iam-005 on itself, and the
// traps that must stay silent.
func fixture(t testing.TB) Input {
	assume := func(target string) string {
		return `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + target + `"}}`
	}
	lambdaPerms := `{"Effect":"Allow","Action":["lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}`
	fn := "arn:aws:lambda:us-east-1:" + acct + ":function:nightly"
	return Input{Now: testNow, Functions: []Function{{ARN: fn, Role: role("LambdaAdmin")}}, Principals: []Principal{
		// One hop: lambda-003, new code for a function that runs as an
		// administrator.
		{ARN: user("lena"), Kind: User, Identity: []iameval.Policy{pol(t, "lena", `{"Statement":{"Effect":"Allow","Action":"lambda:UpdateFunctionCode","Resource":"`+fn+`"}}`)}},
		{ARN: role("Admin"), Kind: Role, Trust: trust(t, rootTrust), Identity: []iameval.Policy{pol(t, "AdministratorAccess", adminPolicy)}},
		{ARN: role("Locked"), Kind: Role, Trust: trust(t, `{"AWS":"`+user("nobody")+`"}`), Identity: []iameval.Policy{pol(t, "AdministratorAccess", adminPolicy)}},
		{ARN: role("LambdaAdmin"), Kind: Role, Trust: trust(t, `{"Service":"lambda.amazonaws.com"}`), Identity: []iameval.Policy{pol(t, "AdministratorAccess", adminPolicy)}},
		{ARN: role("Ec2Admin"), Kind: Role, Trust: trust(t, `{"Service":"ec2.amazonaws.com"}`), Identity: []iameval.Policy{pol(t, "AdministratorAccess", adminPolicy)}},
		// One hop: sts-001.
		{ARN: user("alice"), Kind: User, Identity: []iameval.Policy{pol(t, "alice-assume", assume(role("Admin")))}},
		// Two hops: Mid's trust names bob (no policy of bob's needed),
		// Mid may assume Admin.
		{ARN: user("bob"), Kind: User},
		{ARN: role("Mid"), Kind: Role, Trust: trust(t, `{"AWS":"`+user("bob")+`"}`), Identity: []iameval.Policy{pol(t, "mid-assume", assume(role("Admin")))}},
		// One hop: lambda-001.
		{ARN: user("carol"), Kind: User, Identity: []iameval.Policy{pol(t, "carol-lambda", `{"Statement":[
			{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+role("LambdaAdmin")+`"},`+lambdaPerms+`]}`)}},
		// One hop: iam-005 on itself.
		{ARN: role("SelfWriter"), Kind: Role, Trust: trust(t, `{"Service":"lambda.amazonaws.com"}`),
			Identity: []iameval.Policy{pol(t, "self", `{"Statement":{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"`+role("SelfWriter")+`"}}`)}},
		// One hop: iam-002 on an administrator user.
		{ARN: user("ivan"), Kind: User, Identity: []iameval.Policy{pol(t, "keys", `{"Statement":{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"`+user("root-like")+`"}}`)}},
		{ARN: user("root-like"), Kind: User, Identity: []iameval.Policy{pol(t, "AdministratorAccess", adminPolicy)}},
		// Trap: a Deny in another policy cancels the path.
		{ARN: user("dave"), Kind: User, Identity: []iameval.Policy{pol(t, "dave-assume", assume(role("Admin"))),
			pol(t, "dave-deny", `{"Statement":{"Sid":"NoAssume","Effect":"Deny","Action":"sts:*","Resource":"*"}}`)}},
		// Trap: the trust policy does not admit the principal.
		{ARN: user("erin"), Kind: User, Identity: []iameval.Policy{pol(t, "erin-assume", assume(role("Locked")))}},
		// Trap: a condition no request satisfies.
		{ARN: user("frank"), Kind: User, Identity: []iameval.Policy{pol(t, "frank-assume", `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+role("Admin")+`",
			"Condition":{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}}`)}},
		// Trap: PassRole limited to another service.
		{ARN: user("gina"), Kind: User, Identity: []iameval.Policy{pol(t, "gina", `{"Statement":[
			{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}},`+lambdaPerms+`]}`)}},
		// Trap: a role that trusts only EC2, and no ec2:RunInstances.
		{ARN: user("hank"), Kind: User, Identity: []iameval.Policy{pol(t, "hank", `{"Statement":[
			{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+role("Ec2Admin")+`"},`+lambdaPerms+`]}`)}},
		// Trap: the boundary does not let sts:AssumeRole through.
		{ARN: user("kim"), Kind: User, Identity: []iameval.Policy{pol(t, "kim-assume", assume(role("Admin")))},
			Boundary: &iameval.Policy{Name: "boundary", Doc: pol(t, "b", `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`).Doc}},
	}}
}

func TestEscalations(t *testing.T) {
	t.Parallel()
	g := Build(fixture(t))
	for _, a := range []string{role("Admin"), role("Locked"), role("LambdaAdmin"), user("root-like")} {
		if !g.Admin(a) {
			t.Errorf("%s is not administrator-equivalent", a)
		}
	}
	got := map[string]Escalation{}
	for _, e := range g.Escalations() {
		got[e.Principal] = e
	}
	want := map[string]struct {
		hops    int
		reaches string
		how     string
	}{
		user("alice"):      {1, role("Admin"), "sts-001"},
		user("bob"):        {2, role("Admin"), "sts-001"},
		role("Mid"):        {1, role("Admin"), "sts-001"},
		user("carol"):      {1, role("LambdaAdmin"), "lambda-001"},
		role("SelfWriter"): {1, role("SelfWriter"), "iam-005"},
		user("ivan"):       {1, user("root-like"), "iam-002"},
		user("lena"):       {1, role("LambdaAdmin"), "lambda-003"},
	}
	for p, w := range want {
		e, ok := got[p]
		if !ok {
			t.Errorf("%s: no escalation found", p)
			continue
		}
		if len(e.Hops) != w.hops || e.Reaches != w.reaches || !strings.HasPrefix(e.Hops[len(e.Hops)-1].How, w.how) {
			b, _ := json.MarshalIndent(e, "", "  ")
			t.Errorf("%s: got %s, want %d hops to %s by %s", p, b, w.hops, w.reaches, w.how)
		}
		for _, h := range e.Hops {
			if len(h.Permissions) == 0 || len(h.GrantedBy) == 0 && !strings.HasPrefix(h.How, "sts-001") {
				t.Errorf("%s: hop without evidence: %+v", p, h)
			}
		}
	}
	for p, e := range got {
		if _, ok := want[p]; !ok {
			b, _ := json.MarshalIndent(e, "", "  ")
			t.Errorf("unexpected escalation of %s: %s", p, b)
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	in := fixture(b)
	for b.Loop() {
		if len(Build(in).Escalations()) == 0 {
			b.Fatal("none")
		}
	}
}
