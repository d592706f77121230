package iameval

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

func doc(t testing.TB, name, js string) *Policy {
	t.Helper()
	d, err := iampolicy.Parse([]byte(js))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &Policy{Name: name, Doc: d}
}

// stmt wraps statements in a policy document.
func stmt(sts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(sts, ",") + `]}`
}

const (
	roleA    = "arn:aws:iam::111111111111:role/app"
	sessionA = "arn:aws:sts::111111111111:assumed-role/app/s1"
	userA    = "arn:aws:iam::111111111111:user/alice"
	roleB    = "arn:aws:iam::222222222222:role/partner"
	queueA   = "arn:aws:sqs:us-east-1:111111111111:orders"
	allowAll = `{"Effect":"Allow","Action":"*","Resource":"*"}`
)

type evalCase struct {
	name      string
	req       Request
	identity  []string
	resource  string
	boundary  string
	session   string
	scps      [][]string
	want      Decision
	wantStmts int // number of deciding statements, -1 to skip
}

func (c evalCase) set(t *testing.T) PolicySet {
	var s PolicySet
	for i, p := range c.identity {
		s.Identity = append(s.Identity, *doc(t, "identity"+string(rune('0'+i)), p))
	}
	if c.resource != "" {
		s.Resource = doc(t, "resource", c.resource)
	}
	if c.boundary != "" {
		s.Boundary = doc(t, "boundary", c.boundary)
	}
	if c.session != "" {
		s.Session = doc(t, "session", c.session)
	}
	for _, level := range c.scps {
		var l []Policy
		for _, p := range level {
			l = append(l, *doc(t, "scp", p))
		}
		s.SCPs = append(s.SCPs, l)
	}
	return s
}

func req(principal, action, resource string, ctx map[string][]string) Request {
	return Request{Principal: principal, Action: action, Resource: resource, Context: ctx}
}

func TestEvaluate(t *testing.T) {
	send := req(roleA, "sqs:SendMessage", queueA, nil)
	cases := []evalCase{
		{name: "no policy: implicit deny", req: send, want: ImplicitlyDenied},
		{name: "identity allow", req: send, identity: []string{stmt(`{"Effect":"Allow","Action":"sqs:Send*","Resource":"` + queueA + `"}`)}, want: Allowed, wantStmts: 1},
		{name: "actions ignore case", req: req(roleA, "SQS:sendmessage", queueA, nil), identity: []string{stmt(`{"Effect":"Allow","Action":"sqs:SENDMESSAGE","Resource":"*"}`)}, want: Allowed},
		{name: "resource part is case-sensitive", req: send, identity: []string{stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-1:111111111111:ORDERS"}`)}, want: ImplicitlyDenied},
		{name: "deny in another policy wins", req: send, identity: []string{stmt(allowAll), stmt(`{"Sid":"NoSQS","Effect":"Deny","Action":"sqs:*","Resource":"*"}`)}, want: ExplicitlyDenied, wantStmts: 1},
		{name: "NotAction allow excludes the action", req: send, identity: []string{stmt(`{"Effect":"Allow","NotAction":"sqs:*","Resource":"*"}`)}, want: ImplicitlyDenied},
		{name: "NotResource deny spares the listed resource", req: send, identity: []string{stmt(allowAll, `{"Effect":"Deny","Action":"*","NotResource":"`+queueA+`"}`)}, want: Allowed},
		{name: "NotResource with an unresolved variable does not apply", req: send, identity: []string{stmt(allowAll, `{"Effect":"Deny","Action":"*","NotResource":"arn:aws:sqs:us-east-1:111111111111:${aws:PrincipalTag/q}"}`)}, want: Allowed},
		{name: "boundary caps the identity policy", req: send, identity: []string{stmt(allowAll)}, boundary: stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), want: ImplicitlyDenied},
		{name: "boundary and identity both allow", req: send, identity: []string{stmt(allowAll)}, boundary: stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"*"}`), want: Allowed, wantStmts: 2},
		{name: "SCP level without allow denies", req: send, identity: []string{stmt(allowAll)}, scps: [][]string{{stmt(allowAll)}, {stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)}}, want: ImplicitlyDenied},
		{name: "SCP deny", req: send, identity: []string{stmt(allowAll)}, scps: [][]string{{stmt(allowAll, `{"Effect":"Deny","Action":"sqs:SendMessage","Resource":"*"}`)}}, want: ExplicitlyDenied},
		{name: "every SCP level allows", req: send, identity: []string{stmt(allowAll)}, scps: [][]string{{stmt(allowAll)}, {stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"*"}`)}}, want: Allowed, wantStmts: 3},
		{name: "same account: resource policy naming the role suffices", req: send, resource: stmt(`{"Effect":"Allow","Principal":{"AWS":"` + roleA + `"},"Action":"sqs:SendMessage","Resource":"` + queueA + `"}`), want: Allowed, wantStmts: 1},
		{name: "same account: resource policy naming the account needs identity", req: send, resource: stmt(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sqs:SendMessage","Resource":"` + queueA + `"}`), want: ImplicitlyDenied},
		{name: "same account: role named, boundary silent: denied", req: send, resource: stmt(`{"Effect":"Allow","Principal":{"AWS":"` + roleA + `"},"Action":"sqs:*","Resource":"*"}`), boundary: stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), want: ImplicitlyDenied},
		{name: "same account: user named, boundary silent: allowed", req: req(userA, "sqs:SendMessage", queueA, nil), resource: stmt(`{"Effect":"Allow","Principal":{"AWS":"` + userA + `"},"Action":"sqs:*","Resource":"*"}`), boundary: stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), want: Allowed},
		{name: "same account: session named, boundary silent: allowed", req: req(sessionA, "sqs:SendMessage", queueA, nil), resource: stmt(`{"Effect":"Allow","Principal":{"AWS":"` + sessionA + `"},"Action":"sqs:*","Resource":"*"}`), boundary: stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), want: Allowed},
		{name: "session of a named role", req: req(sessionA, "sqs:SendMessage", queueA, nil), resource: stmt(`{"Effect":"Allow","Principal":{"AWS":"` + roleA + `"},"Action":"sqs:*","Resource":"*"}`), want: Allowed},
		{name: "session policy caps identity", req: req(sessionA, "sqs:SendMessage", queueA, nil), identity: []string{stmt(allowAll)}, session: stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), want: ImplicitlyDenied},
		{name: "session policy does not cap a grant to the session", req: req(sessionA, "sqs:SendMessage", queueA, nil), resource: stmt(`{"Effect":"Allow","Principal":{"AWS":"` + sessionA + `"},"Action":"sqs:*","Resource":"*"}`), session: stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), want: Allowed},
		{name: "session policy caps a grant to the role", req: req(sessionA, "sqs:SendMessage", queueA, nil), resource: stmt(`{"Effect":"Allow","Principal":{"AWS":"` + roleA + `"},"Action":"sqs:*","Resource":"*"}`), session: stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), want: ImplicitlyDenied},
		{name: "cross account needs both sides", req: req(roleB, "sqs:SendMessage", queueA, nil), resource: stmt(`{"Effect":"Allow","Principal":{"AWS":"` + roleB + `"},"Action":"sqs:*","Resource":"*"}`), want: ImplicitlyDenied},
		{name: "cross account with both sides", req: req(roleB, "sqs:SendMessage", queueA, nil), identity: []string{stmt(allowAll)}, resource: stmt(`{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sqs:*","Resource":"*"}`), want: Allowed, wantStmts: 2},
		{name: "cross account without resource policy", req: req(roleB, "sqs:SendMessage", queueA, nil), identity: []string{stmt(allowAll)}, want: ImplicitlyDenied},
		{name: "resource policy deny on the account", req: send, identity: []string{stmt(allowAll)}, resource: stmt(`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sqs:*","Resource":"*"}`), want: ExplicitlyDenied},
		{name: "NotPrincipal deny spares the listed role", req: send, identity: []string{stmt(allowAll)}, resource: stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":"` + roleA + `"},"Action":"sqs:*","Resource":"*"}`), want: Allowed},
		{name: "NotPrincipal deny always applies with a boundary", req: send, identity: []string{stmt(allowAll)}, boundary: stmt(allowAll), resource: stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":"` + roleA + `"},"Action":"sqs:*","Resource":"*"}`), want: ExplicitlyDenied},
		{name: "service principal by resource policy", req: req("sns.amazonaws.com", "sqs:SendMessage", queueA, nil), resource: stmt(`{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"}`), want: Allowed},
		{name: "SCPs do not restrict a service principal", req: req("sns.amazonaws.com", "sqs:SendMessage", queueA, nil), resource: stmt(`{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"}`), scps: [][]string{{stmt(`{"Effect":"Deny","Action":"*","Resource":"*"}`)}}, want: Allowed},
		{name: "anonymous needs Principal *", req: req("", "sqs:SendMessage", queueA, nil), resource: stmt(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sqs:SendMessage","Resource":"*"}`), want: ImplicitlyDenied},
		{name: "anonymous with Principal *", req: req("", "sqs:SendMessage", queueA, nil), resource: stmt(`{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}`), want: Allowed},
		{name: "resource variable", req: req(roleA, "sqs:SendMessage", queueA, map[string][]string{"aws:PrincipalTag/queue": {"orders"}}), identity: []string{stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:*:${aws:PrincipalTag/queue}"}`)}, want: Allowed},
		{name: "resource variable default", req: send, identity: []string{stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:*:${aws:PrincipalTag/queue, 'orders'}"}`)}, want: Allowed},
		{name: "resource variable missing", req: send, identity: []string{stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:*:${aws:PrincipalTag/queue}"}`)}, want: ImplicitlyDenied},
		{name: "short ARN padded in identity policies", req: send, identity: []string{stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs"}`)}, want: Allowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Evaluate(c.req, c.set(t))
			if res.Decision != c.want {
				t.Fatalf("decision %s (%s), want %s", res.Decision, res.Reason, c.want)
			}
			if c.wantStmts > 0 && len(res.Statements) != c.wantStmts {
				t.Fatalf("statements %+v, want %d", res.Statements, c.wantStmts)
			}
			if res.Decision == ImplicitlyDenied && res.Reason == "" {
				t.Fatal("an implicit deny must say why")
			}
		})
	}
}

func TestConditions(t *testing.T) {
	ctx := map[string][]string{
		"aws:SourceIp":           {"10.1.2.3"},
		"aws:SourceIp6":          {"2001:db8::5"},
		"aws:CurrentTime":        {"2026-06-01T12:00:00Z"},
		"aws:EpochTime":          {"1780315200"},
		"aws:SecureTransport":    {"true"},
		"aws:MultiFactorAuthAge": {"300"},
		"aws:PrincipalTag/team":  {"blue"},
		"aws:username":           {"alice"},
		"aws:SourceArn":          {"arn:aws:sns:us-east-1:111111111111:alerts"},
		"aws:TagKeys":            {"env", "team"},
		"custom:Blob":            {"QmluYXJ5"},
		"custom:Star":            {"a*b"},
	}
	cases := []struct {
		cond string
		want bool
	}{
		{`{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`, true},
		{`{"StringEquals":{"AWS:PRINCIPALTAG/TEAM":"blue"}}`, true},
		{`{"StringEquals":{"aws:PrincipalTag/team":"Blue"}}`, false},
		{`{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"BLUE"}}`, true},
		{`{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"BLUE"}}`, false},
		{`{"StringNotEquals":{"aws:PrincipalTag/team":["red","green"]}}`, true},
		{`{"StringNotEquals":{"aws:absent":"x"}}`, true},
		{`{"StringEquals":{"aws:absent":"x"}}`, false},
		{`{"StringEqualsIfExists":{"aws:absent":"x"}}`, true},
		{`{"StringEqualsIfExists":{"aws:PrincipalTag/team":"x"}}`, false},
		{`{"StringLike":{"aws:PrincipalTag/team":"b?u*"}}`, true},
		{`{"StringNotLike":{"aws:PrincipalTag/team":"r*"}}`, true},
		{`{"StringEquals":{"aws:PrincipalTag/team":"b*"}}`, false},
		{`{"StringEquals":{"custom:Star":"a${*}b"}}`, true},
		{`{"StringLike":{"custom:Star":"a${*}b"}}`, true},
		{`{"StringLike":{"custom:Star":"a${?}b"}}`, false},
		{`{"StringEquals":{"aws:username":"${aws:username}"}}`, true},
		{`{"StringEquals":{"aws:username":"${aws:userName}"}}`, true},
		{`{"StringEquals":{"aws:username":"${aws:absent, 'alice'}"}}`, true},
		{`{"StringEquals":{"aws:username":"${aws:absent}"}}`, false},
		{`{"StringNotEquals":{"aws:username":"${aws:absent}"}}`, false},
		{`{"StringEquals":{"aws:username":"${aws:TagKeys}"}}`, false},
		{`{"StringEquals":{"aws:TagKeys":"env"}}`, false},
		{`{"ForAnyValue:StringEquals":{"aws:TagKeys":"env"}}`, true},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, true},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, false},
		{`{"ForAllValues:StringEquals":{"aws:absent":["env"]}}`, true},
		{`{"ForAnyValue:StringEquals":{"aws:absent":["env"]}}`, false},
		{`{"ForAllValues:StringNotEquals":{"aws:TagKeys":["cost"]}}`, true},
		{`{"ForAnyValue:StringLike":{"aws:PrincipalTag/team":"bl*"}}`, true},
		{`{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, true},
		{`{"NumericGreaterThanEquals":{"aws:MultiFactorAuthAge":"300.0"}}`, true},
		{`{"NumericNotEquals":{"aws:MultiFactorAuthAge":["300","400"]}}`, false},
		{`{"NumericEquals":{"aws:MultiFactorAuthAge":"abc"}}`, false},
		{`{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, true},
		{`{"DateLessThan":{"aws:CurrentTime":"2026-06-01"}}`, false},
		{`{"DateEquals":{"aws:EpochTime":"1780315200"}}`, true},
		{`{"DateLessThan":{"aws:EpochTime":"2027-01-01T00:00:00Z"}}`, true},
		{`{"DateEquals":{"aws:CurrentTime":"1780315200"}}`, true},
		{`{"Bool":{"aws:SecureTransport":"TRUE"}}`, true},
		{`{"Bool":{"aws:SecureTransport":"false"}}`, false},
		{`{"Bool":{"aws:absent":"false"}}`, false},
		{`{"BoolIfExists":{"aws:absent":"false"}}`, true},
		{`{"BinaryEquals":{"custom:Blob":"QmluYXJ5"}}`, true},
		{`{"BinaryEquals":{"custom:Blob":"qmluyxj5"}}`, false},
		{`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, true},
		{`{"IpAddress":{"aws:SourceIp":"10.1.2.3"}}`, true},
		{`{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, true},
		{`{"NotIpAddress":{"aws:SourceIp":["192.168.0.0/16","10.0.0.0/8"]}}`, false},
		{`{"IpAddress":{"aws:SourceIp6":"2001:db8::/32"}}`, true},
		{`{"NotIpAddress":{"aws:SourceIp6":"10.0.0.0/8"}}`, true},
		{`{"IpAddress":{"aws:SourceIp":"not-an-ip"}}`, false},
		{`{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}`, true},
		{`{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:alerts"}}`, true},
		{`{"ArnLike":{"aws:SourceArn":"arn:aws:SNS:*:*:*"}}`, false},
		{`{"ArnNotLike":{"aws:SourceArn":"arn:aws:sqs:*:*:*"}}`, true},
		{`{"ArnNotEquals":{"aws:SourceArn":"not-an-arn"}}`, false},
		{`{"ArnNotLike":{"aws:absent":"arn:aws:sqs:*:*:*"}}`, true},
		{`{"Null":{"aws:absent":"true"}}`, true},
		{`{"Null":{"aws:SourceIp":"true"}}`, false},
		{`{"Null":{"aws:SourceIp":"false"}}`, true},
		{`{"UnknownOperator":{"aws:SourceIp":"x"}}`, false},
		{`{"StringEquals":{"aws:PrincipalTag/team":"blue"},"Bool":{"aws:SecureTransport":"true"}}`, true},
		{`{"StringEquals":{"aws:PrincipalTag/team":"blue","aws:username":"bob"}}`, false},
	}
	for _, c := range cases {
		t.Run(c.cond, func(t *testing.T) {
			var cond map[string]any
			if err := json.Unmarshal([]byte(c.cond), &cond); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(map[string]any{"Statement": map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": cond}})
			p := doc(t, "p", string(b))
			res := Evaluate(req(roleA, "sqs:SendMessage", queueA, ctx), PolicySet{Identity: []Policy{*p}})
			if got := res.Decision == Allowed; got != c.want {
				t.Fatalf("condition holds = %v, want %v", got, c.want)
			}
		})
	}
}

func TestResultJSON(t *testing.T) {
	b, err := json.Marshal(Result{})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"decision":"ImplicitlyDenied","statements":[]}` {
		t.Fatalf("got %s", b)
	}
	var d Decision
	if err := d.UnmarshalText([]byte("ExplicitlyDenied")); err != nil || d != ExplicitlyDenied {
		t.Fatalf("UnmarshalText: %v %v", d, err)
	}
	if d.UnmarshalText([]byte("maybe")) == nil {
		t.Fatal("want an error for an unknown decision")
	}
}
