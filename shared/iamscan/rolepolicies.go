package iamscan

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/selfaudit/selfaudit/shared/cfntemplate"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
	"github.com/selfaudit/selfaudit/shared/iamscan/samtemplates"
)

// RolePolicies is what decides a role's permissions: its identity policies
// and its permissions boundary, each parsed and named for the evaluation
// engine (shared/iameval), and notes on what could not be read.
type RolePolicies struct {
	// ARN is the role's ARN; from a template, built from the logical ID
	// (arn:aws:iam::ACCOUNT:role/LOGICAL_ID), since the deployed name is
	// only known at deploy time.
	ARN      string
	Identity []NamedPolicy
	// Boundary is nil when the role has none (or it could not be read, in
	// which case a note says so).
	Boundary *NamedPolicy
	Notes    []string
}

// NamedPolicy is one policy document and where it came from.
type NamedPolicy struct {
	Name     string
	Document *iampolicy.Document
}

// ReadRolePolicies reads one role's inline policies, the default versions
// of its attached managed policies and its permissions boundary from IAM.
func (s *Scanner) ReadRolePolicies(ctx context.Context, name string) (*RolePolicies, error) {
	rd, acct, err := s.readRole(ctx, name)
	if err != nil {
		return nil, err
	}
	out := &RolePolicies{ARN: rd.ARN}
	for _, p := range rd.Inline {
		doc, err := iampolicy.FromValue(p.Document)
		if err != nil {
			return nil, fmt.Errorf("inline policy %s of role %s: %w", p.Name, name, err)
		}
		out.Identity = append(out.Identity, NamedPolicy{Name: "inline:" + p.Name, Document: doc})
	}
	for _, a := range rd.Attached {
		doc, err := iampolicy.FromValue(acct.Policies[a.ARN].Document)
		if err != nil {
			return nil, fmt.Errorf("managed policy %s of role %s: %w", a.ARN, name, err)
		}
		out.Identity = append(out.Identity, NamedPolicy{Name: a.ARN, Document: doc})
	}
	if rd.Boundary != "" {
		mp, err := s.readManagedPolicy(ctx, rd.Boundary)
		if err != nil {
			return nil, fmt.Errorf("permissions boundary of role %s: %w", name, err)
		}
		doc, err := iampolicy.FromValue(mp.Document)
		if err != nil {
			return nil, fmt.Errorf("permissions boundary %s of role %s: %w", rd.Boundary, name, err)
		}
		out.Boundary = &NamedPolicy{Name: rd.Boundary, Document: doc}
	}
	return out, nil
}

// TemplateRolePolicies collects what a template grants the role declared
// as logicalID: an AWS::IAM::Role's inline Policies, its ManagedPolicyArns
// and PermissionsBoundary, and the AWS::IAM::Policy, ManagedPolicy and
// RolePolicy resources that attach to it with Ref; or, for an
// AWS::Serverless::Function without a Role, the policies SAM gives the
// role it creates (inline documents, managed policies and policy
// templates). A managed policy is read from the template when declared
// there, from the embedded AWS managed policies otherwise; one that is
// neither, or only known at deploy time, is a note, not a guess. account
// fills the role's ARN ("123456789012" when empty).
func TemplateRolePolicies(f *cfntemplate.File, logicalID, account string) (*RolePolicies, error) {
	if account == "" {
		account = "123456789012"
	}
	var role *cfntemplate.Resource
	byID := map[string]*cfntemplate.Resource{}
	for i := range f.Resources {
		r := &f.Resources[i]
		byID[r.LogicalID] = r
		if r.LogicalID == logicalID {
			role = r
		}
	}
	if role == nil {
		return nil, fmt.Errorf("%s: no resource %q", f.Name, logicalID)
	}
	if role.Type != "AWS::IAM::Role" && role.Type != "AWS::Serverless::Function" {
		return nil, fmt.Errorf("%s: %s is a %s, not an AWS::IAM::Role or AWS::Serverless::Function", f.Name, logicalID, role.Type)
	}
	out := &RolePolicies{ARN: "arn:aws:iam::" + account + ":role/" + logicalID}
	props, _ := cfntemplate.Value(role.Properties).(map[string]any)
	if role.Type == "AWS::Serverless::Function" && props["Role"] != nil {
		return nil, fmt.Errorf("%s: function %s runs as the role its Role property names: simulate that role", f.Name, logicalID)
	}
	add := func(name string, v any) error {
		v = substitutePseudo(v, account)
		if deployTimeValues(v) {
			out.Notes = append(out.Notes, fmt.Sprintf("%s: uses values known only at deploy time (Ref, Fn::GetAtt, parameters): elements made of them match nothing", name))
		}
		doc, err := iampolicy.FromValue(v)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", f.Name, name, err)
		}
		out.Identity = append(out.Identity, NamedPolicy{Name: name, Document: doc})
		return nil
	}
	// managed resolves a managed policy reference: a Ref to a policy the
	// template declares, or a name or ARN of an embedded AWS managed
	// policy.
	managed := func(where string, v any) (*NamedPolicy, error) {
		if m, ok := v.(map[string]any); ok {
			if ref, ok := m["Ref"].(string); ok {
				if r := byID[ref]; r != nil && r.Type == "AWS::IAM::ManagedPolicy" {
					rp, _ := cfntemplate.Value(r.Properties).(map[string]any)
					doc, err := iampolicy.FromValue(substitutePseudo(rp["PolicyDocument"], account))
					if err != nil {
						return nil, fmt.Errorf("%s: %s: %w", f.Name, ref, err)
					}
					return &NamedPolicy{Name: f.Name + "#/Resources/" + ref, Document: doc}, nil
				}
			}
		}
		ref, ok := v.(string)
		if !ok {
			if m, isMap := v.(map[string]any); isMap {
				if s, isSub := m["Fn::Sub"].(string); isSub {
					ref, ok = strings.ReplaceAll(s, "${AWS::Partition}", "aws"), !strings.Contains(strings.ReplaceAll(s, "${AWS::Partition}", ""), "${")
				}
			}
		}
		if ok {
			if doc, found := iampolicy.ManagedPolicy(ref); found {
				return &NamedPolicy{Name: ref, Document: doc}, nil
			}
			out.Notes = append(out.Notes, fmt.Sprintf("%s: managed policy %s is neither declared in the template nor an embedded AWS managed policy: not included", where, ref))
			return nil, nil
		}
		out.Notes = append(out.Notes, fmt.Sprintf("%s: a managed policy known only at deploy time: not included", where))
		return nil, nil
	}
	base := f.Name + "#/Resources/" + logicalID + "/Properties/"
	// A list behind Fn::If holds what one deployment or another grants:
	// their union would be neither, so it is left out with a note.
	for _, k := range []string{"Policies", "ManagedPolicyArns"} {
		if v, ok := props[k]; ok && role.Type == "AWS::IAM::Role" {
			if _, isList := v.([]any); !isList {
				out.Notes = append(out.Notes, fmt.Sprintf("%s%s: not a list (a condition decides it at deploy time): not included", base, k))
			}
		}
	}
	if role.Type == "AWS::IAM::Role" {
		pols, _ := props["Policies"].([]any)
		for i, p := range pols {
			pm, _ := p.(map[string]any)
			if pm == nil || pm["PolicyDocument"] == nil {
				out.Notes = append(out.Notes, fmt.Sprintf("%sPolicies/%d: not a policy (an intrinsic function?): not included", base, i))
				continue
			}
			name, _ := pm["PolicyName"].(string)
			if err := add(fmt.Sprintf("%sPolicies/%d (%s)", base, i, name), pm["PolicyDocument"]); err != nil {
				return nil, err
			}
		}
		arns, _ := props["ManagedPolicyArns"].([]any)
		for i, a := range arns {
			np, err := managed(fmt.Sprintf("%sManagedPolicyArns/%d", base, i), a)
			if err != nil {
				return nil, err
			}
			if np != nil {
				out.Identity = append(out.Identity, *np)
			}
		}
		if b, ok := props["PermissionsBoundary"]; ok {
			np, err := managed(base+"PermissionsBoundary", b)
			if err != nil {
				return nil, err
			}
			if np == nil {
				out.Notes = append(out.Notes, "the permissions boundary could not be read: the simulation assumes none")
			}
			out.Boundary = np
		}
		// Policies declared beside the role that attach to it.
		for i := range f.Resources {
			r := &f.Resources[i]
			switch r.Type {
			case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy":
			default:
				continue
			}
			rp, _ := cfntemplate.Value(r.Properties).(map[string]any)
			if !refersTo(rp["Roles"], logicalID) && !refersTo(rp["RoleName"], logicalID) {
				continue
			}
			if err := add(f.Name+"#/Resources/"+r.LogicalID, rp["PolicyDocument"]); err != nil {
				return nil, err
			}
		}
	} else {
		for _, src := range f.Sources() {
			if src.LogicalID != logicalID {
				continue
			}
			where := f.Name + "#" + src.Pointer
			switch src.Kind {
			case cfntemplate.PolicyDocument:
				if src.Policy == nil {
					continue
				}
				doc, notes := documentOf(where, src)
				out.Notes = append(out.Notes, notes...)
				if err := add(where, doc); err != nil {
					return nil, err
				}
			case cfntemplate.ManagedPolicy:
				if src.Ref == "" {
					out.Notes = append(out.Notes, fmt.Sprintf("%s: a managed policy known only at deploy time: not included", where))
					continue
				}
				np, err := managed(where, src.Ref)
				if err != nil {
					return nil, err
				}
				if np != nil {
					out.Identity = append(out.Identity, *np)
				}
			case cfntemplate.SAMPolicyTemplate:
				m, ok, err := samtemplates.Document(src.Template, src.Params)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", where, err)
				}
				if !ok {
					out.Notes = append(out.Notes, fmt.Sprintf("%s: SAM policy template %s is not known to this build: not included", where, src.Template))
					continue
				}
				if err := add(where, samtemplates.MapStrings(m, func(t string) string { return subPseudo(t, account) })); err != nil {
					return nil, err
				}
			}
		}
		// SAM attaches AWSLambdaBasicExecutionRole to the role it creates.
		if doc, ok := iampolicy.ManagedPolicy("AWSLambdaBasicExecutionRole"); ok {
			out.Identity = append(out.Identity, NamedPolicy{Name: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", Document: doc})
		}
		if props["PermissionsBoundary"] != nil {
			np, err := managed(base+"PermissionsBoundary", props["PermissionsBoundary"])
			if err != nil {
				return nil, err
			}
			out.Boundary = np
		}
	}
	sort.Strings(out.Notes)
	return out, nil
}

// refersTo reports whether v (a Roles list or a RoleName) holds a Ref to
// logicalID.
func refersTo(v any, logicalID string) bool {
	switch t := v.(type) {
	case []any:
		for _, x := range t {
			if refersTo(x, logicalID) {
				return true
			}
		}
	case map[string]any:
		ref, _ := t["Ref"].(string)
		return ref == logicalID
	}
	return false
}

// substitutePseudo returns v with the pseudo parameters of every Fn::Sub
// template replaced: AWS::AccountId by account, AWS::Partition by "aws",
// AWS::URLSuffix by "amazonaws.com", AWS::Region by "*" (any region), and
// ${!Name} by the literal ${Name}. Other references stay, and then match
// nothing.
func substitutePseudo(v any, account string) any {
	switch t := v.(type) {
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = substitutePseudo(x, account)
		}
		return out
	case map[string]any:
		if len(t) == 1 {
			if s, ok := t["Fn::Sub"].(string); ok {
				return map[string]any{"Fn::Sub": subPseudo(s, account)}
			}
			if a, ok := t["Fn::Sub"].([]any); ok && len(a) == 2 {
				if s, ok := a[0].(string); ok {
					return map[string]any{"Fn::Sub": []any{subPseudo(s, account), a[1]}}
				}
			}
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = substitutePseudo(x, account)
		}
		return out
	}
	return v
}

func subPseudo(s, account string) string {
	return strings.NewReplacer("${AWS::AccountId}", account, "${AWS::Partition}", "aws", "${AWS::URLSuffix}", "amazonaws.com",
		"${AWS::Region}", "*", "${!", "${").Replace(s)
}

// deployTimeValues reports whether a document still holds a Ref,
// Fn::GetAtt, Fn::ImportValue or a Fn::Sub reference other than a policy
// variable (aws:..., a service key).
func deployTimeValues(v any) bool {
	switch t := v.(type) {
	case []any:
		for _, x := range t {
			if deployTimeValues(x) {
				return true
			}
		}
	case map[string]any:
		for k, x := range t {
			switch k {
			case "Ref", "Fn::GetAtt", "Fn::ImportValue", "Fn::Select", "Fn::FindInMap":
				return true
			case "Fn::Sub":
				s, _ := x.(string)
				if a, ok := x.([]any); ok && len(a) > 0 {
					s, _ = a[0].(string)
				}
				for _, ref := range subRefs(s) {
					if !strings.Contains(ref, ":") || strings.HasPrefix(ref, "AWS::") {
						return true
					}
				}
			}
			if deployTimeValues(x) {
				return true
			}
		}
	}
	return false
}

// subRefs lists the names referenced by ${...} in a Fn::Sub template.
func subRefs(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, s[i+2:i+j])
		s = s[i+j+1:]
	}
}

// documentOf rebuilds a plain policy document from a template source's
// decoded statements for the simulator. A statement behind a template
// condition is kept in every variant, so the simulation answers for the
// union of the branches (said in a note); a part the template reader could
// not decode is left out, also said in a note.
func documentOf(where string, src cfntemplate.Source) (map[string]any, []string) {
	var notes []string
	if len(src.When) > 0 {
		notes = append(notes, fmt.Sprintf("%s: deployed only when %s: included", where, cfntemplate.Choices(src.When)))
	}
	stmts := make([]any, 0, len(src.Policy.Statements))
	branched := false
	for _, st := range src.Policy.Statements {
		stmts = append(stmts, st.Value)
		branched = branched || len(st.Branch) > 0 || st.Variants > 1
	}
	if branched {
		notes = append(notes, fmt.Sprintf("%s: statements behind template conditions: every branch included", where))
	}
	for _, p := range src.Policy.Problems {
		notes = append(notes, fmt.Sprintf("%s%s (line %d): not included: %s", where, p.Pointer, p.Line, p.Reason))
	}
	doc := map[string]any{"Statement": stmts}
	if src.Policy.Version != "" {
		doc["Version"] = src.Policy.Version
	}
	return doc, notes
}
