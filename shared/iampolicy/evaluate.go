package iampolicy

import (
	"regexp"
	"sort"
	"strings"

	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// maxEvidenceActions caps action lists in evidence: a finding must fit in
// one EventBridge event, and the count ("expandsTo") carries the size.
const maxEvidenceActions = 50

// Evaluate runs the checks that apply to a policy of the given kind and
// returns the issues in a deterministic order: by statement, then by check
// ID, then by key. Deny statements never produce issues. A nil document has
// no issues.
func Evaluate(doc *Document, kind Kind, opts Options) []Issue {
	if doc == nil {
		return nil
	}
	var out []Issue
	switch kind {
	case Identity:
		views := make([]*stmtView, len(doc.Statements))
		for i := range doc.Statements {
			views[i] = newView(&doc.Statements[i])
		}
		g := documentGrants(views)
		for _, v := range views {
			out = append(out, evalIdentity(v, g)...)
		}
	case LambdaResource:
		for i := range doc.Statements {
			out = append(out, evalLambda(&doc.Statements[i], opts)...)
		}
	case Trust:
		for i := range doc.Statements {
			out = append(out, evalTrust(&doc.Statements[i])...)
		}
	}
	return out
}

func isAllow(s *Statement) bool { return strings.EqualFold(s.Effect, "Allow") }

// newIssue fills an issue from the check registry at the check's default
// severity, lowering it one step when the statement carries a restrictive
// Condition.
func newIssue(check string, s *Statement, key string, ev map[string]any) Issue {
	return newIssueAt(check, checkInfo(check).Severity, s, key, ev)
}

// newIssueAt is newIssue at a severity other than the check's default (IAM002
// on scoped resources), before any lowering for a restrictive Condition.
func newIssueAt(check string, base findings.Severity, s *Statement, key string, ev map[string]any) Issue {
	info := checkInfo(check)
	if ev == nil {
		ev = map[string]any{}
	}
	ev["statement"] = s.Raw
	sev := base
	if ok, keys := restrictive(s.Condition); ok {
		sev = base.Lower()
		ev["conditionLowered"] = true
		ev["restrictingConditionKeys"] = keys
	}
	return Issue{
		Check: check, Severity: sev, Title: info.Title, Remediation: info.Remediation,
		Pointer: s.Pointer, Key: key, Evidence: ev,
	}
}

// ---- identity policies: IAM001-IAM007 ----

// grants records which actions a document allows on every resource, for
// escalation paths that need several permissions together.
type grants struct {
	all      bool
	services map[string]bool // lower-case service prefixes granted whole
	actions  map[string]bool // lower-case literal actions
	patterns []grantPattern  // wildcard patterns, matched when asked
}

type grantPattern struct {
	pattern string // lower-case
	view    *stmtView
}

// stmtView caches what the identity checks ask of one statement many
// times: its Action patterns and resources in lower case, and whether it
// covers every resource of a service.
type stmtView struct {
	s       *Statement
	actions []string // trimmed as written
	lower   []string // trimmed, lower-case
	res     []string // trimmed, lower-case Resource
	broad   map[string]bool
}

func newView(s *Statement) *stmtView {
	v := &stmtView{s: s, actions: make([]string, len(s.Action)), lower: make([]string, len(s.Action)), res: make([]string, len(s.Resource))}
	for i, a := range s.Action {
		v.actions[i] = strings.TrimSpace(a)
		v.lower[i] = strings.ToLower(v.actions[i])
	}
	for i, r := range s.Resource {
		v.res[i] = strings.ToLower(strings.TrimSpace(r))
	}
	return v
}

// broadFor reports whether the statement covers every resource of the
// service (lower-case; "" for every service), computed once per service:
// NotResource, or a Resource for which resourceBroad holds.
func (v *stmtView) broadFor(svc string) bool {
	if b, ok := v.broad[svc]; ok {
		return b
	}
	b := v.s.NotResource != nil
	for _, r := range v.res {
		if b {
			break
		}
		b = resourceBroadLower(r, svc)
	}
	if v.broad == nil {
		v.broad = make(map[string]bool, 4)
	}
	v.broad[svc] = b
	return b
}

// has reports whether a lower-case action is granted on every resource of
// its service.
func (g *grants) has(action string) bool {
	svc, _, _ := strings.Cut(action, ":")
	if g.all || g.services[svc] || g.actions[action] {
		return true
	}
	for _, p := range g.patterns {
		if globMatch(p.pattern, action) && p.view.broadFor(svc) {
			return true
		}
	}
	return false
}

// documentGrants collects what a document allows on every resource. A
// statement with a restrictive Condition does not count: iam:PassRole
// limited by iam:PassedToService to dax.amazonaws.com cannot hand a role to
// a new Lambda function, so it completes no path.
func documentGrants(views []*stmtView) *grants {
	g := &grants{services: map[string]bool{}, actions: map[string]bool{}}
	for _, v := range views {
		s := v.s
		if !isAllow(s) || s.Action == nil {
			continue
		}
		if ok, _ := restrictive(s.Condition); ok {
			continue
		}
		for _, p := range v.lower {
			svc, name, ok := strings.Cut(p, ":")
			switch {
			case p == "*" || (svc == "*" && name == "*"):
				if v.broadFor("") {
					g.all = true
				}
			case !ok:
			case name == "*" && !hasWildcard(svc):
				if v.broadFor(svc) {
					g.services[svc] = true
				}
			case hasWildcard(p):
				g.patterns = append(g.patterns, grantPattern{p, v})
			default:
				if v.broadFor(svc) {
					g.actions[p] = true
				}
			}
		}
	}
	return g
}

// grant is one concrete action a statement allows, with the patterns that
// reached it.
type grant struct {
	name     string // canonical "service:Name" (catalog spelling when known)
	lower    string
	service  string // lower-case
	info     ActionInfo
	known    bool
	patterns []string
}

func refGrant(r actionRef) grant {
	full := r.s.fullLower[r.i]
	return grant{name: r.s.full[r.i], lower: full, service: full[:strings.IndexByte(full, ':')], info: r.s.actions[r.i], known: true}
}

func evalIdentity(v *stmtView, g *grants) []Issue {
	s := v.s
	if !isAllow(s) {
		return nil
	}
	var out []Issue
	if s.NotAction != nil {
		out = append(out, newIssue("IAM003", s, s.Pointer, map[string]any{
			"notAction": s.NotAction, "resources": resourcesOf(s),
		}))
	}
	if s.Action != nil {
		out = append(out, actionIssues(v, g)...)
	}
	if s.NotResource != nil {
		out = append(out, newIssue("IAM007", s, s.Pointer, map[string]any{
			"notResource": s.NotResource, "actions": actionsOf(s),
		}))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Check != out[j].Check {
			return out[i].Check < out[j].Check
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func actionsOf(s *Statement) []string {
	if s.Action != nil {
		return s.Action
	}
	return s.NotAction
}

func resourcesOf(s *Statement) any {
	if s.NotResource != nil {
		return map[string]any{"NotResource": s.NotResource}
	}
	if s.Resource == nil {
		return []string{}
	}
	return s.Resource
}

// actionIssues applies IAM001, IAM002, IAM004, IAM005 and IAM006 to the
// statement's Action list, with this precedence so that one grant is
// reported once:
//
//	IAM001 ("*" on every resource) silences every other action check;
//	IAM002 (svc:*) covers the actions of that service;
//	of the remaining actions, iam:PassRole is IAM004, escalation actions
//	IAM005, and other write actions IAM006.
func actionIssues(v *stmtView, g *grants) []Issue {
	s := v.s
	var out []Issue
	// IAM001, or "*" on scoped resources.
	for _, t := range v.actions {
		if t != "*" && t != "*:*" {
			continue
		}
		_, n, _ := CatalogSource()
		if v.broadFor("") {
			return []Issue{newIssue("IAM001", s, s.Pointer, map[string]any{
				"actions": s.Action, "resources": resourcesOf(s), "expandsTo": n,
			})}
		}
		return []Issue{newIssueAt("IAM002", findings.Medium, s, s.Pointer+"|*", map[string]any{
			"service": "*", "pattern": t, "actions": s.Action, "resources": resourcesOf(s),
			"scoped": true, "expandsTo": n,
		})}
	}

	// IAM002: whole services.
	covered := map[string]bool{}
	c := catalog()
	for pi, t := range v.lower {
		svcPat, name, ok := strings.Cut(t, ":")
		if !ok || name != "*" {
			continue
		}
		var svcs []string
		if hasWildcard(svcPat) {
			for _, n := range c.names {
				if globMatch(svcPat, n) {
					svcs = append(svcs, n)
				}
			}
		} else {
			// An unknown service with svc:* still counts as a whole service.
			svcs = []string{svcPat}
		}
		for _, svc := range svcs {
			if covered[svc] {
				continue
			}
			covered[svc] = true
			n := 0
			if sd := c.services[svc]; sd != nil {
				n = len(sd.actions)
			}
			sev, scoped := checkInfo("IAM002").Severity, false
			if !v.broadFor(svc) {
				sev, scoped = findings.Medium, true
			}
			out = append(out, newIssueAt("IAM002", sev, s, s.Pointer+"|"+svc, map[string]any{
				"service": svc, "pattern": v.actions[pi], "resources": resourcesOf(s),
				"scoped": scoped, "expandsTo": n,
			}))
		}
	}

	// The remaining concrete actions.
	order := make([]string, 0, len(v.actions))
	byName := make(map[string]*grant, len(v.actions))
	add := func(gr grant, pattern string) {
		if covered[gr.service] {
			return
		}
		if e := byName[gr.lower]; e != nil {
			if e.patterns[len(e.patterns)-1] != pattern {
				e.patterns = append(e.patterns, pattern)
			}
			return
		}
		gr.patterns = []string{pattern}
		byName[gr.lower] = &gr
		order = append(order, gr.lower)
	}
	for pi, t := range v.actions {
		tl := v.lower[pi]
		if hasWildcard(tl) {
			for _, r := range expand(tl) {
				add(refGrant(r), t)
			}
			continue
		}
		svc, _, ok := strings.Cut(tl, ":")
		if !ok {
			continue
		}
		if r, ok := lookup(tl); ok {
			add(refGrant(r), t)
			continue
		}
		add(grant{name: t, lower: tl, service: svc}, t)
	}
	sort.Strings(order)

	esc := escalation()
	var passRole *grant
	var escalating, writes []*grant
	reasons := map[string]string{}
	pathsHit := map[string]bool{}
	for _, name := range order {
		gr := byName[name]
		if !v.broadFor(gr.service) {
			continue
		}
		if gr.lower == "iam:passrole" {
			passRole = gr
			continue
		}
		if why := escalationReason(gr, esc, g, pathsHit); why != "" {
			escalating = append(escalating, gr)
			reasons[gr.name] = why
			continue
		}
		if gr.known && gr.info.ResourceTypes && (gr.info.AccessLevel == LevelWrite || gr.info.AccessLevel == LevelTagging) {
			writes = append(writes, gr)
		}
	}
	if passRole != nil {
		out = append(out, newIssue("IAM004", s, s.Pointer+"|iam:passrole", map[string]any{
			"action": "iam:PassRole", "matchedBy": passRole.patterns, "resources": resourcesOf(s),
		}))
	}
	if len(escalating) > 0 {
		ev := map[string]any{
			"actions": grantNames(escalating), "reasons": capMap(reasons),
			"matchedBy": grantPatterns(escalating), "resources": resourcesOf(s), "expandsTo": len(escalating),
		}
		if len(pathsHit) > 0 {
			ev["paths"] = sortedKeys(pathsHit)
		}
		out = append(out, newIssue("IAM005", s, s.Pointer, ev))
	}
	if len(writes) > 0 {
		out = append(out, newIssue("IAM006", s, s.Pointer, map[string]any{
			"actions": grantNames(writes), "matchedBy": grantPatterns(writes),
			"resources": resourcesOf(s), "expandsTo": len(writes),
		}))
	}
	return out
}

// escalationReason says why an action is a privilege-escalation action, or
// "" when it is not: the catalog's Permissions management level, a
// single-permission escalation path, or a multi-permission path whose every
// permission the document grants on every resource (lambda:CreateFunction
// together with iam:PassRole, for example).
func escalationReason(gr *grant, esc *escalationData, g *grants, pathsHit map[string]bool) string {
	if why, ok := esc.single[gr.lower]; ok {
		return why
	}
	if gr.known && gr.info.AccessLevel == LevelPermissions && !readNamed(gr.info.Name) {
		return "Permissions management access level"
	}
	var hit []string
	for _, i := range esc.byPerm[gr.lower] {
		p := esc.multi[i]
		all := true
		for _, perm := range p.perms {
			if !g.has(perm) {
				all = false
				break
			}
		}
		if all {
			hit = append(hit, p.id)
			pathsHit[p.id] = true
		}
	}
	if len(hit) > 0 {
		return "pathfinding.cloud " + strings.Join(hit, ", ")
	}
	return ""
}

// readNamed reports whether an action's name says it only reads. The
// catalog files a few dozen such actions (glue:GetStage,
// quicksight:DescribeTopicPermissions, fsx:GetResourcePolicy) under
// Permissions management; they change nothing, and read-only actions on "*"
// are not findings (docs/architecture.md, "Check registry").
func readNamed(name string) bool {
	for _, p := range []string{"Get", "Describe", "List", "Search", "View", "BatchGet", "BatchDescribe"} {
		if rest, ok := strings.CutPrefix(name, p); ok && (rest == "" || (rest[0] >= 'A' && rest[0] <= 'Z')) {
			return true
		}
	}
	return false
}

func grantNames(gs []*grant) []string {
	out := make([]string, 0, min(len(gs), maxEvidenceActions))
	for i, g := range gs {
		if i == maxEvidenceActions {
			break
		}
		out = append(out, g.name)
	}
	return out
}

func grantPatterns(gs []*grant) []string {
	seen := map[string]bool{}
	for _, g := range gs {
		for _, p := range g.patterns {
			seen[p] = true
		}
	}
	return sortedKeys(seen)
}

func capMap(m map[string]string) map[string]string {
	if len(m) <= maxEvidenceActions {
		return m
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]string, maxEvidenceActions)
	for _, k := range keys[:maxEvidenceActions] {
		out[k] = m[k]
	}
	return out
}

// resourceBroad reports whether a resource covers every resource of the
// service (lower-case; "" for every service): "*", an ARN whose resource
// part is only wildcards ("arn:aws:s3:::*"), or one that names a resource
// type and wildcards only ("arn:aws:iam::*:role/*"). A statement with
// NotResource counts as broad too (stmtView.broadFor): it allows everything
// but the listed ARNs.
func resourceBroad(r, svc string) bool {
	return resourceBroadLower(strings.ToLower(strings.TrimSpace(r)), svc)
}

// resourceBroadLower is resourceBroad for a trimmed, lower-case resource.
func resourceBroadLower(r, svc string) bool {
	if r == "*" {
		return true
	}
	if !strings.HasPrefix(r, "arn:") {
		return false
	}
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 {
		// "arn:*" and the like: broad only if everything after arn: is wild.
		return onlyWild(strings.Join(parts[1:], ":"))
	}
	rs, res := parts[2], parts[5]
	if svc == "" {
		return onlyWild(rs) && onlyWild(res)
	}
	if !onlyWild(rs) && rs != svc {
		return false
	}
	if onlyWild(res) {
		return true
	}
	sd := catalog().services[svc]
	if sd == nil {
		return false
	}
	for _, p := range sd.prefixes {
		if p != "" && strings.HasPrefix(res, p) && onlyWild(res[len(p):]) {
			return true
		}
	}
	return false
}

// onlyWild reports whether s is made of wildcards and separators only, with
// at least one *.
func onlyWild(s string) bool {
	if !strings.Contains(s, "*") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '/', ':':
		default:
			return false
		}
	}
	return true
}

// ---- role trust policies: IAM008 ----

// A trust statement is judged on who it lets in (IAM008) and on what it
// lets them do with the role. Trust policies have no Resource (the role
// is the resource), so the identity checks' resource tests do not apply;
// instead a trust statement that allows every STS action ("*", "sts:*")
// is IAM002 at its scoped severity, and one written with NotAction is
// IAM003: besides sts:AssumeRole the principal may tag sessions, set a
// source identity, or assume through SAML or web identity.
func evalTrust(s *Statement) []Issue {
	if !isAllow(s) {
		return nil
	}
	var out []Issue
	for _, a := range s.Action {
		if a == "*" || strings.EqualFold(a, "sts:*") {
			out = append(out, newIssueAt("IAM002", findings.Medium, s, s.Pointer+"|trust", map[string]any{
				"service": "sts", "pattern": a, "principal": principalEvidence(s), "policy": "trust", "scoped": true,
			}))
			break
		}
	}
	if s.NotAction != nil {
		out = append(out, newIssue("IAM003", s, s.Pointer+"|trust", map[string]any{
			"notAction": s.NotAction, "principal": principalEvidence(s), "policy": "trust",
		}))
	}
	if openPrincipal(s) && !testsAny(s.Condition, trustBoundKeys) {
		out = append(out, newIssue("IAM008", s, s.Pointer, map[string]any{
			"principal": principalEvidence(s), "actions": actionsOf(s),
		}))
	}
	return out
}

// openPrincipal: "*", {"AWS": "*"}, or Allow with NotPrincipal (everyone
// except the listed principals).
func openPrincipal(s *Statement) bool {
	return (s.Principal != nil && s.Principal.Wildcard) || s.NotPrincipal != nil
}

func principalEvidence(s *Statement) any {
	m, _ := s.Raw.(map[string]any)
	if s.NotPrincipal != nil {
		return map[string]any{"NotPrincipal": m["NotPrincipal"]}
	}
	if v, ok := m["Principal"]; ok {
		return v
	}
	return "*"
}

// ---- Lambda resource policies: LMB001-LMB003 ----

var accountARN = regexp.MustCompile(`^arn:[a-z-]+:(?:iam|sts)::(\d{12}):`)

// accountOf returns the account an AWS principal value names: a bare
// 12-digit ID or an IAM/STS ARN. Placeholders and ${AWS::AccountId} name no
// account.
func accountOf(v string) string {
	v = strings.TrimSpace(v)
	if awsid.IsAccountID(v) {
		return v
	}
	if m := accountARN.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return ""
}

func evalLambda(s *Statement, opts Options) []Issue {
	if !isAllow(s) {
		return nil
	}
	var out []Issue
	if openPrincipal(s) && !testsAny(s.Condition, lambdaBoundKeys) {
		out = append(out, newIssue("LMB001", s, s.Pointer, map[string]any{
			"principal": principalEvidence(s), "actions": actionsOf(s),
		}))
	}
	if s.Principal != nil && opts.AccountID != "" {
		seen := map[string]bool{}
		for _, v := range s.Principal.Values["AWS"] {
			if a := accountOf(v); a != "" && a != opts.AccountID && !seen[a] {
				seen[a] = true
			}
		}
		for _, a := range sortedKeys(seen) {
			out = append(out, newIssue("LMB002", s, s.Pointer+"|"+a, map[string]any{
				"account": a, "ownerAccount": opts.AccountID, "actions": actionsOf(s),
			}))
		}
	}
	if s.Principal != nil && !testsAny(s.Condition, deputyKeys) {
		seen := map[string]bool{}
		for _, v := range s.Principal.Values["Service"] {
			seen[strings.TrimSpace(v)] = true
		}
		for _, svc := range sortedKeys(seen) {
			out = append(out, newIssue("LMB003", s, s.Pointer+"|"+strings.ToLower(svc), map[string]any{
				"servicePrincipal": svc, "actions": actionsOf(s),
			}))
		}
	}
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
