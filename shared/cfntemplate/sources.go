package cfntemplate

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SourceKind says what a Source holds and so how it must be judged.
type SourceKind int

// The kinds of policy a template can declare.
const (
	// PolicyDocument is an identity policy document (Document is set).
	PolicyDocument SourceKind = iota + 1
	// TrustPolicy is a role's AssumeRolePolicyDocument (Document is set).
	TrustPolicy
	// ManagedPolicy is a reference to a managed policy by name or ARN (Ref
	// is set when it could be resolved without deploying).
	ManagedPolicy
	// SAMPolicyTemplate is an entry such as `SQSPollerPolicy: {QueueName: q}`
	// in a SAM resource's Policies (Template and Params are set).
	SAMPolicyTemplate
	// LambdaPermission is an AWS::Lambda::Permission, or the permission SAM
	// creates for a function URL (Permission is set).
	LambdaPermission
)

// String names the kind for notes and evidence.
func (k SourceKind) String() string {
	switch k {
	case PolicyDocument:
		return "policy"
	case TrustPolicy:
		return "trust policy"
	case ManagedPolicy:
		return "managed policy"
	case SAMPolicyTemplate:
		return "SAM policy template"
	case LambdaPermission:
		return "Lambda permission"
	}
	return "unknown"
}

// Source is one policy a template declares, and where.
type Source struct {
	Kind         SourceKind
	LogicalID    string
	ResourceType string
	// Pointer is the JSON pointer of the policy document, reference,
	// template entry or permission properties from the template root, for
	// example /Resources/Fn/Properties/Policies/0.
	Pointer string
	Line    int

	// Policy is the policy document made ready for judging, intrinsics
	// in long form (PolicyDocument, TrustPolicy).
	Policy *Policy
	// When lists the conditions under which the source is deployed: the
	// Fn::If branches taken around it (around a Policies list, a
	// document, a permission's property). Variants counts the sources
	// that share this Pointer and differ only in the branches taken
	// inside it (a Lambda permission with Fn::If in its properties); it is
	// 1 otherwise.
	When     []Choice
	Variants int
	// Condition is the Condition of the resource declaring the source
	// (Resource.Condition).
	Condition string
	// Ref is the managed policy's name or ARN with pseudo parameters
	// substituted; empty when it depends on something only known at deploy
	// time (ManagedPolicy).
	Ref string
	// Template and Params are the SAM policy template's name and
	// parameters (SAMPolicyTemplate).
	Template string
	Params   any
	// Permission holds the Lambda permission's properties: Action,
	// Principal, SourceArn, SourceAccount, PrincipalOrgID,
	// FunctionUrlAuthType, FunctionName (LambdaPermission).
	Permission map[string]any
}

// Sources lists every policy the template declares, in file order. Parts
// that CloudFormation would evaluate only at deploy time are resolved where
// that is safe (pseudo parameters, parameter defaults, both branches of
// Fn::If); an entry that cannot be resolved is still listed, with what is
// known, so that the caller can say it was not judged.
func (f *File) Sources() []Source {
	var out []Source
	for _, r := range f.Resources {
		if r.Properties == nil {
			continue
		}
		base := Pointer("", "Resources", r.LogicalID, "Properties")
		add := func(s Source) {
			s.LogicalID, s.ResourceType, s.Condition = r.LogicalID, r.Type, r.Condition
			if s.Variants == 0 {
				s.Variants = 1
			}
			out = append(out, s)
		}
		props := r.Properties
		switch r.Type {
		case "AWS::IAM::Role":
			if n := mapGet(props, "AssumeRolePolicyDocument"); n != nil {
				for _, b := range f.branches(n, Pointer(base, "AssumeRolePolicyDocument")) {
					add(f.document(TrustPolicy, b))
				}
			}
			f.inlinePolicies(props, base, add)
			f.managedArns(props, base, add)
		case "AWS::IAM::User", "AWS::IAM::Group":
			f.inlinePolicies(props, base, add)
			f.managedArns(props, base, add)
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy":
			if n := mapGet(props, "PolicyDocument"); n != nil {
				for _, b := range f.branches(n, Pointer(base, "PolicyDocument")) {
					add(f.document(PolicyDocument, b))
				}
			}
		case "AWS::Serverless::Function", "AWS::Serverless::StateMachine":
			// SAM ignores Policies when an explicit Role is given: the
			// role, declared elsewhere in the template or outside it, is
			// what the function gets.
			if mapGet(props, "Role") == nil {
				f.samPolicies(props, base, add)
			}
			if r.Type == "AWS::Serverless::Function" {
				f.functionURL(props, base, add)
			}
		case "AWS::Lambda::Permission":
			vs, err := f.variants(props, false)
			if err != nil {
				// Too many conditions to combine: judge the properties
				// with every intrinsic as written.
				vs = []variant{{value: Value(props)}}
			}
			for _, v := range vs {
				perm, _ := v.value.(map[string]any)
				add(Source{Kind: LambdaPermission, Pointer: base, Line: nodeLine(props), Permission: perm, When: v.when, Variants: len(vs)})
			}
		}
	}
	return out
}

type branch struct {
	n    *yaml.Node
	ptr  string
	when []Choice
}

// document makes the Source of a policy document.
func (f *File) document(kind SourceKind, b branch) Source {
	line := nodeLine(b.n)
	if line == 0 {
		// A short-form intrinsic rewritten into long form has no
		// position: the nearest enclosing one will do.
		line = f.Line(b.ptr)
	}
	p := f.policy(b.n)
	for i := range p.Statements {
		if p.Statements[i].Line == 0 {
			p.Statements[i].Line = line
		}
	}
	for i := range p.Problems {
		if p.Problems[i].Line == 0 {
			p.Problems[i].Line = line
		}
	}
	return Source{Kind: kind, Pointer: b.ptr, Line: line, Policy: p, When: b.when}
}

// branches expands Fn::If into both outcomes (a template is only as safe as
// its worst condition) and drops Ref AWS::NoValue.
func (f *File) branches(n *yaml.Node, ptr string) []branch {
	return f.branchesDepth(n, ptr, nil, 0)
}

func (f *File) branchesDepth(n *yaml.Node, ptr string, when []Choice, depth int) []branch {
	n = resolveAlias(n)
	if n == nil || depth > 32 {
		return nil
	}
	if isNoValue(n) {
		return nil
	}
	if cond, then, els, ok := ifArgs(n); ok {
		out := f.branchesDepth(then, Pointer(ptr, "Fn::If", "1"), appendChoice(when, cond, true), depth+1)
		return append(out, f.branchesDepth(els, Pointer(ptr, "Fn::If", "2"), appendChoice(when, cond, false), depth+1)...)
	}
	return []branch{{n, ptr, when}}
}

// items returns the entries of a list property, or the property itself when
// a single value was given, each with its pointer.
func (f *File) items(n *yaml.Node, ptr string) []branch {
	var out []branch
	for _, b := range f.branches(n, ptr) {
		if b.n.Kind == yaml.SequenceNode {
			for i, c := range b.n.Content {
				out = append(out, f.branchesDepth(c, Pointer(b.ptr, itoa(i)), b.when, 0)...)
			}
			continue
		}
		out = append(out, b)
	}
	return out
}

// inlinePolicies reads Policies: [{PolicyName, PolicyDocument}] of roles,
// users and groups.
func (f *File) inlinePolicies(props *yaml.Node, base string, add func(Source)) {
	n := mapGet(props, "Policies")
	if n == nil {
		return
	}
	for _, it := range f.items(n, Pointer(base, "Policies")) {
		doc := mapGet(it.n, "PolicyDocument")
		if doc == nil {
			continue
		}
		for _, b := range f.branches(doc, Pointer(it.ptr, "PolicyDocument")) {
			b.when = append(append([]Choice(nil), it.when...), b.when...)
			add(f.document(PolicyDocument, b))
		}
	}
}

func (f *File) managedArns(props *yaml.Node, base string, add func(Source)) {
	n := mapGet(props, "ManagedPolicyArns")
	if n == nil {
		return
	}
	for _, it := range f.items(n, Pointer(base, "ManagedPolicyArns")) {
		ref, _ := f.resolveString(it.n, 0)
		add(Source{Kind: ManagedPolicy, Pointer: it.ptr, Line: nodeLine(it.n), Ref: ref, When: it.when})
	}
}

// samPolicies reads a SAM resource's Policies, which may be a managed
// policy name or ARN, an inline document, a policy template, or a list of
// any of them.
func (f *File) samPolicies(props *yaml.Node, base string, add func(Source)) {
	n := mapGet(props, "Policies")
	if n == nil {
		return
	}
	for _, it := range f.items(n, Pointer(base, "Policies")) {
		line := nodeLine(it.n)
		switch {
		case it.n.Kind == yaml.ScalarNode:
			add(Source{Kind: ManagedPolicy, Pointer: it.ptr, Line: line, Ref: it.n.Value, When: it.when})
		case it.n.Kind != yaml.MappingNode:
			continue
		case mapGet(it.n, "Statement") != nil:
			add(f.document(PolicyDocument, it))
		case len(it.n.Content) == 2 && isIntrinsicName(it.n.Content[0].Value):
			ref, _ := f.resolveString(it.n, 0)
			add(Source{Kind: ManagedPolicy, Pointer: it.ptr, Line: line, Ref: ref, When: it.when})
		case len(it.n.Content) == 2:
			name := it.n.Content[0].Value
			add(Source{Kind: SAMPolicyTemplate, Pointer: Pointer(it.ptr, name), Line: line, Template: name, Params: Value(it.n.Content[1]), When: it.when})
		}
	}
}

// functionURL turns FunctionUrlConfig into the resource-policy statement
// SAM adds for it: lambda:InvokeFunctionUrl for principal "*" with the
// lambda:FunctionUrlAuthType condition. With AuthType NONE that is a public
// endpoint; with AWS_IAM callers still need identity permissions.
func (f *File) functionURL(props *yaml.Node, base string, add func(Source)) {
	n := mapGet(props, "FunctionUrlConfig")
	if n == nil {
		return
	}
	auth := "AWS_IAM"
	if a := mapGet(n, "AuthType"); a != nil && a.Kind == yaml.ScalarNode {
		auth = a.Value
	}
	if auth != "NONE" {
		return
	}
	add(Source{Kind: LambdaPermission, Pointer: Pointer(base, "FunctionUrlConfig"), Line: nodeLine(n), Permission: map[string]any{
		"Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": auth,
	}})
}

func isIntrinsicName(k string) bool {
	return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
}

func intrinsic(n *yaml.Node, name string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) != 2 || n.Content[0].Value != name {
		return nil
	}
	return resolveAlias(n.Content[1])
}

func isNoValue(n *yaml.Node) bool {
	r := intrinsic(n, "Ref")
	return r != nil && r.Kind == yaml.ScalarNode && r.Value == "AWS::NoValue"
}

// pseudo holds the pseudo parameters whose value is known before deploying
// for the standard partition. AccountId and Region are not: they stay as
// placeholders.
var pseudo = map[string]string{
	"AWS::Partition": "aws",
	"AWS::URLSuffix": "amazonaws.com",
}

// resolveString evaluates the string intrinsics a managed policy ARN is
// usually written with: Fn::Sub, Fn::Join, Ref to pseudo parameters and to
// parameters with a default. It reports false when the value is only known
// at deploy time (a Ref to a resource, an import).
func (f *File) resolveString(n *yaml.Node, depth int) (string, bool) {
	n = resolveAlias(n)
	if n == nil || depth > 16 {
		return "", false
	}
	if n.Kind == yaml.ScalarNode {
		return n.Value, true
	}
	if r := intrinsic(n, "Ref"); r != nil && r.Kind == yaml.ScalarNode {
		if v, ok := pseudo[r.Value]; ok {
			return v, true
		}
		if p := mapGet(mapGet(mapGet(f.root, "Parameters"), r.Value), "Default"); p != nil && p.Kind == yaml.ScalarNode {
			return p.Value, true
		}
		return "", false
	}
	if s := intrinsic(n, "Fn::Sub"); s != nil {
		vars := map[string]string{}
		tmpl := s
		if s.Kind == yaml.SequenceNode && len(s.Content) == 2 {
			tmpl = resolveAlias(s.Content[0])
			vm := resolveAlias(s.Content[1])
			if vm != nil && vm.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(vm.Content); i += 2 {
					if v, ok := f.resolveString(vm.Content[i+1], depth+1); ok {
						vars[vm.Content[i].Value] = v
					}
				}
			}
		}
		if tmpl == nil || tmpl.Kind != yaml.ScalarNode {
			return "", false
		}
		return f.substitute(tmpl.Value, vars)
	}
	if j := intrinsic(n, "Fn::Join"); j != nil && j.Kind == yaml.SequenceNode && len(j.Content) == 2 {
		delim, parts := resolveAlias(j.Content[0]), resolveAlias(j.Content[1])
		if delim == nil || delim.Kind != yaml.ScalarNode || parts == nil || parts.Kind != yaml.SequenceNode {
			return "", false
		}
		ss := make([]string, 0, len(parts.Content))
		for _, p := range parts.Content {
			v, ok := f.resolveString(p, depth+1)
			if !ok {
				return "", false
			}
			ss = append(ss, v)
		}
		return strings.Join(ss, delim.Value), true
	}
	return "", false
}

// substitute fills ${Name} in a Fn::Sub template from vars, pseudo
// parameters and parameter defaults; ${!Literal} stays literal.
func (f *File) substitute(s string, vars map[string]string) (string, bool) {
	var b strings.Builder
	ok := true
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		name := s[i+2 : i+j]
		switch {
		case strings.HasPrefix(name, "!"):
			b.WriteString("${" + name[1:] + "}")
		case vars[name] != "":
			b.WriteString(vars[name])
		case pseudo[name] != "":
			b.WriteString(pseudo[name])
		default:
			if p := mapGet(mapGet(mapGet(f.root, "Parameters"), name), "Default"); p != nil && p.Kind == yaml.ScalarNode {
				b.WriteString(p.Value)
			} else {
				b.WriteString("${" + name + "}")
				ok = false
			}
		}
		s = s[i+j+1:]
	}
	return b.String(), ok
}

func itoa(i int) string { return strconv.Itoa(i) }
