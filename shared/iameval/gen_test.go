package iameval

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// The generator of the differential suite: random but valid requests and
// policy sets, reproducible from a seed. It keeps to what both engines
// define the same way (see README.md, "Differential suite"): services
// without service-specific authorization rules in the reference (not S3,
// KMS, STS or IAM), six-field ARNs, values of the right shape for their
// operator, and context keys that are single-valued except the ones
// tested with set operators.

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

type genAction struct {
	action string
	// resource builds the ARN for an account.
	resource func(acct string) string
}

var genActions = []genAction{
	{"sqs:SendMessage", func(a string) string { return "arn:aws:sqs:us-east-1:" + a + ":orders-queue" }},
	{"sqs:ReceiveMessage", func(a string) string { return "arn:aws:sqs:us-east-1:" + a + ":orders-queue" }},
	{"sqs:DeleteQueue", func(a string) string { return "arn:aws:sqs:eu-west-1:" + a + ":Audit-Queue" }},
	{"lambda:InvokeFunction", func(a string) string { return "arn:aws:lambda:us-east-1:" + a + ":function:fn-billing" }},
	{"lambda:GetFunction", func(a string) string { return "arn:aws:lambda:us-east-1:" + a + ":function:fn-billing:prod" }},
	{"lambda:UpdateFunctionCode", func(a string) string { return "arn:aws:lambda:us-west-2:" + a + ":function:Fn-Admin" }},
	{"dynamodb:GetItem", func(a string) string { return "arn:aws:dynamodb:us-east-1:" + a + ":table/orders" }},
	{"dynamodb:PutItem", func(a string) string { return "arn:aws:dynamodb:us-east-1:" + a + ":table/blue" }},
	{"dynamodb:Query", func(a string) string { return "arn:aws:dynamodb:us-east-1:" + a + ":table/orders/index/byDate" }},
	{"secretsmanager:GetSecretValue", func(a string) string { return "arn:aws:secretsmanager:us-east-1:" + a + ":secret:db-AbCdEf" }},
	{"sns:Publish", func(a string) string { return "arn:aws:sns:us-east-1:" + a + ":alerts" }},
}

// Other actions that statements may name without the request using them.
var genOtherActions = []string{"sqs:GetQueueUrl", "lambda:ListFunctions", "dynamodb:Scan", "sns:Subscribe", "ec2:RunInstances", "secretsmanager:ListSecrets"}

type genPrincipal struct {
	arn     string
	account string
	session bool
	service bool
	// role is the role ARN behind a session; user the user behind a
	// federated-user session.
	role, user string
}

var genPrincipals = []genPrincipal{
	{arn: "arn:aws:iam::" + acctA + ":role/app", account: acctA},
	{arn: "arn:aws:iam::" + acctA + ":role/team/deploy", account: acctA},
	{arn: "arn:aws:sts::" + acctA + ":assumed-role/app/session-1", account: acctA, session: true, role: "arn:aws:iam::" + acctA + ":role/app"},
	{arn: "arn:aws:sts::" + acctA + ":assumed-role/deploy/ci", account: acctA, session: true, role: "arn:aws:iam::" + acctA + ":role/team/deploy"},
	{arn: "arn:aws:iam::" + acctA + ":user/alice", account: acctA},
	{arn: "arn:aws:sts::" + acctA + ":federated-user/alice", account: acctA, session: true, user: "arn:aws:iam::" + acctA + ":user/alice"},
	{arn: "arn:aws:iam::" + acctB + ":role/partner", account: acctB},
	{arn: "arn:aws:sts::" + acctB + ":assumed-role/partner/s", account: acctB, session: true, role: "arn:aws:iam::" + acctB + ":role/partner"},
	{arn: "arn:aws:iam::" + acctB + ":user/bob", account: acctB},
	{arn: "lambda.amazonaws.com", service: true},
	{arn: "sns.amazonaws.com", service: true},
}

// genCase is one case as the driver reads it.
type genCase struct {
	ID      int          `json:"id"`
	Request genRequest   `json:"request"`
	Ident   []namedDoc   `json:"identity"`
	Res     any          `json:"resource"`
	Bound   any          `json:"boundary"`
	Session any          `json:"session"`
	SCPs    [][]namedDoc `json:"scps"`
	RCPs    [][]namedDoc `json:"rcps"`
}

type genRequest struct {
	Principal       string              `json:"principal"`
	Action          string              `json:"action"`
	Resource        string              `json:"resource"`
	ResourceAccount string              `json:"resourceAccount"`
	Context         map[string][]string `json:"context"`
}

type namedDoc struct {
	Name   string `json:"name"`
	Policy any    `json:"policy"`
}

type gen struct {
	r   *rand.Rand
	req genRequest
	p   genPrincipal
	act genAction
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }
func (g *gen) intn(n int) int        { return g.r.IntN(n) }

func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

// newCase builds case id from its own seed, so that any one case can be
// rebuilt alone.
func newCase(seed uint64, id int) genCase {
	g := &gen{r: rand.New(rand.NewPCG(seed, uint64(id)))}
	g.p = pick(g, genPrincipals)
	g.act = pick(g, genActions)
	owner := acctA
	if g.chance(0.2) {
		owner = acctB
	}
	action := g.act.action
	if g.chance(0.2) {
		svc, name, _ := strings.Cut(action, ":")
		action = strings.ToUpper(svc) + ":" + strings.ToLower(name)
	}
	g.req = genRequest{Principal: g.p.arn, Action: action, Resource: g.act.resource(owner), ResourceAccount: owner, Context: g.context()}
	star := g.chance(0.04)
	c := genCase{ID: id, Request: g.req}
	if star {
		// A request on every resource, as for actions without resource
		// types; statements are still generated from the ARN.
		c.Request.Resource = "*"
	}
	if !g.p.service || g.chance(0.3) {
		for i := range 1 + g.intn(3) {
			c.Ident = append(c.Ident, namedDoc{fmt.Sprintf("identity-%d", i), g.policy(kindIdentity, 1+g.intn(3))})
		}
	}
	if g.chance(0.45) || g.p.service {
		c.Res = g.policy(kindResource, 1+g.intn(3))
	}
	if g.p.service && g.chance(0.3) {
		c.SCPs = g.levels(kindSCP)
	}
	if !g.p.service {
		if g.chance(0.25) {
			c.Bound = g.policy(kindBoundary, 1+g.intn(2))
		}
		if g.p.session && g.chance(0.3) {
			c.Session = g.policy(kindSession, 1+g.intn(2))
		}
		if g.chance(0.3) {
			c.SCPs = g.levels(kindSCP)
		}
	}
	if g.chance(0.2) {
		c.RCPs = g.levels(kindRCP)
	}
	return c
}

func (g *gen) levels(kind policyKind) [][]namedDoc {
	out := make([][]namedDoc, 1+g.intn(3))
	for i := range out {
		for j := range 1 + g.intn(2) {
			var doc map[string]any
			if j == 0 && g.chance(0.8) {
				// The FullAWSAccess policy every level usually has.
				st := map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}
				if kind == kindRCP {
					st["Principal"] = "*"
				}
				doc = map[string]any{"Version": "2012-10-17", "Statement": []any{st}}
			} else {
				doc = g.policy(kind, 1+g.intn(2))
			}
			out[i] = append(out[i], namedDoc{fmt.Sprintf("level-%d-%d", i, j), doc})
		}
	}
	return out
}

func (g *gen) policy(kind policyKind, n int) map[string]any {
	var sts []any
	for range n {
		sts = append(sts, g.statement(kind))
	}
	var stv any = sts
	if len(sts) == 1 && g.chance(0.3) {
		stv = sts[0]
	}
	return map[string]any{"Version": "2012-10-17", "Statement": stv}
}

func (g *gen) statement(kind policyKind) map[string]any {
	st := map[string]any{}
	if g.chance(0.3) {
		st["Sid"] = fmt.Sprintf("S%d", g.intn(1000))
	}
	deny := g.chance(0.25)
	if kind == kindRCP {
		deny = g.chance(0.7)
	}
	st["Effect"] = map[bool]string{true: "Deny", false: "Allow"}[deny]
	if g.chance(0.15) {
		st["NotAction"] = g.actions()
	} else {
		st["Action"] = g.actions()
	}
	if g.chance(0.15) {
		st["NotResource"] = g.resources()
	} else {
		st["Resource"] = g.resources()
	}
	switch kind {
	case kindResource:
		if g.chance(0.15) {
			st["NotPrincipal"] = g.principal(true)
		} else {
			st["Principal"] = g.principal(false)
		}
	case kindRCP:
		st["Principal"] = "*"
	}
	if g.chance(0.5) {
		st["Condition"] = g.condition()
	}
	return st
}

func (g *gen) actions() any {
	var out []string
	for range 1 + g.intn(2) {
		a := g.act.action
		svc, name, _ := strings.Cut(a, ":")
		var s string
		switch g.intn(10) {
		case 0:
			s = "*"
		case 1:
			s = svc + ":*"
		case 2:
			s = svc + ":" + name[:3] + "*"
		case 3:
			s = svc + ":*" + name[len(name)-3:]
		case 4:
			s = svc + ":?" + name[1:]
		case 5:
			s = strings.ToLower(a)
		case 6:
			s = pick(g, genOtherActions)
		case 7:
			s = pick(g, genActions).action
		default:
			s = a
		}
		out = append(out, s)
	}
	if len(out) == 1 && g.chance(0.5) {
		return out[0]
	}
	return out
}

func (g *gen) resources() any {
	var out []string
	for range 1 + g.intn(2) {
		r := g.req.Resource
		p, _ := splitARN(r)
		typ := resourceType(p, false)
		id := p.resource[len(typ):]
		base := "arn:" + p.partition + ":" + p.service + ":" + p.region + ":" + p.account + ":" + typ
		var s string
		switch g.intn(14) {
		case 0:
			s = "*"
		case 1:
			s = base + id[:2] + "*"
		case 2:
			s = "arn:aws:" + p.service + ":*:*:" + typ + "*"
		case 3:
			s = "arn:aws:" + p.service + ":" + p.region + ":" + acctA + ":" + typ + "*"
		case 4:
			s = base + strings.ToUpper(id)
		case 5:
			s = "arn:AWS:" + strings.ToUpper(p.service) + ":" + p.region + ":" + p.account + ":" + typ + id
		case 6:
			s = base + "${aws:PrincipalTag/team}"
		case 7:
			s = base + "${aws:username}*"
		case 8:
			s = base + "${aws:PrincipalTag/missing, 'orders'}*"
		case 9:
			s = base + "?" + id[1:]
		case 10:
			s = pick(g, genActions).resource(acctA)
		default:
			s = r
		}
		out = append(out, s)
	}
	if len(out) == 1 && g.chance(0.5) {
		return out[0]
	}
	return out
}

func (g *gen) principal(not bool) any {
	var vals []string
	others := []string{
		g.p.arn, g.p.role, g.p.user, g.p.account, "arn:aws:iam::" + g.p.account + ":root",
		acctB, "arn:aws:iam::" + acctA + ":role/other", "arn:aws:sts::" + acctA + ":assumed-role/app/other-session",
		"arn:aws:iam::" + acctA + ":user/alice",
	}
	if !not && g.chance(0.25) {
		return "*"
	}
	if g.p.service && g.chance(0.7) {
		return map[string]any{"Service": g.p.arn}
	}
	for range 1 + g.intn(2) {
		v := pick(g, others)
		if v == "" || isServicePrincipal(v) {
			v = acctA
		}
		vals = append(vals, v)
	}
	if !not && g.chance(0.1) {
		vals = append(vals, "*")
	}
	if len(vals) == 1 {
		return map[string]any{"AWS": vals[0]}
	}
	return map[string]any{"AWS": vals}
}

// context fills the request's condition keys, each present or not.
func (g *gen) context() map[string][]string {
	ctx := map[string][]string{}
	set := func(p float64, k string, v ...string) {
		if g.chance(p) {
			ctx[k] = v
		}
	}
	set(0.7, "aws:SourceIp", pick(g, []string{"10.1.2.3", "192.168.0.10", "203.0.113.7", "2001:db8::1", "10.255.0.1"}))
	set(0.6, "aws:CurrentTime", pick(g, []string{"2026-06-01T12:00:00Z", "2025-01-01T00:00:00Z", "2027-03-15T08:30:00Z", "2026-06-01"}))
	set(0.5, "aws:EpochTime", pick(g, []string{"1780315200", "1735689600", "1900000000"}))
	set(0.6, "aws:SecureTransport", pick(g, []string{"true", "false", "True"}))
	set(0.5, "aws:MultiFactorAuthAge", pick(g, []string{"30", "3600", "86400", "100.5"}))
	set(0.6, "aws:PrincipalTag/team", pick(g, []string{"blue", "red", "Blue", "orders"}))
	set(0.5, "aws:username", pick(g, []string{"alice", "bob", "ord"}))
	set(0.5, "aws:SourceArn", pick(g, []string{"arn:aws:sns:us-east-1:" + acctA + ":alerts", "arn:aws:s3:::bucket-a", "arn:aws:sqs:us-east-1:" + acctB + ":q"}))
	set(0.4, "aws:SourceAccount", pick(g, []string{acctA, acctB}))
	set(0.4, "aws:RequestTag/env", pick(g, []string{"prod", "dev", "Prod"}))
	set(0.3, "custom:Blob", pick(g, []string{"QmluYXJ5", "dGVzdA=="}))
	if g.chance(0.6) {
		keys := []string{"env", "team", "cost", "Owner"}
		n := 1 + g.intn(3)
		var v []string
		for _, i := range g.r.Perm(len(keys))[:n] {
			v = append(v, keys[i])
		}
		ctx["aws:TagKeys"] = v
	}
	return ctx
}

// condition builds a Condition block of one to three operators.
func (g *gen) condition() map[string]any {
	c := map[string]any{}
	for range 1 + g.intn(3) {
		op, key, vals := g.conditionEntry()
		if g.chance(0.1) {
			// Condition key names ignore case.
			key = strings.ToUpper(key[:1]) + key[1:]
			key = strings.Replace(key, "aws:", "AWS:", 1)
		}
		if g.chance(0.2) && !strings.Contains(op, ":") && op != "Null" {
			op += "IfExists"
		}
		m, _ := c[op].(map[string]any)
		if m == nil {
			m = map[string]any{}
			c[op] = m
		}
		if len(vals) == 1 && g.chance(0.5) {
			m[key] = vals[0]
		} else {
			m[key] = vals
		}
	}
	return c
}

func (g *gen) values(pool []string) []string {
	n := 1 + g.intn(2)
	out := make([]string, 0, n)
	for range n {
		out = append(out, pick(g, pool))
	}
	return out
}

func (g *gen) conditionEntry() (op, key string, vals []string) {
	switch g.intn(11) {
	case 0, 1:
		op = pick(g, []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"})
		key = pick(g, []string{"aws:PrincipalTag/team", "aws:username", "aws:RequestTag/env", "aws:PrincipalTag/absent"})
		vals = g.values([]string{"blue", "Blue", "red", "bl*", "?ed", "alice", "${aws:username}", "${aws:PrincipalTag/team}",
			"${aws:PrincipalTag/absent, 'blue'}", "${AWS:UserName}", "prod", "PROD", "${*}", "a${?}", "*", "ord${aws:missing}", "${aws:RequestTag/env}"})
	case 2:
		op = pick(g, []string{"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"})
		key = "aws:MultiFactorAuthAge"
		vals = g.values([]string{"30", "3600", "100.5", "86400", "0"})
	case 3:
		op = pick(g, []string{"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"})
		if g.chance(0.5) {
			key = "aws:CurrentTime"
			vals = g.values([]string{"2026-06-01T12:00:00Z", "2026-01-01T00:00:00Z", "2026-06-01", "2030-01-01T00:00:00.000Z", "2020-02-29T23:59:59Z"})
		} else {
			key = "aws:EpochTime"
			vals = g.values([]string{"1780315200", "1700000000", "1900000000"})
		}
	case 4:
		op, key = "Bool", pick(g, []string{"aws:SecureTransport", "aws:ViaAWSService"})
		vals = g.values([]string{"true", "false", "TRUE"})
	case 5:
		op, key = "BinaryEquals", "custom:Blob"
		vals = g.values([]string{"QmluYXJ5", "dGVzdA==", "qmluyxj5"})
	case 6:
		op = pick(g, []string{"IpAddress", "NotIpAddress"})
		key = "aws:SourceIp"
		vals = g.values([]string{"10.0.0.0/8", "192.168.0.0/24", "203.0.113.7/32", "2001:db8::/32", "10.1.2.3", "0.0.0.0/1", "128.0.0.0/1", "::/0"})
	case 7:
		op = pick(g, []string{"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"})
		key = "aws:SourceArn"
		vals = g.values([]string{"arn:aws:sns:us-east-1:" + acctA + ":alerts", "arn:aws:sns:*:*:*", "arn:aws:s3:::bucket-*",
			"arn:aws:sqs:us-east-1:${aws:SourceAccount}:q", "arn:aws:*:*:" + acctB + ":*", "arn:aws:SNS:us-east-1:" + acctA + ":alerts"})
	case 8:
		op = "Null"
		key = pick(g, []string{"aws:SourceIp", "aws:PrincipalTag/team", "aws:TagKeys", "aws:absent"})
		vals = []string{pick(g, []string{"true", "false"})}
	case 9:
		op = pick(g, []string{"ForAllValues:StringEquals", "ForAnyValue:StringEquals", "ForAllValues:StringLike", "ForAnyValue:StringLike",
			"ForAllValues:StringNotEquals", "ForAnyValue:StringNotEquals", "ForAnyValue:StringEqualsIgnoreCase"})
		key = pick(g, []string{"aws:TagKeys", "aws:TagKeys", "aws:PrincipalTag/team", "aws:absent"})
		vals = g.values([]string{"env", "team", "cost", "owner", "Owner", "t*", "blue"})
	default:
		op = pick(g, []string{"StringEquals", "StringLike", "StringNotEquals"})
		key = pick(g, []string{"aws:SourceAccount", "aws:PrincipalTag/team"})
		vals = g.values([]string{acctA, acctB, "1111*", "blue"})
	}
	return op, key, vals
}

// policySet turns a case into the engine's input.
func (c genCase) policySet() (Request, PolicySet, error) {
	req := Request{Principal: c.Request.Principal, Action: c.Request.Action, Resource: c.Request.Resource,
		ResourceAccount: c.Request.ResourceAccount, Context: c.Request.Context}
	parse := func(name string, v any) (*Policy, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		d, err := iampolicy.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return &Policy{Name: name, Doc: d}, nil
	}
	var set PolicySet
	var err error
	for _, p := range c.Ident {
		pp, err := parse(p.Name, p.Policy)
		if err != nil {
			return req, set, err
		}
		set.Identity = append(set.Identity, *pp)
	}
	if set.Resource, err = parse("resource", c.Res); err != nil {
		return req, set, err
	}
	if set.Boundary, err = parse("boundary", c.Bound); err != nil {
		return req, set, err
	}
	if set.Session, err = parse("session", c.Session); err != nil {
		return req, set, err
	}
	levels := func(in [][]namedDoc) ([][]Policy, error) {
		var out [][]Policy
		for _, l := range in {
			var lv []Policy
			for _, p := range l {
				pp, err := parse(p.Name, p.Policy)
				if err != nil {
					return nil, err
				}
				lv = append(lv, *pp)
			}
			out = append(out, lv)
		}
		return out, nil
	}
	if set.SCPs, err = levels(c.SCPs); err != nil {
		return req, set, err
	}
	if set.RCPs, err = levels(c.RCPs); err != nil {
		return req, set, err
	}
	return req, set, nil
}
