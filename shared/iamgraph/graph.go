package iamgraph

import (
	"sort"
	"strings"
	"time"

	"github.com/selfaudit/selfaudit/shared/iameffect"
	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// Kind is what a node of the graph is.
type Kind string

const (
	User  Kind = "user"
	Role  Kind = "role"
	Group Kind = "group"
)

// Principal is one user, role or group with the policies in force for it.
type Principal struct {
	ARN  string
	Kind Kind
	// Identity holds its identity policies: inline and attached managed,
	// and for a user its groups' as well.
	Identity []iameval.Policy
	// Boundary is its permissions boundary; nil for none.
	Boundary *iameval.Policy
	// Trust is a role's trust policy.
	Trust *iampolicy.Document
	// Groups are a user's group ARNs.
	Groups []string
	// Managed are the ARNs of the customer managed policies attached to
	// it, directly or (for a user) through its groups: rewriting one
	// (iam:CreatePolicyVersion) rewrites its permissions.
	Managed []string
}

// Function is a Lambda function and the role it runs as: updating its
// code runs code as that role.
type Function struct {
	ARN, Role string
}

// Input is what the graph is built from.
type Input struct {
	Principals []Principal
	Functions  []Function
	// SCPs are the service control policies by level (see iameffect.Set).
	SCPs [][]iameval.Policy
	// Now judges conditions on aws:CurrentTime.
	Now time.Time
}

// Hop is one step of an escalation.
type Hop struct {
	From string `json:"from"`
	To   string `json:"to"`
	// How names the step: "sts:AssumeRole", or the pathfinding.cloud path
	// ("lambda-001: iam:PassRole + lambda:CreateFunction + ...").
	How string `json:"how"`
	// Permissions are the permissions the step uses, each with the
	// resource it was judged on.
	Permissions []string `json:"permissions"`
	// GrantedBy names the Allow statements that grant them.
	GrantedBy []iameffect.Ref `json:"grantedBy,omitempty"`
}

// Escalation is a principal that reaches administrator-equivalent
// permissions, with the shortest path that does.
type Escalation struct {
	Principal string
	Kind      Kind
	// Reaches is the administrator-equivalent principal at the end; the
	// principal itself when the last hop rewrites its own permissions.
	Reaches string
	Hops    []Hop
}

type node struct {
	p     Principal
	acct  string
	judge *iameffect.Judge
	admin bool
	// self is the hop by which the node rewrites its own permissions.
	self *Hop
	// mention caches mentions (edges.go).
	mention map[string]bool
}

type edge struct {
	to  int
	hop Hop
	// rewrites marks a step that also rewrites the target's permissions
	// (pathfinding.cloud's principal-access pairs): it ends a path.
	rewrites bool
}

// Graph is the principal graph of one account.
type Graph struct {
	nodes []*node
	byARN map[string]int
	edges [][]edge
	fns   []Function
	now   time.Time
}

// Build evaluates every principal's effective permissions and the edges
// between principals.
func Build(in Input) *Graph {
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	g := &Graph{byARN: map[string]int{}, fns: in.Functions, now: now}
	for _, p := range in.Principals {
		if _, dup := g.byARN[p.ARN]; dup || p.ARN == "" {
			continue
		}
		n := &node{p: p, acct: arnAccount(p.ARN)}
		known := map[string][]string{"aws:PrincipalArn": {p.ARN}, "aws:PrincipalAccount": {n.acct}}
		if p.Kind == User {
			known["aws:username"] = []string{lastPart(p.ARN)}
		}
		n.judge = iameffect.New(iameffect.Set{Identity: p.Identity, Boundary: p.Boundary, SCPs: in.SCPs, Known: known, Now: now})
		g.byARN[p.ARN] = len(g.nodes)
		g.nodes = append(g.nodes, n)
	}
	g.edges = make([][]edge, len(g.nodes))
	for _, n := range g.nodes {
		n.admin = g.isAdmin(n)
	}
	for i, n := range g.nodes {
		if n.admin {
			continue
		}
		n.self = g.selfRewrite(n)
		g.edges[i] = g.edgesFrom(n)
	}
	return g
}

// Admin reports whether the principal is administrator-equivalent.
func (g *Graph) Admin(arn string) bool {
	i, ok := g.byARN[arn]
	return ok && g.nodes[i].admin
}

// Escalations returns, for every user and role that is not
// administrator-equivalent but reaches such permissions, the shortest
// path (ties broken by the ARNs on it), in principal ARN order.
func (g *Graph) Escalations() []Escalation {
	var out []Escalation
	for s, n := range g.nodes {
		if n.admin || n.p.Kind == Group {
			continue
		}
		if e, ok := g.shortest(s); ok {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Principal < out[j].Principal })
	return out
}

func (g *Graph) shortest(s int) (Escalation, bool) {
	dist := make([]int, len(g.nodes))
	for i := range dist {
		dist[i] = -1
	}
	prev := make([]int, len(g.nodes))
	prevHop := make([]Hop, len(g.nodes))
	dist[s] = 0
	queue := []int{s}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, e := range g.edges[x] {
			if e.rewrites || dist[e.to] >= 0 {
				continue
			}
			dist[e.to] = dist[x] + 1
			prev[e.to] = x
			prevHop[e.to] = e.hop
			queue = append(queue, e.to)
		}
	}
	pathTo := func(x int) []Hop {
		var hops []Hop
		for y := x; y != s; y = prev[y] {
			hops = append(hops, prevHop[y])
		}
		for i, j := 0, len(hops)-1; i < j; i, j = i+1, j-1 {
			hops[i], hops[j] = hops[j], hops[i]
		}
		return hops
	}
	best, found := Escalation{}, false
	consider := func(hops []Hop, reaches string) {
		if !found || len(hops) < len(best.Hops) || (len(hops) == len(best.Hops) && pathKey(hops) < pathKey(best.Hops)) {
			best = Escalation{Principal: g.nodes[s].p.ARN, Kind: g.nodes[s].p.Kind, Reaches: reaches, Hops: hops}
			found = true
		}
	}
	for x, d := range dist {
		if d < 0 {
			continue
		}
		n := g.nodes[x]
		if x != s && n.admin {
			consider(pathTo(x), n.p.ARN)
		}
		if n.admin {
			continue
		}
		if n.self != nil {
			consider(append(pathTo(x), *n.self), n.p.ARN)
		}
		for _, e := range g.edges[x] {
			if e.rewrites {
				consider(append(pathTo(x), e.hop), g.nodes[e.to].p.ARN)
			}
		}
	}
	return best, found
}

func pathKey(hops []Hop) string {
	var b strings.Builder
	for _, h := range hops {
		b.WriteString(h.To)
		b.WriteByte('|')
		b.WriteString(h.How)
		b.WriteByte('|')
	}
	return b.String()
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// lastPart is the name after the last "/" of an ARN's resource.
func lastPart(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
