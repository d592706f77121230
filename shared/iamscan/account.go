package iamscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iameffect"
	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iamgraph"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// AccountDetails is what the scan needs of an account's IAM configuration,
// with every policy document decoded. It is built from
// GetAccountAuthorizationDetails pages (live) or from the JSON the AWS CLI
// prints for that call (offline).
type AccountDetails struct {
	Roles []RoleDetail
	// Users and Groups feed the principal graph (IAM009); their own
	// policies are not judged under IAM001 to IAM007.
	Users  []UserDetail
	Groups []GroupDetail
	// Policies maps a managed policy ARN to its default version.
	Policies map[string]ManagedPolicyDetail
}

// RoleDetail is one role and the policies that shape what it may do.
type RoleDetail struct {
	ARN, Name string
	// Trust is the decoded AssumeRolePolicyDocument.
	Trust    any
	Inline   []InlinePolicy
	Attached []AttachedPolicy
	// Boundary is the ARN of the role's permissions boundary, "" for none.
	Boundary string
}

// UserDetail is one user, its policies and its groups.
type UserDetail struct {
	ARN, Name string
	Inline    []InlinePolicy
	Attached  []AttachedPolicy
	// Groups are the names of the user's groups.
	Groups []string
	// Boundary is the ARN of the user's permissions boundary, "" for none.
	Boundary string
}

// GroupDetail is one group and its policies.
type GroupDetail struct {
	ARN, Name string
	Inline    []InlinePolicy
	Attached  []AttachedPolicy
}

// InlinePolicy is a role's embedded policy.
type InlinePolicy struct {
	Name     string
	Document any
}

// AttachedPolicy names a managed policy attached to a role.
type AttachedPolicy struct {
	ARN, Name string
}

// ManagedPolicyDetail is a managed policy's default version.
type ManagedPolicyDetail struct {
	ARN, Name, DefaultVersion string
	Document                  any
}

// DecodeDocument reads a policy document as IAM returns it: URL-encoded
// JSON (RFC 3986) in its XML answers. Already-decoded JSON, as the AWS CLI
// prints it, is accepted too.
func DecodeDocument(s string) (any, error) {
	raw := strings.TrimSpace(s)
	if !strings.HasPrefix(raw, "{") {
		// PathUnescape, not QueryUnescape: IAM encodes "+" as %2B, and a
		// literal "+" must not turn into a space.
		dec, err := url.PathUnescape(raw)
		if err != nil {
			return nil, fmt.Errorf("URL-decode policy document: %w", err)
		}
		raw = dec
	}
	return decodeJSON([]byte(raw))
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode policy JSON: %w", err)
	}
	return numbersToStrings(v), nil
}

// numbersToStrings keeps numbers exactly as written (account IDs).
func numbersToStrings(v any) any {
	switch t := v.(type) {
	case json.Number:
		return t.String()
	case []any:
		for i := range t {
			t[i] = numbersToStrings(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = numbersToStrings(t[k])
		}
	}
	return v
}

// cliDetails mirrors the JSON of `aws iam get-account-authorization-details`.
// Documents are decoded in the same pass as the rest (as any: an object,
// or a URL-encoded string), not kept raw and parsed again: on the example
// account that second pass over every document was half the decode time.
type cliDetails struct {
	RoleDetailList []struct {
		Arn, RoleName            string
		AssumeRolePolicyDocument any
		RolePolicyList           []cliInline
		AttachedManagedPolicies  []struct{ PolicyArn, PolicyName string }
		PermissionsBoundary      *struct{ PermissionsBoundaryArn string }
	}
	UserDetailList []struct {
		Arn, UserName           string
		UserPolicyList          []cliInline
		AttachedManagedPolicies []struct{ PolicyArn, PolicyName string }
		GroupList               []string
		PermissionsBoundary     *struct{ PermissionsBoundaryArn string }
	}
	GroupDetailList []struct {
		Arn, GroupName          string
		GroupPolicyList         []cliInline
		AttachedManagedPolicies []struct{ PolicyArn, PolicyName string }
	}
	Policies []struct {
		Arn, PolicyName, DefaultVersionId string
		PolicyVersionList                 []struct {
			Document         any
			VersionId        string
			IsDefaultVersion bool
		}
	}
}

type cliInline struct {
	PolicyName     string
	PolicyDocument any
}

// DecodeAuthorizationDetails reads the AWS CLI's JSON for
// GetAccountAuthorizationDetails, where documents are JSON objects (or, from
// some tools, URL-encoded strings).
func DecodeAuthorizationDetails(data []byte) (*AccountDetails, error) {
	var in cliDetails
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("decode authorization details: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode authorization details: data after the JSON document")
	}
	doc := func(v any, what string) (any, error) {
		switch t := v.(type) {
		case nil:
			return nil, nil
		case string:
			d, err := DecodeDocument(t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			return d, nil
		case map[string]any:
			return numbersToStrings(t), nil
		default:
			return nil, fmt.Errorf("%s: policy document is a JSON %T, want an object or a string", what, v)
		}
	}
	out := &AccountDetails{Policies: map[string]ManagedPolicyDetail{}}
	for _, r := range in.RoleDetailList {
		rd := RoleDetail{ARN: r.Arn, Name: r.RoleName}
		var err error
		if rd.Trust, err = doc(r.AssumeRolePolicyDocument, "trust policy of role "+r.RoleName); err != nil {
			return nil, err
		}
		for _, p := range r.RolePolicyList {
			d, err := doc(p.PolicyDocument, "policy "+p.PolicyName+" of role "+r.RoleName)
			if err != nil {
				return nil, err
			}
			rd.Inline = append(rd.Inline, InlinePolicy{Name: p.PolicyName, Document: d})
		}
		for _, a := range r.AttachedManagedPolicies {
			rd.Attached = append(rd.Attached, AttachedPolicy{ARN: a.PolicyArn, Name: a.PolicyName})
		}
		if r.PermissionsBoundary != nil {
			rd.Boundary = r.PermissionsBoundary.PermissionsBoundaryArn
		}
		out.Roles = append(out.Roles, rd)
	}
	inline := func(ps []cliInline, of string) ([]InlinePolicy, error) {
		var out []InlinePolicy
		for _, p := range ps {
			d, err := doc(p.PolicyDocument, "policy "+p.PolicyName+" of "+of)
			if err != nil {
				return nil, err
			}
			out = append(out, InlinePolicy{Name: p.PolicyName, Document: d})
		}
		return out, nil
	}
	for _, u := range in.UserDetailList {
		ud := UserDetail{ARN: u.Arn, Name: u.UserName, Groups: u.GroupList}
		var err error
		if ud.Inline, err = inline(u.UserPolicyList, "user "+u.UserName); err != nil {
			return nil, err
		}
		for _, a := range u.AttachedManagedPolicies {
			ud.Attached = append(ud.Attached, AttachedPolicy{ARN: a.PolicyArn, Name: a.PolicyName})
		}
		if u.PermissionsBoundary != nil {
			ud.Boundary = u.PermissionsBoundary.PermissionsBoundaryArn
		}
		out.Users = append(out.Users, ud)
	}
	for _, g := range in.GroupDetailList {
		gd := GroupDetail{ARN: g.Arn, Name: g.GroupName}
		var err error
		if gd.Inline, err = inline(g.GroupPolicyList, "group "+g.GroupName); err != nil {
			return nil, err
		}
		for _, a := range g.AttachedManagedPolicies {
			gd.Attached = append(gd.Attached, AttachedPolicy{ARN: a.PolicyArn, Name: a.PolicyName})
		}
		out.Groups = append(out.Groups, gd)
	}
	for _, p := range in.Policies {
		for _, v := range p.PolicyVersionList {
			if !v.IsDefaultVersion && v.VersionId != p.DefaultVersionId {
				continue
			}
			d, err := doc(v.Document, "managed policy "+p.Arn)
			if err != nil {
				return nil, err
			}
			out.Policies[p.Arn] = ManagedPolicyDetail{ARN: p.Arn, Name: p.PolicyName, DefaultVersion: v.VersionId, Document: d}
			break
		}
	}
	return out, nil
}

// AccountOptions tunes ScanAccountDetails.
type AccountOptions struct {
	// AllRoles judges every role; by default only the roles Lambda can
	// assume are judged, which is this scanner's job.
	AllRoles bool
	Now      func() time.Time
	// SCPs are the service control policies over the account, by level
	// (root first), as `--scp` gives them: they cap what is reported.
	SCPs [][]iameval.Policy
	// Functions are the account's functions and the roles they run as,
	// when known, for the lambda:UpdateFunctionCode escalation path.
	Functions []iamgraph.Function
	// Graph is the whole account when the details judged are only part of
	// it (a targeted scan of one role): the escalation graph is built from
	// it, and IAM009 is reported for the judged roles only. Nil means the
	// details are the whole account.
	Graph *AccountDetails
}

// Result is the outcome of a live (or offline account) scan.
type Result struct {
	Findings  []findings.Finding
	Roles     int // roles judged
	Functions int // functions whose resource policy was read
	Policies  int // managed policies judged
	// Errors lists the resources that could not be read after the SDK's
	// retries. A result with errors is incomplete and the run must fail.
	Errors []ResourceError
	Notes  []string
	// Target is the ARN of the one role or function a targeted scan
	// read, when it learnt it; the finding store resolves within it.
	Target string
	// BeyondDefault is set when a targeted scan judged a role Lambda
	// cannot assume, which only a scan of every role judges: its findings
	// belong to that scope, or the next default account scan, not judging
	// the role, would call them fixed.
	BeyondDefault bool
	// AdminUsers are the ARNs of the account's administrator-equivalent
	// IAM users (see AdminUsers), sorted; set by every scan that read the
	// account's authorization details.
	AdminUsers []string
}

// ResourceError is a read that failed for one resource.
type ResourceError struct {
	Resource  string
	Operation string
	Err       error
}

func (e ResourceError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Operation, e.Resource, e.Err)
}

func (e ResourceError) Unwrap() error { return e.Err }

// Err joins the resource errors, or is nil when every read succeeded.
func (r *Result) Err() error {
	if len(r.Errors) == 0 {
		return nil
	}
	errs := make([]error, len(r.Errors))
	for i, e := range r.Errors {
		errs[i] = e
	}
	return fmt.Errorf("scan incomplete: %d resources could not be read: %w", len(r.Errors), errors.Join(errs...))
}

// Merge adds another result's counts, findings, errors and notes.
func (r *Result) Merge(o *Result) {
	r.Findings = append(r.Findings, o.Findings...)
	r.Roles += o.Roles
	r.Functions += o.Functions
	r.Policies += o.Policies
	r.Errors = append(r.Errors, o.Errors...)
	r.Notes = append(r.Notes, o.Notes...)
	if o.AdminUsers != nil {
		r.AdminUsers = o.AdminUsers
	}
}

// LambdaCanAssume reports whether a trust policy lets the Lambda service
// assume the role.
func LambdaCanAssume(trust *iampolicy.Document) bool {
	if trust == nil {
		return false
	}
	for _, st := range trust.Statements {
		if !strings.EqualFold(st.Effect, "Allow") || st.Principal == nil {
			continue
		}
		for _, svc := range st.Principal.Values["Service"] {
			if strings.EqualFold(svc, "lambda.amazonaws.com") {
				return true
			}
		}
	}
	return false
}

// ScanAccountDetails judges the roles of an account: trust policies
// (IAM008), inline policies and attached managed policies (IAM001 to
// IAM007), and escalation paths between the account's principals (IAM009).
// Managed policies are judged by the default version IAM returned, which
// for AWS managed policies is AWS's current text; an attached policy
// missing from the details falls back to the embedded copy of AWS managed
// policies, or is noted as not judged. Each managed policy is evaluated
// once however many roles use it; its findings are reported per role,
// because the role is what a fix changes (detach, or scope down).
//
// A role's IAM001 to IAM007 issues are judged by what its policies allow
// together (shared/iameffect): a grant a Deny cancels (in any of its
// policies, its permissions boundary or an SCP of opts.SCPs), one its
// boundary or an SCP does not let through, or one whose condition no
// request satisfies is not reported, and a note says which and why; the
// boundary and SCPs cap the severity of the rest. Evidence names the
// granting statement ("grantedBy") and the cancelling ones.
func ScanAccountDetails(acct *AccountDetails, opts AccountOptions) *Result {
	now := time.Now().UTC()
	if opts.Now != nil {
		now = opts.Now().UTC()
	}
	res := &Result{}
	pc := &policyCache{acct: acct, docs: map[string]*managedDoc{}}
	judged := map[string]bool{}
	var principals []iamgraph.Principal
	inScope := map[string]bool{}
	for _, role := range acct.Roles {
		account := arnAccount(role.ARN)
		evalOpts := iampolicy.Options{AccountID: account}
		var trust *iampolicy.Document
		if role.Trust != nil {
			d, err := iampolicy.FromValue(role.Trust)
			if err != nil {
				res.Errors = append(res.Errors, ResourceError{Resource: role.ARN, Operation: "parse trust policy", Err: err})
				continue
			}
			trust = d
		}
		judge := opts.AllRoles || LambdaCanAssume(trust)
		if judge {
			res.Roles++
			inScope[role.ARN] = true
		}
		// The role's policies, parsed once, for its own findings and for
		// the graph.
		type inlineDoc struct {
			name string
			doc  *iampolicy.Document
		}
		var inl []inlineDoc
		set := iameffect.Set{SCPs: opts.SCPs, Now: now,
			Known: map[string][]string{"aws:PrincipalArn": {role.ARN}, "aws:PrincipalAccount": {account}}}
		for _, p := range role.Inline {
			d, err := iampolicy.FromValue(p.Document)
			if err != nil {
				if judge {
					res.Errors = append(res.Errors, ResourceError{Resource: role.ARN, Operation: "parse inline policy " + p.Name, Err: err})
				}
				continue
			}
			inl = append(inl, inlineDoc{p.Name, d})
			set.Identity = append(set.Identity, iameval.Policy{Name: p.Name, Doc: d})
		}
		var att []*managedDoc
		for _, a := range role.Attached {
			md := pc.get(a, evalOpts)
			if judge && !md.counted {
				md.counted = true
				if md.note != "" {
					res.Notes = append(res.Notes, md.note)
				}
				if !md.ok {
					res.Errors = append(res.Errors, ResourceError{Resource: a.ARN, Operation: "parse managed policy", Err: errors.New(md.note)})
				} else {
					judged[a.ARN] = true
				}
			}
			if md.doc != nil {
				att = append(att, md)
				set.Identity = append(set.Identity, iameval.Policy{Name: a.ARN, Doc: md.doc})
			}
		}
		set.Boundary = pc.boundary(role.Boundary)
		principals = append(principals, iamgraph.Principal{ARN: role.ARN, Kind: iamgraph.Role, Identity: set.Identity,
			Boundary: set.Boundary, Trust: trust, Managed: customerManaged(role.Attached)})
		if !judge {
			continue
		}
		j := iameffect.New(set)
		if trust != nil {
			for _, is := range iampolicy.Evaluate(trust, iampolicy.Trust, evalOpts) {
				res.Findings = append(res.Findings, newFinding(is, role.ARN, "trust|"+is.Key, SourceLive, now, nil,
					map[string]any{"policy": "AssumeRolePolicyDocument", "statementPointer": is.Pointer}))
			}
		}
		for _, p := range inl {
			kept, dropped := j.Issues(p.name, p.doc, iampolicy.Evaluate(p.doc, iampolicy.Identity, evalOpts))
			for _, is := range kept {
				res.Findings = append(res.Findings, newFinding(is, role.ARN, "inline:"+p.name+"|"+is.Key, SourceLive, now, nil,
					map[string]any{"policy": p.name, "policyType": "inline", "statementPointer": is.Pointer}))
			}
			res.Notes = append(res.Notes, droppedNotes(role.ARN, p.name, dropped)...)
		}
		for _, md := range att {
			kept, dropped := j.Issues(md.arn, md.doc, md.issues)
			for _, is := range kept {
				res.Findings = append(res.Findings, newFinding(is, role.ARN, "managed:"+md.arn+"|"+is.Key, SourceLive, now, nil,
					map[string]any{"policy": md.arn, "policyType": "managed", "statementPointer": is.Pointer}))
			}
			res.Notes = append(res.Notes, droppedNotes(role.ARN, md.arn, dropped)...)
		}
	}
	if opts.Graph != nil && opts.Graph != acct {
		// A targeted scan: the graph is the whole account's, and IAM009
		// is reported for the roles judged here only.
		gpc := &policyCache{acct: opts.Graph, docs: map[string]*managedDoc{}}
		principals = append(gpc.rolePrincipals(opts.Graph), gpc.usersAndGroups(opts.Graph, false, inScope)...)
	} else {
		principals = append(principals, pc.usersAndGroups(acct, opts.AllRoles, inScope)...)
	}
	g := iamgraph.Build(iamgraph.Input{Principals: principals, Functions: opts.Functions, SCPs: opts.SCPs, Now: now})
	res.Findings = append(res.Findings, escalationFindings(g, inScope, now)...)
	res.AdminUsers = adminUsersOf(g, principals)
	res.Policies = len(judged)
	findings.Sort(res.Findings)
	sort.Strings(res.Notes)
	return res
}

// managedDoc is one managed policy, parsed and judged once per scan.
type managedDoc struct {
	arn     string
	doc     *iampolicy.Document
	issues  []iampolicy.Issue
	note    string
	ok      bool
	counted bool
}

type policyCache struct {
	acct *AccountDetails
	docs map[string]*managedDoc
}

func (pc *policyCache) get(a AttachedPolicy, opts iampolicy.Options) *managedDoc {
	if md, ok := pc.docs[a.ARN]; ok {
		return md
	}
	md := &managedDoc{arn: a.ARN}
	md.doc, md.note, md.ok = managedDocument(pc.acct, a.ARN)
	if md.doc != nil {
		md.issues = iampolicy.Evaluate(md.doc, iampolicy.Identity, opts)
	}
	pc.docs[a.ARN] = md
	return md
}

// boundary returns a permissions boundary's document, or nil for none (or
// one that cannot be read: the scan then judges without it, which only
// reports more).
func (pc *policyCache) boundary(arn string) *iameval.Policy {
	if arn == "" {
		return nil
	}
	md := pc.get(AttachedPolicy{ARN: arn}, iampolicy.Options{})
	if md.doc == nil {
		return nil
	}
	return &iameval.Policy{Name: "permissions boundary " + arn, Doc: md.doc}
}

// rolePrincipals turns every role of the account into a graph node, for a
// graph built apart from the roles' judging (AccountOptions.Graph). A
// policy that cannot be parsed is left out (the account scan reports it).
func (pc *policyCache) rolePrincipals(acct *AccountDetails) []iamgraph.Principal {
	var out []iamgraph.Principal
	for _, role := range acct.Roles {
		p := iamgraph.Principal{ARN: role.ARN, Kind: iamgraph.Role, Managed: customerManaged(role.Attached)}
		if role.Trust != nil {
			if d, err := iampolicy.FromValue(role.Trust); err == nil {
				p.Trust = d
			}
		}
		for _, ip := range role.Inline {
			if d, err := iampolicy.FromValue(ip.Document); err == nil {
				p.Identity = append(p.Identity, iameval.Policy{Name: ip.Name, Doc: d})
			}
		}
		for _, a := range role.Attached {
			if md := pc.get(a, iampolicy.Options{}); md.doc != nil {
				p.Identity = append(p.Identity, iameval.Policy{Name: a.ARN, Doc: md.doc})
			}
		}
		p.Boundary = pc.boundary(role.Boundary)
		out = append(out, p)
	}
	return out
}

// usersAndGroups turns the account's users and groups into graph nodes: a
// user carries its groups' policies as well as its own.
func (pc *policyCache) usersAndGroups(acct *AccountDetails, allRoles bool, inScope map[string]bool) []iamgraph.Principal {
	var out []iamgraph.Principal
	type groupPols struct {
		arn     string
		pols    []iameval.Policy
		managed []string
	}
	groups := map[string]groupPols{}
	for _, g := range acct.Groups {
		gp := groupPols{arn: g.ARN, managed: customerManaged(g.Attached)}
		for _, p := range g.Inline {
			if d, err := iampolicy.FromValue(p.Document); err == nil {
				gp.pols = append(gp.pols, iameval.Policy{Name: "group " + g.Name + " " + p.Name, Doc: d})
			}
		}
		for _, a := range g.Attached {
			if md := pc.get(a, iampolicy.Options{}); md.doc != nil {
				gp.pols = append(gp.pols, iameval.Policy{Name: a.ARN, Doc: md.doc})
			}
		}
		groups[g.Name] = gp
		out = append(out, iamgraph.Principal{ARN: g.ARN, Kind: iamgraph.Group, Identity: gp.pols, Managed: gp.managed})
	}
	for _, u := range acct.Users {
		p := iamgraph.Principal{ARN: u.ARN, Kind: iamgraph.User, Managed: customerManaged(u.Attached)}
		for _, ip := range u.Inline {
			if d, err := iampolicy.FromValue(ip.Document); err == nil {
				p.Identity = append(p.Identity, iameval.Policy{Name: ip.Name, Doc: d})
			}
		}
		for _, a := range u.Attached {
			if md := pc.get(a, iampolicy.Options{}); md.doc != nil {
				p.Identity = append(p.Identity, iameval.Policy{Name: a.ARN, Doc: md.doc})
			}
		}
		for _, gn := range u.Groups {
			gp, ok := groups[gn]
			if !ok {
				continue
			}
			p.Identity = append(p.Identity, gp.pols...)
			p.Groups = append(p.Groups, gp.arn)
			p.Managed = append(p.Managed, gp.managed...)
		}
		p.Boundary = pc.boundary(u.Boundary)
		if allRoles {
			inScope[u.ARN] = true
		}
		out = append(out, p)
	}
	return out
}

// customerManaged lists the customer managed policies among attached ones
// (AWS managed policies cannot be rewritten by anyone in the account).
func customerManaged(as []AttachedPolicy) []string {
	var out []string
	for _, a := range as {
		if !strings.Contains(a.ARN, ":aws:policy/") {
			out = append(out, a.ARN)
		}
	}
	return out
}

// droppedNotes says, per issue the effective permissions took away, what
// was not reported and why.
func droppedNotes(resource, policy string, ds []iameffect.Dropped) []string {
	var out []string
	for _, d := range ds {
		by := make([]string, 0, len(d.By))
		for _, r := range d.By {
			s := fmt.Sprintf("%s statement %d", r.Policy, r.Index)
			if r.Sid != "" {
				s += " (" + r.Sid + ")"
			}
			by = append(by, s)
		}
		note := fmt.Sprintf("%s: %s of policy %s %s not reported: %s", resource, d.Issue.Check, policy, d.Issue.Pointer, d.Reason)
		if len(by) > 0 {
			note += " [" + strings.Join(by, "; ") + "]"
		}
		out = append(out, note)
	}
	return out
}

// escalationFindings reports IAM009 for the principals in scope.
func escalationFindings(g *iamgraph.Graph, inScope map[string]bool, now time.Time) []findings.Finding {
	var out []findings.Finding
	c := iamgraph.Check
	for _, e := range g.Escalations() {
		if !inScope[e.Principal] {
			continue
		}
		sev := findings.Critical
		if len(e.Hops) > 1 {
			sev = findings.High
		}
		out = append(out, findings.Finding{
			ID: findings.StableID(c.ID, e.Principal, "escalation"), Check: c.ID, Severity: sev, Title: c.Title,
			Resource: e.Principal, Remediation: c.Remediation, Source: SourceLive, ObservedAt: now,
			Evidence: map[string]any{"principalType": string(e.Kind), "reaches": e.Reaches, "steps": len(e.Hops), "path": e.Hops},
		})
	}
	return out
}

// managedDocument returns a managed policy's document. ok is false only
// when its document is present but cannot be parsed; a nil document with
// a note means it is not known.
func managedDocument(acct *AccountDetails, arn string) (*iampolicy.Document, string, bool) {
	if p, found := acct.Policies[arn]; found && p.Document != nil {
		d, err := iampolicy.FromValue(p.Document)
		if err != nil {
			return nil, fmt.Sprintf("managed policy %s (version %s): %v", arn, p.DefaultVersion, err), false
		}
		return d, "", true
	}
	if d, found := iampolicy.ManagedPolicy(arn); found {
		return d, "", true
	}
	return nil, fmt.Sprintf("managed policy %s is attached but its document was not returned: not judged", arn), true
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
