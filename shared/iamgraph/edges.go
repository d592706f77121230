package iamgraph

import (
	"sort"
	"strings"
	"sync"

	"github.com/selfaudit/selfaudit/shared/iameffect"
	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// callerARN is the ARN a principal's requests carry: a role calls as one
// of its sessions, a group's member as a user.
func callerARN(n *node) string {
	switch n.p.Kind {
	case Role:
		return "arn:aws:sts::" + n.acct + ":assumed-role/" + lastPart(n.p.ARN) + "/selfaudit"
	case Group:
		return "arn:aws:iam::" + n.acct + ":user/selfaudit-member-of-" + lastPart(n.p.ARN)
	}
	return n.p.ARN
}

// allowed asks iameval whether some request of the principal for action
// on resource can be allowed (iameffect.Judge.Possible), and which Allow
// statements grant it.
func (g *Graph) allowed(n *node, action, resource string, extra map[string][]string) (bool, []iameffect.Ref) {
	if !n.mentions(action) {
		return false, nil
	}
	r := iameval.Evaluate(iameval.Request{Principal: callerARN(n), Action: action, Resource: resource}, n.judge.Possible(extra))
	if r.Decision != iameval.Allowed {
		return false, nil
	}
	refs := make([]iameffect.Ref, 0, len(r.Statements))
	for _, d := range r.Statements {
		refs = append(refs, iameffect.Ref{Policy: d.Policy, Index: d.Index, Sid: d.Sid})
	}
	return true, refs
}

// mentions reports whether any Allow statement of the node's identity
// policies names the action (by a matching Action pattern, or a NotAction
// that leaves it out): without one no request for it can be allowed, and
// iameval need not be asked. Cached per action.
func (n *node) mentions(action string) bool {
	la := strings.ToLower(action)
	if v, ok := n.mention[la]; ok {
		return v
	}
	found := false
	for _, p := range n.p.Identity {
		if p.Doc == nil {
			continue
		}
		for i := range p.Doc.Statements {
			s := &p.Doc.Statements[i]
			if !strings.EqualFold(s.Effect, "Allow") {
				continue
			}
			if s.NotAction != nil {
				hit := false
				for _, a := range s.NotAction {
					hit = hit || iampolicy.WildcardMatch(strings.ToLower(strings.TrimSpace(a)), la)
				}
				found = found || !hit
			}
			for _, a := range s.Action {
				found = found || iampolicy.WildcardMatch(strings.ToLower(strings.TrimSpace(a)), la)
			}
		}
	}
	if n.mention == nil {
		n.mention = map[string]bool{}
	}
	n.mention[la] = found
	return found
}

// check is one permission to test, for a hop's evidence.
type check struct{ action, resource string }

func appendRefs(dst, src []iameffect.Ref) []iameffect.Ref {
	for _, r := range src {
		dup := false
		for _, d := range dst {
			dup = dup || d == r
		}
		if !dup {
			dst = append(dst, r)
		}
	}
	return dst
}

func probeRole(acct string) string { return "arn:aws:iam::" + acct + ":role/selfaudit-probe" }
func probeUser(acct string) string { return "arn:aws:iam::" + acct + ":user/selfaudit-probe" }

// isAdmin: a principal is administrator-equivalent when it may write the
// permissions of every role and of every user of its account (an inline
// or attached policy on a role and on a user it has never heard of): it
// can give any principal, itself included, any permission. "*" on "*",
// iam:* and IAMFullAccess all are; PowerUserAccess (everything but IAM)
// is not.
func (g *Graph) isAdmin(n *node) bool {
	anyOf := func(res string, actions ...string) bool {
		for _, a := range actions {
			if ok, _ := g.allowed(n, a, res, nil); ok {
				return true
			}
		}
		return false
	}
	return anyOf(probeRole(n.acct), "iam:PutRolePolicy", "iam:AttachRolePolicy") &&
		anyOf(probeUser(n.acct), "iam:PutUserPolicy", "iam:AttachUserPolicy")
}

// rewriteChecks are the ways to write a principal's permissions, each a
// pathfinding.cloud self-escalation path.
func rewriteChecks(m *node) []struct {
	path string
	c    check
} {
	type rc = struct {
		path string
		c    check
	}
	var out []rc
	switch m.p.Kind {
	case Role:
		out = append(out, rc{"iam-005", check{"iam:PutRolePolicy", m.p.ARN}}, rc{"iam-009", check{"iam:AttachRolePolicy", m.p.ARN}})
	case User:
		out = append(out, rc{"iam-007", check{"iam:PutUserPolicy", m.p.ARN}}, rc{"iam-008", check{"iam:AttachUserPolicy", m.p.ARN}})
		for _, gr := range m.p.Groups {
			out = append(out, rc{"iam-011", check{"iam:PutGroupPolicy", gr}}, rc{"iam-010", check{"iam:AttachGroupPolicy", gr}})
		}
	case Group:
		out = append(out, rc{"iam-011", check{"iam:PutGroupPolicy", m.p.ARN}}, rc{"iam-010", check{"iam:AttachGroupPolicy", m.p.ARN}})
	}
	for _, p := range m.p.Managed {
		out = append(out, rc{"iam-001", check{"iam:CreatePolicyVersion", p}})
	}
	return out
}

// canRewrite returns the hop by which n writes m's permissions, or nil.
func (g *Graph) canRewrite(n, m *node) *Hop {
	for _, rc := range rewriteChecks(m) {
		if ok, refs := g.allowed(n, rc.c.action, rc.c.resource, nil); ok {
			return &Hop{From: n.p.ARN, To: m.p.ARN, How: rc.path + ": " + rc.c.action,
				Permissions: []string{rc.c.action + " on " + rc.c.resource}, GrantedBy: refs}
		}
	}
	return nil
}

func (g *Graph) selfRewrite(n *node) *Hop {
	h := g.canRewrite(n, n)
	if h != nil {
		h.How += " on itself"
	}
	return h
}

// passPaths are the new-passrole paths of the catalogue that name the
// service the passed role must trust, computed once.
var passPaths = sync.OnceValue(func() []iampolicy.EscalationPath {
	var out []iampolicy.EscalationPath
	for _, p := range iampolicy.EscalationPaths() {
		if p.Category != "new-passrole" || len(p.TrustedServices) == 0 {
			continue
		}
		for _, perm := range p.Permissions {
			if strings.EqualFold(perm, "iam:PassRole") {
				out = append(out, p)
				break
			}
		}
	}
	return out
})

// probeTypes gives, per service, a resource of the type its
// code-running actions create, so that a grant scoped to that type
// ("arn:aws:lambda:*:*:function:*") is found as well as one on "*".
var probeTypes = map[string]string{
	"lambda": "function:selfaudit-probe", "ec2": "instance/selfaudit-probe",
	"glue": "job/selfaudit-probe", "sagemaker": "notebook-instance/selfaudit-probe",
	"codebuild": "project/selfaudit-probe", "cloudformation": "stack/selfaudit-probe/1",
	"ecs": "task-definition/selfaudit-probe:1", "datapipeline": "pipeline/selfaudit-probe",
	"apprunner": "service/selfaudit-probe/1", "bedrock-agentcore": "code-interpreter/selfaudit-probe",
}

// anywhere tests an action that creates or runs something new: on "*",
// else on a fresh resource of the service's type.
func (g *Graph) anywhere(n *node, action string) (bool, string, []iameffect.Ref) {
	if ok, refs := g.allowed(n, action, "*", nil); ok {
		return true, "*", refs
	}
	svc, _, _ := strings.Cut(strings.ToLower(action), ":")
	if t, ok := probeTypes[svc]; ok {
		res := "arn:aws:" + svc + ":us-east-1:" + n.acct + ":" + t
		if ok, refs := g.allowed(n, action, res, nil); ok {
			return true, res, refs
		}
	}
	return false, "", nil
}

// trustAdmitsService reports whether a role's trust policy lets a service
// assume it (an Allow whose Condition some request satisfies).
func (g *Graph) trustAdmitsService(m *node, svc string) bool {
	if m.p.Trust == nil {
		return false
	}
	for i := range m.p.Trust.Statements {
		s := &m.p.Trust.Statements[i]
		if !strings.EqualFold(s.Effect, "Allow") || s.Principal == nil || !assumeAction(s) {
			continue
		}
		for _, v := range s.Principal.Values["Service"] {
			if strings.EqualFold(strings.TrimSpace(v), svc) {
				if ok, _ := iameffect.Satisfiable(s.Condition, nil, g.now); ok {
					return true
				}
			}
		}
	}
	return false
}

func assumeAction(s *iampolicy.Statement) bool {
	for _, a := range s.Action {
		if iampolicy.WildcardMatch(strings.ToLower(strings.TrimSpace(a)), "sts:assumerole") {
			return true
		}
	}
	if s.NotAction != nil {
		for _, a := range s.NotAction {
			if iampolicy.WildcardMatch(strings.ToLower(strings.TrimSpace(a)), "sts:assumerole") {
				return false
			}
		}
		return true
	}
	return false
}

// trustMentions reports whether a role's trust policy admits the caller
// at all: an Allow of sts:AssumeRole whose Principal is "*", the caller's
// ARN, or its account (root ARN or ID), or whose NotPrincipal leaves the
// caller out, with a Condition the caller can satisfy. Whether the
// caller's own policies must allow too is iameval's to say: a trust
// policy that names the caller suffices within an account, one that
// names the account delegates to the caller's identity policies.
func (g *Graph) trustMentions(m, n *node, trust *iampolicy.Document) bool {
	if trust == nil {
		return false
	}
	root := "arn:aws:iam::" + n.acct + ":root"
	for i := range trust.Statements {
		s := &trust.Statements[i]
		if !strings.EqualFold(s.Effect, "Allow") || !assumeAction(s) {
			continue
		}
		if s.NotPrincipal != nil {
			listed := false
			for _, v := range s.NotPrincipal.Values["AWS"] {
				v = strings.TrimSpace(v)
				listed = listed || v == n.p.ARN || v == root || v == n.acct
			}
			if !listed {
				return true
			}
			continue
		}
		if s.Principal == nil {
			continue
		}
		if s.Principal.Wildcard {
			return true
		}
		for _, v := range s.Principal.Values["AWS"] {
			v = strings.TrimSpace(v)
			if v == n.p.ARN || v == root || v == n.acct {
				return true
			}
		}
	}
	return false
}

// actAs returns the hop by which n obtains m's permissions, or nil.
func (g *Graph) actAs(n, m *node, pathOK map[string]passPrereq) *Hop {
	hop := func(how string, perms []string, refs []iameffect.Ref) *Hop {
		return &Hop{From: n.p.ARN, To: m.p.ARN, How: how, Permissions: perms, GrantedBy: refs}
	}
	switch m.p.Kind {
	case Role:
		known := map[string][]string{"aws:PrincipalArn": {n.p.ARN}, "aws:PrincipalAccount": {n.acct}}
		trust := iameffect.PossibleDoc(m.p.Trust, known, n.judge)
		if g.trustMentions(m, n, trust) {
			set := n.judge.Possible(nil)
			set.Resource = &iameval.Policy{Name: "trust policy of " + m.p.ARN, Doc: trust}
			r := iameval.Evaluate(iameval.Request{Principal: callerARN(n), Action: "sts:AssumeRole", Resource: m.p.ARN}, set)
			if r.Decision == iameval.Allowed {
				var refs []iameffect.Ref
				for _, d := range r.Statements {
					refs = append(refs, iameffect.Ref{Policy: d.Policy, Index: d.Index, Sid: d.Sid})
				}
				return hop("sts-001: sts:AssumeRole", []string{"sts:AssumeRole on " + m.p.ARN}, refs)
			}
		}
		if ok, refs := g.allowed(n, "iam:UpdateAssumeRolePolicy", m.p.ARN, nil); ok {
			return hop("iam-012: iam:UpdateAssumeRolePolicy, then sts:AssumeRole", []string{"iam:UpdateAssumeRolePolicy on " + m.p.ARN}, refs)
		}
		for _, p := range passPaths() {
			pre, ok := pathOK[p.ID]
			if !ok {
				continue
			}
			for _, svc := range p.TrustedServices {
				if !g.trustAdmitsService(m, svc) {
					continue
				}
				if ok, refs := g.allowed(n, "iam:PassRole", m.p.ARN, map[string][]string{"iam:PassedToService": {svc}}); ok {
					perms := append([]string{"iam:PassRole on " + m.p.ARN + " to " + svc}, pre.perms...)
					return hop(p.ID+": "+strings.Join(p.Permissions, " + "), perms, appendRefs(refs, pre.refs))
				}
			}
		}
		for _, f := range g.fns {
			if f.Role != m.p.ARN {
				continue
			}
			if ok, refs := g.allowed(n, "lambda:UpdateFunctionCode", f.ARN, nil); ok {
				return hop("lambda-003: lambda:UpdateFunctionCode", []string{"lambda:UpdateFunctionCode on " + f.ARN}, refs)
			}
		}
	case User:
		for _, c := range []struct{ path, action string }{
			{"iam-002", "iam:CreateAccessKey"}, {"iam-004", "iam:CreateLoginProfile"}, {"iam-006", "iam:UpdateLoginProfile"},
		} {
			if ok, refs := g.allowed(n, c.action, m.p.ARN, nil); ok {
				return hop(c.path+": "+c.action, []string{c.action + " on " + m.p.ARN}, refs)
			}
		}
	case Group:
		if n.p.Kind == User {
			if ok, refs := g.allowed(n, "iam:AddUserToGroup", m.p.ARN, nil); ok {
				return hop("iam-013: iam:AddUserToGroup", []string{"iam:AddUserToGroup on " + m.p.ARN}, refs)
			}
		}
	}
	return nil
}

// passPrereq is what a new-passrole path needs besides iam:PassRole,
// granted to one principal.
type passPrereq struct {
	perms []string
	refs  []iameffect.Ref
}

// passPrereqs tests, once per principal, the permissions of every
// new-passrole path other than iam:PassRole.
func (g *Graph) passPrereqs(n *node) map[string]passPrereq {
	out := map[string]passPrereq{}
	cache := map[string]struct {
		ok   bool
		res  string
		refs []iameffect.Ref
	}{}
	for _, p := range passPaths() {
		var pre passPrereq
		ok := true
		for _, perm := range p.Permissions {
			if strings.EqualFold(perm, "iam:PassRole") {
				continue
			}
			c, seen := cache[perm]
			if !seen {
				c.ok, c.res, c.refs = g.anywhere(n, perm)
				cache[perm] = c
			}
			if !c.ok {
				ok = false
				break
			}
			pre.perms = append(pre.perms, perm+" on "+c.res)
			pre.refs = appendRefs(pre.refs, c.refs)
		}
		if ok {
			out[p.ID] = pre
		}
	}
	return out
}

// edgesFrom lists n's steps to every other principal: the act-as hop
// when there is one, and a rewriting hop when n may also write the
// target's permissions (pathfinding.cloud's principal-access pairs such
// as iam-014, iam:AttachRolePolicy + sts:AssumeRole).
func (g *Graph) edgesFrom(n *node) []edge {
	pathOK := g.passPrereqs(n)
	var out []edge
	idx := make([]int, 0, len(g.nodes))
	for i := range g.nodes {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return g.nodes[idx[a]].p.ARN < g.nodes[idx[b]].p.ARN })
	for _, i := range idx {
		m := g.nodes[i]
		if m == n {
			continue
		}
		h := g.actAs(n, m, pathOK)
		if h == nil {
			continue
		}
		out = append(out, edge{to: i, hop: *h})
		if m.admin {
			continue
		}
		if rw := g.canRewrite(n, m); rw != nil {
			both := *rw
			both.How = rw.How + " + " + h.How
			both.Permissions = append(append([]string(nil), rw.Permissions...), h.Permissions...)
			both.GrantedBy = appendRefs(append([]iameffect.Ref(nil), rw.GrantedBy...), h.GrantedBy)
			out = append(out, edge{to: i, hop: both, rewrites: true})
		}
	}
	return out
}
