package iameffect

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// Ref names one statement of one policy, as evidence does.
type Ref struct {
	Policy string `json:"policy"`
	Index  int    `json:"index"`
	Sid    string `json:"sid,omitempty"`
}

func refOf(policy string, s *iampolicy.Statement) Ref {
	return Ref{Policy: policy, Index: s.Index, Sid: s.Sid}
}

// Set is every policy in force for one principal.
type Set struct {
	// Identity holds the principal's identity policies: inline, attached
	// managed, and for a user its groups'.
	Identity []iameval.Policy
	// Boundary is the permissions boundary; nil for none.
	Boundary *iameval.Policy
	// SCPs holds service control policies by level, root first; every
	// level must allow. A level without any Allow statement (a deny list)
	// is taken with FullAWSAccess beside it, which AWS attaches to every
	// level unless removed.
	SCPs [][]iameval.Policy
	// Known holds condition keys whose value is a fact about the principal
	// (aws:PrincipalArn, aws:PrincipalAccount, aws:username).
	Known map[string][]string
	// Now is the time conditions on aws:CurrentTime are judged at.
	Now time.Time
}

// FullAWSAccess is the SCP AWS attaches to every level of an organization.
var FullAWSAccess = &iampolicy.Document{Version: "2012-10-17", Statements: []iampolicy.Statement{{
	Index: 0, Pointer: "/Statement/0", Sid: "FullAWSAccess", Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"},
}}}

// Judge decides which of a principal's per-statement issues its policies
// together support. Build one per principal with New; it is not safe for
// concurrent use.
type Judge struct {
	set    Set
	denies []denyStmt
	caps   []*capPolicy
	sat    map[*iampolicy.Statement]satisfied
	poss   map[string]iameval.PolicySet
}

type satisfied struct {
	ok  bool
	why string
}

// denyStmt is an unconditional Deny: only those cancel a grant, since a
// request can avoid a conditional one (call without the tag, from another
// address) and still use the grant.
type denyStmt struct {
	ref                     Ref
	actions, notActions     []string // lower-case
	resources, notResources []string
}

// capPolicy is a permissions boundary or one level of SCPs: what it allows,
// as the issues it raises itself, bounds what a principal's issues can be.
type capPolicy struct {
	what    string // "permissions boundary NAME", "SCP level N"
	entries []capEntry
}

type capEntry struct {
	patterns []string
	sev      findings.Severity
	ref      Ref
}

// New prepares the judge of one principal: the unconditional Denies of
// every policy in force and what the boundary and each SCP level allow.
func New(set Set) *Judge {
	if set.Now.IsZero() {
		set.Now = time.Now()
	}
	j := &Judge{set: set, sat: map[*iampolicy.Statement]satisfied{}, poss: map[string]iameval.PolicySet{}}
	for _, p := range set.Identity {
		j.addDenies(p)
	}
	if b := set.Boundary; b != nil && b.Doc != nil {
		j.addDenies(*b)
		j.caps = append(j.caps, j.capOf("permissions boundary "+b.Name, []iameval.Policy{*b}))
	}
	for i, level := range j.scpLevels() {
		for _, p := range level {
			j.addDenies(p)
		}
		j.caps = append(j.caps, j.capOf(fmt.Sprintf("SCP level %d", i+1), level))
	}
	return j
}

// scpLevels returns the SCP levels with FullAWSAccess beside a deny list.
func (j *Judge) scpLevels() [][]iameval.Policy {
	out := make([][]iameval.Policy, len(j.set.SCPs))
	for i, level := range j.set.SCPs {
		allows := false
		for _, p := range level {
			for k := range docStatements(p.Doc) {
				allows = allows || strings.EqualFold(p.Doc.Statements[k].Effect, "Allow")
			}
		}
		out[i] = level
		if !allows {
			out[i] = append(append([]iameval.Policy(nil), level...), iameval.Policy{Name: "FullAWSAccess", Doc: FullAWSAccess})
		}
	}
	return out
}

func docStatements(d *iampolicy.Document) []iampolicy.Statement {
	if d == nil {
		return nil
	}
	return d.Statements
}

func lowerAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}

func trimAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

func (j *Judge) addDenies(p iameval.Policy) {
	for i := range docStatements(p.Doc) {
		s := &p.Doc.Statements[i]
		if !strings.EqualFold(s.Effect, "Deny") || len(s.Condition) > 0 {
			continue
		}
		j.denies = append(j.denies, denyStmt{
			ref: refOf(p.Name, s), actions: lowerAll(s.Action), notActions: lowerAll(s.NotAction),
			resources: trimAll(s.Resource), notResources: trimAll(s.NotResource),
		})
	}
}

// satisfiable caches Satisfiable per statement.
func (j *Judge) satisfiable(s *iampolicy.Statement) satisfied {
	if len(s.Condition) == 0 {
		return satisfied{ok: true}
	}
	if r, ok := j.sat[s]; ok {
		return r
	}
	ok, why := Satisfiable(s.Condition, j.set.Known, j.set.Now)
	r := satisfied{ok, why}
	j.sat[s] = r
	return r
}

// capOf judges a boundary or an SCP level as an identity policy: the
// issues it raises itself are the broadest grants it lets through. Its
// statements whose condition no request satisfies let nothing through.
func (j *Judge) capOf(what string, ps []iameval.Policy) *capPolicy {
	c := &capPolicy{what: what}
	for _, p := range ps {
		if p.Doc == nil {
			continue
		}
		live := &iampolicy.Document{Version: p.Doc.Version}
		byPtr := map[string]*iampolicy.Statement{}
		for i := range p.Doc.Statements {
			s := &p.Doc.Statements[i]
			if strings.EqualFold(s.Effect, "Allow") && j.satisfiable(s).ok {
				live.Statements = append(live.Statements, *s)
				byPtr[s.Pointer] = s
			}
		}
		for _, is := range iampolicy.Evaluate(live, iampolicy.Identity, iampolicy.Options{}) {
			s := byPtr[is.Pointer]
			if s == nil {
				continue
			}
			if pats := issuePatterns(is, s); len(pats) > 0 {
				c.entries = append(c.entries, capEntry{patterns: pats, sev: is.Severity, ref: refOf(p.Name, s)})
			}
		}
	}
	return c
}

// issuePatterns returns the actions (lower-case patterns) an identity
// issue is about; nil for issues this package does not judge.
func issuePatterns(is iampolicy.Issue, s *iampolicy.Statement) []string {
	switch is.Check {
	case "IAM001", "IAM003":
		return []string{"*"}
	case "IAM002":
		svc, _ := is.Evidence["service"].(string)
		if svc == "" || svc == "*" {
			return []string{"*"}
		}
		return []string{strings.ToLower(svc) + ":*"}
	case "IAM004":
		return []string{"iam:passrole"}
	case "IAM005", "IAM006":
		acts, _ := is.Evidence["actions"].([]string)
		out := lowerAll(acts)
		if n, ok := is.Evidence["expandsTo"].(int); ok && n > len(acts) {
			mb, _ := is.Evidence["matchedBy"].([]string)
			out = append(out, lowerAll(mb)...)
		}
		return out
	case "IAM007":
		if s.Action == nil {
			return []string{"*"}
		}
		return lowerAll(s.Action)
	}
	return nil
}

// grantResources are the resources a statement grants on: its Resource
// entries, or every resource for NotResource.
func grantResources(s *iampolicy.Statement) []string {
	if s.Resource == nil {
		return []string{"*"}
	}
	return trimAll(s.Resource)
}

func (d *denyStmt) coversAction(p string) bool {
	if d.actions != nil {
		for _, a := range d.actions {
			if covers(a, p) {
				return true
			}
		}
		return false
	}
	for _, a := range d.notActions {
		if overlaps(a, p) {
			return false
		}
	}
	return d.notActions != nil
}

func (d *denyStmt) overlapsAction(p string) bool {
	if d.actions != nil {
		for _, a := range d.actions {
			if overlaps(a, p) {
				return true
			}
		}
		return false
	}
	return true
}

func (d *denyStmt) coversResources(rs []string) bool {
	for _, r := range rs {
		ok := false
		if d.resources != nil {
			for _, dr := range d.resources {
				if covers(dr, r) {
					ok = true
					break
				}
			}
		} else if d.notResources != nil {
			ok = true
			for _, nr := range d.notResources {
				if overlaps(nr, r) {
					ok = false
					break
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Dropped is an issue the principal's policies together do not support.
type Dropped struct {
	Issue iampolicy.Issue
	// Reason says why, in a sentence.
	Reason string
	// By names the statements that took the grant away (the Deny
	// statements, or the granting statement for a condition no request
	// satisfies).
	By []Ref
}

// Issues judges the issues iampolicy.Evaluate raised on one identity
// policy of the principal (policy names it, doc is the policy those
// issues came from) against everything in force:
//
//   - a grant whose Condition no request satisfies is dropped;
//   - a grant every action of which an unconditional Deny (in any policy,
//     the boundary or an SCP) covers on every resource it names is
//     dropped; IAM005 and IAM006 lose the actions a Deny covers and are
//     dropped when none is left;
//   - the boundary and each SCP level cap the severity at that of the
//     broadest issue they raise themselves on overlapping actions, and
//     drop the issue when they raise none (they let through only what
//     no check reports).
//
// Kept issues are copies whose Evidence gains "grantedBy" (the granting
// statement), and where it applies "cancelledBy", "cancelledActions",
// "cappedBy" and "uncappedSeverity". Keys, and so finding IDs, never
// change. Issues of other checks (trust and resource policies) pass
// unchanged.
func (j *Judge) Issues(policy string, doc *iampolicy.Document, issues []iampolicy.Issue) ([]iampolicy.Issue, []Dropped) {
	if doc == nil {
		return issues, nil
	}
	byPtr := make(map[string]*iampolicy.Statement, len(doc.Statements))
	for i := range doc.Statements {
		byPtr[doc.Statements[i].Pointer] = &doc.Statements[i]
	}
	var kept []iampolicy.Issue
	var dropped []Dropped
	for _, is := range issues {
		s := byPtr[is.Pointer]
		pats := []string(nil)
		if s != nil {
			pats = issuePatterns(is, s)
		}
		if len(pats) == 0 {
			kept = append(kept, is)
			continue
		}
		out, drop := j.judge(policy, is, s, pats)
		if drop != nil {
			dropped = append(dropped, *drop)
			continue
		}
		kept = append(kept, out)
	}
	return kept, dropped
}

func (j *Judge) judge(policy string, is iampolicy.Issue, s *iampolicy.Statement, pats []string) (iampolicy.Issue, *Dropped) {
	grant := refOf(policy, s)
	if r := j.satisfiable(s); !r.ok {
		return is, &Dropped{Issue: is, Reason: "its condition is satisfied by no request: " + r.why, By: []Ref{grant}}
	}
	ev := make(map[string]any, len(is.Evidence)+4)
	for k, v := range is.Evidence {
		ev[k] = v
	}
	ev["grantedBy"] = []Ref{grant}
	res := grantResources(s)
	var left []string
	var cancelled []string
	var by []Ref
	seen := map[Ref]bool{}
	for _, p := range pats {
		hit := false
		for k := range j.denies {
			d := &j.denies[k]
			if d.coversAction(p) && d.coversResources(res) {
				hit = true
				if !seen[d.ref] {
					seen[d.ref] = true
					by = append(by, d.ref)
				}
				break
			}
		}
		if hit {
			cancelled = append(cancelled, p)
		} else {
			left = append(left, p)
		}
	}
	if len(left) == 0 {
		return is, &Dropped{Issue: is, Reason: "a Deny cancels every action it grants", By: by}
	}
	if len(by) > 0 {
		ev["cancelledBy"] = by
		ev["cancelledActions"] = cancelled
		if is.Check == "IAM005" || is.Check == "IAM006" {
			narrowActions(ev, cancelled)
		}
	}
	// Denies that take part of the grant away without covering an action.
	var partly []Ref
	for k := range j.denies {
		d := &j.denies[k]
		if seen[d.ref] {
			continue
		}
		for _, p := range left {
			if d.overlapsAction(p) {
				partly = append(partly, d.ref)
				break
			}
		}
	}
	if len(partly) > 0 {
		ev["partlyDeniedBy"] = partly
	}
	sev := is.Severity
	var capped []Ref
	for _, c := range j.caps {
		best, found := findings.Severity(0), false
		var refs []Ref
		for _, e := range c.entries {
			if anyOverlap(e.patterns, left) {
				if !found || e.sev > best {
					best = e.sev
				}
				found = true
				refs = append(refs, e.ref)
			}
		}
		if !found {
			return is, &Dropped{Issue: is, Reason: c.what + " lets none of it through (it allows nothing a check reports on these actions)"}
		}
		if best < sev {
			sev = best
			capped = refs
		}
	}
	if sev != is.Severity {
		ev["cappedBy"] = capped
		ev["uncappedSeverity"] = is.Severity
		is.Severity = sev
	}
	is.Evidence = ev
	return is, nil
}

func anyOverlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if overlaps(x, y) {
				return true
			}
		}
	}
	return false
}

// narrowActions removes cancelled actions from IAM005/IAM006 evidence.
func narrowActions(ev map[string]any, cancelled []string) {
	gone := map[string]bool{}
	for _, c := range cancelled {
		gone[c] = true
	}
	acts, _ := ev["actions"].([]string)
	var keep []string
	for _, a := range acts {
		if !gone[strings.ToLower(a)] {
			keep = append(keep, a)
		}
	}
	ev["actions"] = keep
	if n, ok := ev["expandsTo"].(int); ok {
		ev["expandsTo"] = n - (len(acts) - len(keep))
	}
	if r, ok := ev["reasons"].(map[string]string); ok {
		nr := make(map[string]string, len(r))
		for k, v := range r {
			if !gone[strings.ToLower(k)] {
				nr[k] = v
			}
		}
		ev["reasons"] = nr
	}
}

// SortRefs orders refs by policy, then index.
func SortRefs(rs []Ref) {
	sort.Slice(rs, func(a, b int) bool {
		if rs[a].Policy != rs[b].Policy {
			return rs[a].Policy < rs[b].Policy
		}
		return rs[a].Index < rs[b].Index
	})
}
