package iameval

import (
	"regexp"
	"strings"

	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// arnParts is an ARN split at its first five colons; the resource part
// keeps any further colons (function:name:alias).
type arnParts struct {
	partition, service, region, account, resource string
}

// splitARN splits "arn:partition:service:region:account:resource".
func splitARN(s string) (arnParts, bool) {
	f := strings.SplitN(s, ":", 6)
	if len(f) < 6 || f[0] != "arn" {
		return arnParts{}, false
	}
	return arnParts{f[1], f[2], f[3], f[4], f[5]}, true
}

// matchAction tests Action or NotAction. Action names ignore case
// (reference_policies_elements_action.html); "*" matches every action, and
// a pattern's wildcards apply to the action name only: the service prefix
// is compared as written.
func (e *evaluator) matchAction(s *iampolicy.Statement) bool {
	if s.Action != nil {
		return e.anyAction(s.Action)
	}
	if s.NotAction != nil {
		return !e.anyAction(s.NotAction)
	}
	return false
}

func (e *evaluator) anyAction(patterns []string) bool {
	for _, p := range patterns {
		if e.actionMatches(p) {
			return true
		}
	}
	return false
}

func (e *evaluator) actionMatches(pattern string) bool {
	p := strings.ToLower(pattern)
	if p == "*" {
		return true
	}
	svc, name, ok := strings.Cut(p, ":")
	if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || svc != e.actionSvc {
		return false
	}
	return iampolicy.WildcardMatch(name, e.actionName)
}

// matchResources tests Resource or NotResource; a statement with neither
// (a trust policy) applies to any resource. A NotResource entry that
// cannot be judged (a policy variable without a value, a short ARN the
// policy type does not accept) makes the statement not apply, rather than
// apply to everything: nothing proves the resource is outside the entry.
func (e *evaluator) matchResources(s *iampolicy.Statement, kind policyKind, deny bool) bool {
	if s.Resource != nil {
		for _, r := range s.Resource {
			if m, _ := e.resourceMatches(r, kind, deny, false); m {
				return true
			}
		}
		return false
	}
	if s.NotResource != nil {
		for _, r := range s.NotResource {
			if m, definite := e.resourceMatches(r, kind, deny, true); m || !definite {
				return false
			}
		}
		return true
	}
	return true
}

// resourceMatches tests one Resource (or NotResource) entry, and reports
// whether a mismatch is definite. The first five fields of an ARN ignore
// case and take wildcards; the resource part is case-sensitive
// (reference_policies_elements_resource.html: "ARNs are case sensitive")
// and takes wildcards and policy variables
// (reference_policies_variables.html). The resource type that opens it
// ("function:", "role/") is compared literally, as a wildcard or variable
// may not stand for it (reference-arns.html, "Incorrect wildcard usage").
//
// An ARN with fewer than six fields is padded with "*" in identity,
// session and boundary policies; in resource policies and SCPs only when
// it carries a wildcard (in its last field, for SCPs); RCPs never match
// one. These are the reference simulator's rules: AWS's documentation
// does not define short ARNs.
func (e *evaluator) resourceMatches(pattern string, kind policyKind, deny, not bool) (match, definite bool) {
	if pattern == "*" {
		return true, true
	}
	if !strings.HasPrefix(pattern, "arn:") {
		return iampolicy.WildcardMatch(pattern, e.req.Resource), true
	}
	short := false
	if f := strings.Split(pattern, ":"); len(f) < 6 {
		last := f[len(f)-1]
		pad, reject := true, false
		switch kind {
		case kindResource:
			pad = strings.Contains(pattern, "*")
		case kindSCP:
			pad, reject = strings.HasSuffix(last, "*"), true
		case kindRCP:
			pad, reject = false, true
		}
		if !pad {
			return false, !reject
		}
		for len(f) < 6 {
			f = append(f, "*")
		}
		pattern, short = strings.Join(f, ":"), true
	}
	p, _ := splitARN(pattern)
	if e.req.Resource == "*" {
		// A request on every resource (an action without resource
		// types): an Allow on some ARN applies, a Deny on some ARN does
		// not, and NotResource reverses both.
		return !deny != not, true
	}
	if !e.resourceARN {
		return false, false
	}
	r := e.resource
	if !foldMatch(p.partition, r.partition) || !foldMatch(p.service, r.service) ||
		!foldMatch(p.region, r.region) || !foldMatch(p.account, r.account) {
		return false, !short
	}
	product := resourceType(p, e.quirks.variableResourceType)
	if !strings.HasPrefix(r.resource, product) {
		return false, !short
	}
	resolved, ok := e.resolve(p.resource[len(product):], true)
	if !ok {
		return false, false
	}
	if !wildMatch(resolved, r.resource[len(product):]) {
		return false, !short
	}
	return true, true
}

func foldMatch(pattern, s string) bool {
	return iampolicy.WildcardMatch(strings.ToLower(pattern), strings.ToLower(s))
}

// resourceType returns the literal resource-type prefix of a policy ARN's
// resource part: up to and including its first "/" or ":" ("function:",
// "role/"). S3 ARNs (no region, no account) have none, and neither has a
// resource part that opens with a policy variable, whose value is the
// whole name (arn:aws:sqs:*:*:${aws:PrincipalTag/queue}) unless
// variableInType asks for the reference simulator's reading.
func resourceType(p arnParts, variableInType bool) string {
	if p.service == "s3" && p.region == "" && p.account == "" {
		return ""
	}
	i := strings.IndexAny(p.resource, "/:")
	if i < 0 {
		return ""
	}
	if !variableInType && strings.Contains(p.resource[:i], "${") {
		return ""
	}
	return p.resource[:i+1]
}

// matchPrincipal grades a resource policy statement's Principal or
// NotPrincipal against the caller, and reports whether it is "*". A
// statement with neither does not apply to anyone.
//
// A Deny with NotPrincipal applies to every principal that has a
// permissions boundary, whatever it lists (access_policies_boundaries.html:
// "The NotPrincipal element with a Deny effect will always deny any IAM
// principal that has a permissions boundary policy attached").
func (e *evaluator) matchPrincipal(s *iampolicy.Statement, deny bool) (principalMatch, bool) {
	switch {
	case s.Principal != nil:
		if s.Principal.Wildcard {
			return exactMatch, true
		}
		return e.principalIn(s.Principal), false
	case s.NotPrincipal != nil:
		if deny && e.hasBoundary && !e.anonymous {
			return exactMatch, false
		}
		if s.NotPrincipal.Wildcard || e.principalIn(s.NotPrincipal) != noMatch {
			return noMatch, false
		}
		return exactMatch, false
	}
	return noMatch, false
}

// principalIn returns the best grade of the caller among a Principal
// element's values.
func (e *evaluator) principalIn(p *iampolicy.Principal) principalMatch {
	best := noMatch
	if e.anonymous {
		return best
	}
	for typ, vals := range p.Values {
		for _, v := range vals {
			m := e.principalValue(typ, v)
			if m > best {
				best = m
			}
		}
	}
	return best
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

func (e *evaluator) principalValue(typ, v string) principalMatch {
	switch typ {
	case "Service", "Federated", "CanonicalUser":
		if v == e.req.Principal {
			return exactMatch
		}
		return noMatch
	case "AWS":
	default:
		return noMatch
	}
	if v == "*" {
		return exactMatch
	}
	if e.service {
		return noMatch
	}
	if accountID.MatchString(v) {
		if v == e.principalAccount {
			return accountMatch
		}
		return noMatch
	}
	pa, ok := splitARN(v)
	if !ok {
		return noMatch
	}
	if pa.service == "iam" && pa.resource == "root" {
		if pa.account == e.principalAccount {
			return accountMatch
		}
		return noMatch
	}
	if v == e.req.Principal {
		return exactMatch
	}
	rp := e.principal
	switch {
	case rp.service == "sts" && strings.HasPrefix(rp.resource, "assumed-role/"):
		// arn:aws:sts::ACCT:assumed-role/NAME/SESSION is a session of
		// arn:aws:iam::ACCT:role/PATH/NAME.
		if pa.service == "iam" && strings.HasPrefix(pa.resource, "role/") &&
			pa.partition == rp.partition && pa.account == rp.account {
			role := pa.resource[strings.LastIndexByte(pa.resource, '/')+1:]
			name, _, _ := strings.Cut(strings.TrimPrefix(rp.resource, "assumed-role/"), "/")
			if role != "" && strings.EqualFold(role, name) {
				return sessionRoleMatch
			}
		}
	case rp.service == "sts" && strings.HasPrefix(rp.resource, "federated-user/"):
		user := "arn:" + rp.partition + ":iam::" + rp.account + ":user/" + strings.TrimPrefix(rp.resource, "federated-user/")
		if v == user {
			return sessionUserMatch
		}
	}
	return noMatch
}
