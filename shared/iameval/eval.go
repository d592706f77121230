package iameval

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// Decision is the outcome of evaluating a request.
type Decision int

// The three outcomes AWS's evaluation logic can reach.
const (
	// ImplicitlyDenied: no explicit deny, but some required allow is
	// missing. It is the zero value: a request is denied by default.
	ImplicitlyDenied Decision = iota
	// Allowed: every policy type that must allow the request does, and
	// nothing denies it.
	Allowed
	// ExplicitlyDenied: a Deny statement in any policy matched.
	ExplicitlyDenied
)

// String names the decision as AWS's policy simulator does.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "Allowed"
	case ExplicitlyDenied:
		return "ExplicitlyDenied"
	}
	return "ImplicitlyDenied"
}

// MarshalText writes the decision's name, so that JSON carries "Allowed"
// rather than a number.
func (d Decision) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a decision's name.
func (d *Decision) UnmarshalText(b []byte) error {
	switch string(b) {
	case "Allowed":
		*d = Allowed
	case "ExplicitlyDenied":
		*d = ExplicitlyDenied
	case "ImplicitlyDenied":
		*d = ImplicitlyDenied
	default:
		return fmt.Errorf("unknown decision %q", b)
	}
	return nil
}

// Request is one API call to judge.
type Request struct {
	// Principal is the caller's ARN: an IAM user or role, an assumed-role
	// or federated-user session (arn:aws:sts::...), or a service principal
	// such as lambda.amazonaws.com. Empty means an anonymous (unsigned)
	// request.
	Principal string
	// Action is "service:Action"; case does not matter.
	Action string
	// Resource is the ARN acted on, or "*" for actions without a resource.
	Resource string
	// ResourceAccount owns the resource. Empty means the account in the
	// resource's ARN, or the principal's own account when the ARN has none
	// (S3 buckets).
	ResourceAccount string
	// Context holds the request's condition keys (aws:SourceIp,
	// aws:PrincipalTag/team ...). Key names are matched without regard to
	// case. A key with one value is single-valued; with several it is
	// multivalued and only the ForAllValues: and ForAnyValue: operators
	// test it; a key with no values is absent.
	Context map[string][]string
}

// Policy is one policy document in force, named so that the statements
// that decide a request can be reported (a file name, an ARN).
type Policy struct {
	Name string
	Doc  *iampolicy.Document
}

// PolicySet is every policy that applies to a request.
type PolicySet struct {
	// Identity holds the principal's identity-based policies (inline and
	// managed, and its groups' for a user).
	Identity []Policy
	// Resource is the resource-based policy of the resource acted on.
	Resource *Policy
	// Boundary is the principal's permissions boundary; nil for none.
	Boundary *Policy
	// SCPs holds the service control policies by level of the
	// organization, root first and the account last: every level must
	// allow. Nil means the account is not governed by SCPs.
	SCPs [][]Policy
	// RCPs holds the resource control policies by level, like SCPs. Real
	// organizations attach RCPFullAWSAccess to every level; callers that
	// model RCPs include it.
	RCPs [][]Policy
	// Session is the session policy passed when the role session or
	// federated user session was created; nil for none.
	Session *Policy
}

// Decider is a statement that took part in the decision: an explicit deny
// that matched, or an allow the decision relied on.
type Decider struct {
	Policy string `json:"policy"`
	Index  int    `json:"index"`
	Sid    string `json:"sid"`
	Effect string `json:"effect"`
}

// Result is the decision and the statements that made it. For
// ExplicitlyDenied, Statements lists every matching Deny; for Allowed, the
// Allow statements of every policy type the decision needed; for
// ImplicitlyDenied it is empty and Reason says which allow was missing.
type Result struct {
	Decision   Decision  `json:"decision"`
	Statements []Decider `json:"statements"`
	Reason     string    `json:"reason,omitempty"`
}

// MarshalJSON writes statements as [] rather than null when there are none.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	if r.Statements == nil {
		r.Statements = []Decider{}
	}
	return json.Marshal(plain(r))
}

// policyKind selects the resource-matching rules of a policy type (see
// matchResource) and whether the Principal element counts.
type policyKind int

const (
	kindIdentity policyKind = iota
	kindSession
	kindBoundary
	kindSCP
	kindRCP
	kindResource
)

// principalMatch grades how a resource policy's Principal names the caller.
type principalMatch int

const (
	noMatch principalMatch = iota
	// accountMatch: the statement names the caller's account (its ID or
	// arn:aws:iam::ID:root); the account must still delegate through an
	// identity policy.
	accountMatch
	// sessionRoleMatch: the statement names the role whose session calls.
	sessionRoleMatch
	// sessionUserMatch: the statement names the IAM user behind a
	// federated-user session.
	sessionUserMatch
	// exactMatch: "*" or the caller's own ARN (or service principal).
	exactMatch
)

// direct reports whether the statement grants to the caller itself rather
// than to its account.
func (m principalMatch) direct() bool { return m >= sessionRoleMatch }

type hit struct {
	d     Decider
	match principalMatch // resource policies only
	// wildcardPrincipal: the statement's Principal is "*".
	wildcardPrincipal bool
}

// analysis is what one group of policies says about the request.
type analysis struct {
	allows, denies []hit
}

func (a *analysis) allowed() bool { return len(a.allows) > 0 }

// Evaluate applies AWS's policy evaluation logic to a request and returns
// the decision with the statements that made it. It never panics: a
// statement whose elements or conditions cannot be read simply does not
// match (see the package doc for the order of the steps and the rules
// where AWS's documentation and the reference simulator disagree).
func Evaluate(req Request, set PolicySet) Result { return evaluate(req, set, quirks{}) }

// quirks switch on the reference simulator's behaviour where it departs
// from AWS's documentation, so that the differential tests can tell a
// documented difference (the reference agrees once the quirk is on) from
// a bug. Evaluate never sets them.
type quirks struct {
	// sessionCapsAll: a session policy caps every grant, also one a
	// resource policy makes to the session's own ARN.
	sessionCapsAll bool
	// variableResourceType: a policy variable before the first "/" or ":"
	// of an ARN's resource part is taken as part of a literal resource
	// type (so ${aws:PrincipalTag/q} never matches a queue name).
	variableResourceType bool
	// scpOnServices: SCPs must allow a service principal's request too.
	scpOnServices bool
}

func evaluate(req Request, set PolicySet, q quirks) Result {
	e := newEvaluator(req, set.Boundary != nil)
	e.quirks = q
	identity := e.analyze(set.Identity, kindIdentity)
	var session, boundary, resource *analysis
	if set.Session != nil {
		session = e.analyze([]Policy{*set.Session}, kindSession)
	}
	if set.Boundary != nil {
		boundary = e.analyze([]Policy{*set.Boundary}, kindBoundary)
	}
	if set.Resource != nil {
		resource = e.analyze([]Policy{*set.Resource}, kindResource)
	} else {
		resource = &analysis{}
	}
	scps := make([]*analysis, len(set.SCPs))
	for i, level := range set.SCPs {
		scps[i] = e.analyze(level, kindSCP)
	}
	rcps := make([]*analysis, len(set.RCPs))
	for i, level := range set.RCPs {
		rcps[i] = e.analyze(level, kindRCP)
	}

	// 1. An explicit deny in any policy ends the evaluation
	// (reference_policies_evaluation-logic_policy-eval-denyallow.html,
	// "Deny evaluation"). Anonymous callers are not governed by identity,
	// session, boundary or SCPs, which only a signed principal carries.
	var denies []Decider
	add := func(a *analysis) {
		if a != nil {
			for _, h := range a.denies {
				denies = append(denies, h.d)
			}
		}
	}
	if !e.anonymous {
		add(identity)
		add(session)
		add(boundary)
		if !e.service || e.quirks.scpOnServices {
			for _, a := range scps {
				add(a)
			}
		}
	}
	add(resource)
	for _, a := range rcps {
		add(a)
	}
	if len(denies) > 0 {
		return Result{Decision: ExplicitlyDenied, Statements: denies}
	}

	// 2. Every level of RCPs must allow: they govern the resource, whoever
	// calls.
	var grants []Decider
	for i, a := range rcps {
		if !a.allowed() {
			return Result{Reason: fmt.Sprintf("no resource control policy at level %d allows the request", i)}
		}
		grants = append(grants, decidersOf(a.allows)...)
	}
	if e.anonymous {
		// An unsigned request is allowed only by a resource policy open
		// to everyone.
		var open []Decider
		for _, h := range resource.allows {
			if h.wildcardPrincipal {
				open = append(open, h.d)
			}
		}
		if len(open) == 0 {
			return Result{Reason: "an anonymous request needs a resource policy that allows Principal \"*\""}
		}
		return Result{Decision: Allowed, Statements: append(open, grants...)}
	}
	direct := filter(resource.allows, func(h hit) bool { return h.match.direct() })

	// 3. A service principal is allowed by the resource policy alone. SCPs
	// do not restrict it: they govern the IAM users and roles of the
	// accounts in the organization (orgs_manage_policies_scps.html, "SCPs
	// don't affect ... resource-based policies ... service-linked roles").
	byService := func() Result {
		if len(resource.allows) == 0 {
			return Result{Reason: "a service principal needs a resource policy that allows it"}
		}
		return Result{Decision: Allowed, Statements: append(decidersOf(resource.allows), grants...)}
	}
	if e.service && !e.quirks.scpOnServices {
		return byService()
	}
	for i, a := range scps {
		if !a.allowed() {
			return Result{Reason: fmt.Sprintf("no service control policy at level %d allows the request", i)}
		}
		grants = append(grants, decidersOf(a.allows)...)
	}
	if e.service {
		return byService()
	}

	// 4. A session policy caps what the identity policies grant. A
	// resource policy that names the session itself (its assumed-role or
	// federated-user ARN, or Principal "*") is not capped: "the permissions from the
	// resource-based policy are added after the session is created. The
	// session policy permissions don't limit them" (access_policies.html,
	// "Session policies").
	if session != nil && !session.allowed() {
		if q.sessionCapsAll {
			return Result{Reason: "the session policy does not allow the request"}
		}
		bySession := filter(direct, func(h hit) bool { return h.match == exactMatch && e.isSession })
		if !e.sameAccount || len(bySession) == 0 {
			return Result{Reason: "the session policy does not allow the request"}
		}
		return Result{Decision: Allowed, Statements: append(decidersOf(bySession), grants...)}
	}
	if session != nil {
		grants = append(grants, decidersOf(session.allows)...)
	}

	// 5. Identity-based and resource-based policies, capped by the
	// permissions boundary.
	boundaryOK := boundary == nil || boundary.allowed()
	if boundary != nil && boundary.allowed() {
		grants = append(grants, decidersOf(boundary.allows)...)
	}
	identityOK := identity.allowed() && boundaryOK
	if e.sameAccount {
		// Within one account either an identity policy or a resource
		// policy that names the principal suffices
		// (reference_policies_evaluation-logic_policy-eval-basics.html:
		// "If either the identity-based policy or the resource-based
		// policy within the same account allows the request and the other
		// doesn't, the request is still allowed"). A resource policy that
		// names only the account delegates to the identity policies.
		//
		// An implicit deny in a permissions boundary does not limit a
		// resource policy that names an IAM user or a role session by its
		// ARN, but does limit one that names the role
		// (access_policies_boundaries.html, "Evaluating effective
		// permissions with boundaries"); a grant to Principal "*" counts
		// as naming the caller.
		resGrants := direct
		if !boundaryOK {
			resGrants = filter(direct, func(h hit) bool {
				if e.isUserOrSession {
					return h.match == exactMatch
				}
				return e.isRole && h.match == exactMatch && h.wildcardPrincipal
			})
		}
		if identityOK || len(resGrants) > 0 {
			var st []Decider
			if identityOK {
				st = append(st, decidersOf(identity.allows)...)
			}
			st = append(st, decidersOf(resGrants)...)
			return Result{Decision: Allowed, Statements: append(st, grants...)}
		}
		switch {
		case !boundaryOK && identity.allowed():
			return Result{Reason: "the permissions boundary does not allow the request"}
		case len(resource.allows) > 0:
			return Result{Reason: "the resource policy names only the account, and no identity policy allows the request"}
		}
		return Result{Reason: "no identity-based or resource-based policy allows the request"}
	}
	// Across accounts both sides must allow: the resource policy (naming
	// the caller or its account) and the caller's identity policies
	// (reference_policies_evaluation-logic-cross-account.html).
	switch {
	case len(resource.allows) == 0:
		return Result{Reason: "cross-account request: the resource policy does not allow the principal or its account"}
	case !identity.allowed():
		return Result{Reason: "cross-account request: no identity policy allows the request"}
	case !boundaryOK:
		return Result{Reason: "the permissions boundary does not allow the request"}
	}
	st := append(decidersOf(identity.allows), decidersOf(resource.allows)...)
	return Result{Decision: Allowed, Statements: append(st, grants...)}
}

func decidersOf(hs []hit) []Decider {
	out := make([]Decider, 0, len(hs))
	for _, h := range hs {
		out = append(out, h.d)
	}
	return out
}

func filter(hs []hit, keep func(hit) bool) []hit {
	var out []hit
	for _, h := range hs {
		if keep(h) {
			out = append(out, h)
		}
	}
	return out
}

// evaluator holds what every statement test needs of the request, computed
// once.
type evaluator struct {
	req         Request
	ctx         map[string][]string // lower-case keys, absent keys dropped
	action      string              // lower-case
	actionSvc   string              // lower-case service prefix
	actionName  string              // lower-case action name
	resource    arnParts
	resourceARN bool
	hasBoundary bool
	quirks      quirks

	principal        arnParts
	principalAccount string
	anonymous        bool
	service          bool
	isRole           bool // arn:...:iam::ACCT:role/...
	isSession        bool // assumed-role or federated-user session
	isUserOrSession  bool
	sameAccount      bool
}

func newEvaluator(req Request, hasBoundary bool) *evaluator {
	e := &evaluator{req: req, hasBoundary: hasBoundary, ctx: make(map[string][]string, len(req.Context))}
	for k, v := range req.Context {
		if len(v) > 0 {
			// Keys that differ only in case are one key.
			lk := strings.ToLower(k)
			e.ctx[lk] = append(e.ctx[lk][:len(e.ctx[lk]):len(e.ctx[lk])], v...)
		}
	}
	e.action = strings.ToLower(strings.TrimSpace(req.Action))
	e.actionSvc, e.actionName, _ = strings.Cut(e.action, ":")
	e.resource, e.resourceARN = splitARN(req.Resource)
	switch {
	case req.Principal == "" || req.Principal == "*":
		e.anonymous = true
	case isServicePrincipal(req.Principal):
		e.service = true
	default:
		if p, ok := splitARN(req.Principal); ok {
			e.principal = p
			e.principalAccount = p.account
			svc, res := p.service, p.resource
			e.isRole = svc == "iam" && strings.HasPrefix(res, "role/")
			e.isSession = svc == "sts" && (strings.HasPrefix(res, "assumed-role/") || strings.HasPrefix(res, "federated-user/"))
			e.isUserOrSession = e.isSession || (svc == "iam" && strings.HasPrefix(res, "user/"))
		}
	}
	acct := req.ResourceAccount
	if acct == "" && e.resourceARN {
		acct = e.resource.account
	}
	if acct == "" {
		acct = e.principalAccount
	}
	e.sameAccount = e.principalAccount != "" && acct == e.principalAccount
	return e
}

// isServicePrincipal reports whether p names an AWS service
// (lambda.amazonaws.com) rather than an ARN.
func isServicePrincipal(p string) bool {
	return !strings.HasPrefix(p, "arn:") && strings.HasSuffix(p, ".amazonaws.com")
}

// analyze tests every statement of the policies against the request.
func (e *evaluator) analyze(ps []Policy, kind policyKind) *analysis {
	a := &analysis{}
	for _, p := range ps {
		if p.Doc == nil {
			continue
		}
		for i := range p.Doc.Statements {
			s := &p.Doc.Statements[i]
			deny := strings.EqualFold(s.Effect, "Deny")
			if !deny && !strings.EqualFold(s.Effect, "Allow") {
				continue
			}
			h := hit{d: Decider{Policy: p.Name, Index: s.Index, Sid: s.Sid, Effect: s.Effect}, match: exactMatch}
			if kind == kindResource {
				h.match, h.wildcardPrincipal = e.matchPrincipal(s, deny)
				if h.match == noMatch {
					continue
				}
			}
			if !e.matchAction(s) || !e.matchResources(s, kind, deny) || !e.matchConditions(s.Condition) {
				continue
			}
			if deny {
				a.denies = append(a.denies, h)
			} else {
				a.allows = append(a.allows, h)
			}
		}
	}
	return a
}
