package cfntemplate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Policy is a policy document declared in a template, rewritten into the
// plain shape an IAM policy parser reads: every form CloudFormation
// accepts for a document is decoded (an object, a JSON string, a Fn::Sub
// or Fn::Join whose text is the JSON), every Fn::If is expanded into both
// branches and every Ref to AWS::NoValue is removed with its key or list
// element. What could still not be read is listed in Problems rather than
// failing the template: one unreadable policy must not hide the others.
type Policy struct {
	// Version is the document's Version as written, "" when absent.
	Version string
	// Statements lists the statements in document order; a statement
	// holding Fn::If appears once per combination of its conditions.
	Statements []Statement
	// Problems are the parts that cannot be judged, with the reason.
	Problems []Problem
}

// Statement is one variant of one statement.
type Statement struct {
	// Pointer is the statement's JSON pointer from the document root:
	// "/Statement/0", "/Statement" for a single object,
	// "/Statement/0/Fn::If/1" for a statement behind a condition. The
	// variants of one statement share it.
	Pointer string
	// Line is the statement's line in the file (for a document written
	// as a string, the string's line when no better one is known).
	Line int
	// Value is the statement with this variant's branches taken and
	// AWS::NoValue removed; other intrinsics stay in long form.
	Value map[string]any
	// Branch lists the conditions that decide whether the statement is
	// in the document at all (a Fn::If around the statement or the
	// list); it is the same for every variant.
	Branch []Choice
	// When lists the conditions this variant took inside the statement;
	// Variants is how many variants the statement has (1 without Fn::If).
	When     []Choice
	Variants int
}

// Problem is a part of a policy that cannot be judged.
type Problem struct {
	// Pointer is from the document root ("" for the document itself).
	Pointer string
	Line    int
	Reason  string
	// Branch lists the conditions under which the part is deployed.
	Branch []Choice
}

// Choice is one branch of a template condition: Fn::If's first (True) or
// second value.
type Choice struct {
	Condition string
	True      bool
}

// String renders the choice as it reads in evidence: "IsProd" or
// "not IsProd".
func (c Choice) String() string {
	if c.True {
		return c.Condition
	}
	return "not " + c.Condition
}

// Choices renders a conjunction: "IsProd and not HasQueue"; "" for none.
func Choices(cs []Choice) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, " and ")
}

// maxConditions bounds the conditions one statement may combine: each
// doubles the variants judged. Real statements use one or two.
const maxConditions = 6

// policy decodes the document node n of a Source.
func (f *File) policy(n *yaml.Node) *Policy {
	p := &Policy{}
	doc, line, problem := f.documentNode(n)
	if problem != "" {
		p.Problems = append(p.Problems, Problem{Line: line, Reason: problem})
		return p
	}
	if v := mapGet(doc, "Version"); v != nil && v.Kind == yaml.ScalarNode {
		p.Version = v.Value
	}
	st := mapGet(doc, "Statement")
	if st == nil {
		reason := "no Statement element"
		if mapGet(doc, "Effect") != nil || mapGet(doc, "Action") != nil {
			reason += " (the document is written like a single statement: put it under Statement)"
		}
		p.Problems = append(p.Problems, Problem{Line: nodeLine(doc), Reason: reason})
		return p
	}
	f.statements(p, st, "/Statement", nil, 0)
	return p
}

// statements reads the value of Statement: a list, a single object, or
// either behind Fn::If.
func (f *File) statements(p *Policy, n *yaml.Node, ptr string, branch []Choice, depth int) {
	n = resolveAlias(n)
	if n == nil || depth > 32 || isNoValue(n) {
		return
	}
	if cond, then, els, ok := ifArgs(n); ok {
		f.statements(p, then, Pointer(ptr, "Fn::If", "1"), appendChoice(branch, cond, true), depth+1)
		f.statements(p, els, Pointer(ptr, "Fn::If", "2"), appendChoice(branch, cond, false), depth+1)
		return
	}
	switch {
	case n.Kind == yaml.SequenceNode:
		// A list, or inside one a Fn::If whose branch is itself a list
		// (IAM reads the inner statements).
		for i, c := range n.Content {
			f.statements(p, c, Pointer(ptr, strconv.Itoa(i)), branch, depth+1)
		}
	case n.Kind == yaml.MappingNode && !isIntrinsic(n):
		f.statement(p, n, ptr, branch)
	default:
		what := "a " + kindName(n)
		if isIntrinsic(n) {
			what = n.Content[0].Value + ", only known at deploy time"
		}
		p.Problems = append(p.Problems, Problem{Pointer: ptr, Line: nodeLine(n), Branch: branch,
			Reason: "a statement must be an object, got " + what})
	}
}

// statement adds every variant of one statement object.
func (f *File) statement(p *Policy, n *yaml.Node, ptr string, branch []Choice) {
	line := nodeLine(n)
	vs, err := f.variants(n, true)
	if err != nil {
		p.Problems = append(p.Problems, Problem{Pointer: ptr, Line: line, Branch: branch, Reason: err.Error()})
		return
	}
	for _, v := range vs {
		m, _ := v.value.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		p.Statements = append(p.Statements, Statement{Pointer: ptr, Line: line, Value: m,
			Branch: branch, When: v.when, Variants: len(vs)})
	}
}

// variant is a value with one combination of its Fn::If branches taken.
type variant struct {
	value any
	when  []Choice
}

// variants expands every Fn::If under n. Conditions are combined by name:
// one condition used twice takes the same branch in both places, as
// CloudFormation evaluates it once. Combinations that differ only in
// conditions a variant never consulted give one variant. statement marks
// a statement object, whose Principal and NotPrincipal given by a string intrinsic
// are resolved where the template allows.
func (f *File) variants(n *yaml.Node, statement bool) ([]variant, error) {
	names := conditionNames(n)
	if len(names) > maxConditions {
		return nil, fmt.Errorf("combines %d Fn::If conditions (%s); at most %d are judged", len(names), strings.Join(names, ", "), maxConditions)
	}
	var out []variant
	var seen map[string]bool
	for mask := 0; mask < 1<<len(names); mask++ {
		// Without conditions (most statements) no map is made at all.
		e := expander{f: f}
		if len(names) > 0 {
			e.assign, e.used = make(map[string]bool, len(names)), make(map[string]bool, len(names))
		}
		for i, name := range names {
			e.assign[name] = mask&(1<<i) != 0
		}
		var v any
		if statement {
			v = e.statement(n)
		} else {
			v, _ = e.plain(n, 0)
		}
		var when []Choice
		for _, name := range names {
			if e.used[name] {
				when = append(when, Choice{Condition: name, True: e.assign[name]})
			}
		}
		if len(names) > 0 {
			key := Choices(when)
			if seen[key] {
				continue
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[key] = true
		}
		out = append(out, variant{value: v, when: when})
	}
	return out, nil
}

// conditionNames lists the condition names of the Fn::If under n, in
// order of first appearance.
func conditionNames(n *yaml.Node) []string {
	var names []string
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		n = resolveAlias(n)
		if n == nil || depth > maxDepth || len(names) > maxConditions {
			return
		}
		if cond, _, _, ok := ifArgs(n); ok && !slices.Contains(names, cond) {
			names = append(names, cond)
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return names
}

// expander decodes a node with given branches for its conditions.
type expander struct {
	f      *File
	assign map[string]bool
	used   map[string]bool
}

// pick follows Fn::If to the branch the assignment takes.
func (e *expander) pick(n *yaml.Node) *yaml.Node {
	for i := 0; i < maxDepth; i++ {
		n = resolveAlias(n)
		cond, then, els, ok := ifArgs(n)
		if !ok {
			return n
		}
		if e.used == nil {
			e.used = map[string]bool{}
		}
		e.used[cond] = true
		if e.assign[cond] {
			n = then
		} else {
			n = els
		}
	}
	return nil
}

// statement decodes a statement object. A Principal given as a string
// intrinsic is resolved where the template says its value (a parameter
// default, a Fn::Sub of pseudo parameters): IAM accepts only "*" as a
// string principal, so what it resolves to decides the verdict.
func (e *expander) statement(n *yaml.Node) any {
	n = e.pick(n)
	if n == nil || n.Kind != yaml.MappingNode {
		v, _ := e.plain(n, 0)
		return v
	}
	m := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if k == "Principal" || k == "NotPrincipal" {
			c := e.pick(n.Content[i+1])
			if c == nil || isNoValue(c) {
				continue
			}
			if isIntrinsic(c) {
				if s, ok := e.f.resolveString(c, 0); ok {
					m[k] = s
					continue
				}
			}
		}
		if v, keep := e.plain(n.Content[i+1], 1); keep {
			m[k] = v
		}
	}
	return m
}

// plain decodes n like Value, taking the assigned branch of every Fn::If
// and dropping AWS::NoValue with its key or element (keep is false for a
// value that is dropped).
func (e *expander) plain(n *yaml.Node, depth int) (v any, keep bool) {
	n = e.pick(n)
	if n == nil || depth > maxDepth {
		return nil, true
	}
	if isNoValue(n) {
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v, keep := e.plain(n.Content[i+1], depth+1); keep {
				m[n.Content[i].Value] = v
			}
		}
		return m, true
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			if v, keep := e.plain(c, depth+1); keep {
				s = append(s, v)
			}
		}
		return s, true
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return nil, true
		}
		return n.Value, true
	}
	return nil, true
}

// ifArgs returns the condition and branches of a well-formed Fn::If.
func ifArgs(n *yaml.Node) (cond string, then, els *yaml.Node, ok bool) {
	args := intrinsic(n, "Fn::If")
	if args == nil || args.Kind != yaml.SequenceNode || len(args.Content) != 3 {
		return "", nil, nil, false
	}
	c := resolveAlias(args.Content[0])
	if c == nil || c.Kind != yaml.ScalarNode {
		return "", nil, nil, false
	}
	return c.Value, args.Content[1], args.Content[2], true
}

func appendChoice(cs []Choice, cond string, yes bool) []Choice {
	out := make([]Choice, len(cs), len(cs)+1)
	copy(out, cs)
	return append(out, Choice{Condition: cond, True: yes})
}

// isIntrinsic reports a long-form intrinsic function: a mapping with the
// one key Ref, Condition or Fn::*.
func isIntrinsic(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.MappingNode && len(n.Content) == 2 && isIntrinsicName(n.Content[0].Value)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		if n.Tag == "!!str" || n.ShortTag() == "!!str" {
			return "string"
		}
		return "scalar"
	}
	return "value"
}

// documentNode returns the mapping of a policy document, decoding the
// forms CloudFormation accepts besides an object: a JSON string, and a
// Fn::Sub or Fn::Join producing one. For a problem it returns the reason
// and the line.
func (f *File) documentNode(n *yaml.Node) (doc *yaml.Node, line int, problem string) {
	n = resolveAlias(n)
	line = nodeLine(n)
	switch {
	case n == nil:
		return nil, line, "empty policy document"
	case n.Kind == yaml.MappingNode && !isIntrinsic(n):
		return n, line, ""
	case n.Kind == yaml.ScalarNode:
		return parseText(n.Value, n, "")
	}
	if s := intrinsic(n, "Fn::Sub"); s != nil {
		text, tmpl, ok := f.subText(s)
		if !ok {
			return nil, line, "Fn::Sub needs a template string, or [template string, variables]"
		}
		return parseText(text, tmpl, "Fn::Sub")
	}
	if j := intrinsic(n, "Fn::Join"); j != nil {
		text, ok := f.joinText(j)
		if !ok {
			return nil, line, "Fn::Join needs [delimiter, list]"
		}
		return parseText(text, j, "Fn::Join")
	}
	if isIntrinsic(n) {
		return nil, line, fmt.Sprintf("the policy document is given by %s and only known at deploy time", n.Content[0].Value)
	}
	return nil, line, "a policy document must be an object or a JSON string, got a " + kindName(n)
}

// parseText reads a document written as text. Lines inside a literal
// block (|) are lines of the file; in any other scalar they cannot be
// mapped back, and every part gets the scalar's line.
func parseText(text string, at *yaml.Node, via string) (doc *yaml.Node, line int, problem string) {
	line = nodeLine(at)
	what := "the policy document string"
	if via != "" {
		what = "the text of " + via
	}
	var root yaml.Node
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("parser failed: %v", r)
			}
		}()
		return yaml.Unmarshal([]byte(text), &root)
	}()
	if err != nil {
		return nil, line, fmt.Sprintf("%s is not JSON: %s", what, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, line, what + " is not a JSON object"
	}
	doc = root.Content[0]
	if at != nil && at.Kind == yaml.ScalarNode && at.Style&yaml.LiteralStyle != 0 && at.Line > 0 {
		shiftLines(doc, at.Line, 0)
	} else {
		setLines(doc, line, 0)
	}
	return doc, line, ""
}

// shiftLines moves the lines of a text parsed from a literal block to the
// file's: the block's first line is the one after its indicator.
func shiftLines(n *yaml.Node, base, depth int) {
	if n == nil || depth > maxDepth {
		return
	}
	if n.Line > 0 {
		n.Line += base
	}
	for _, c := range n.Content {
		shiftLines(c, base, depth+1)
	}
}

func setLines(n *yaml.Node, line, depth int) {
	if n == nil || depth > maxDepth {
		return
	}
	n.Line = line
	for _, c := range n.Content {
		setLines(c, line, depth+1)
	}
}

// subText renders a Fn::Sub whose template is a policy document's JSON.
// Every ${Name} becomes an opaque value that keeps the JSON valid: inside
// a JSON string its text, elsewhere a quoted string (or the JSON itself
// when a literal variable holds JSON). Variables given as literals in the
// [template, variables] form and the partition pseudo parameters take
// their value; anything only known at deploy time stays "${Name}", which
// the checks read as one specific, unknown value, never as a wildcard.
func (f *File) subText(s *yaml.Node) (text string, tmpl *yaml.Node, ok bool) {
	vars := map[string]string{}
	literal := map[string]bool{}
	tmpl = s
	if s.Kind == yaml.SequenceNode && len(s.Content) == 2 {
		tmpl = resolveAlias(s.Content[0])
		if vm := resolveAlias(s.Content[1]); vm != nil && vm.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(vm.Content); i += 2 {
				name, val := vm.Content[i].Value, resolveAlias(vm.Content[i+1])
				if val != nil && val.Kind == yaml.ScalarNode {
					vars[name], literal[name] = val.Value, true
					continue
				}
				if r := intrinsic(val, "Ref"); r != nil && r.Kind == yaml.ScalarNode {
					vars[name] = "${" + r.Value + "}"
					continue
				}
				if v, ok := f.resolveString(val, 0); ok {
					vars[name], literal[name] = v, true
				}
			}
		}
	}
	if tmpl == nil || tmpl.Kind != yaml.ScalarNode {
		return "", nil, false
	}
	var b jsonText
	src := tmpl.Value
	for {
		i := strings.Index(src, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(src[i:], '}')
		if j < 0 {
			break
		}
		b.literal(src[:i])
		name := src[i+2 : i+j]
		src = src[i+j+1:]
		switch v, isVar := vars[name]; {
		case strings.HasPrefix(name, "!"):
			b.literal("${" + name[1:] + "}")
		case isVar:
			b.opaque(v, literal[name])
		case pseudo[name] != "":
			b.opaque(pseudo[name], false)
		default:
			b.opaque("${"+name+"}", false)
		}
	}
	b.literal(src)
	return b.String(), tmpl, true
}

// joinText renders a Fn::Join whose parts spell a policy document's JSON;
// parts that are not literal strings become opaque values as in subText.
func (f *File) joinText(j *yaml.Node) (string, bool) {
	if j.Kind != yaml.SequenceNode || len(j.Content) != 2 {
		return "", false
	}
	delim, parts := resolveAlias(j.Content[0]), resolveAlias(j.Content[1])
	if delim == nil || delim.Kind != yaml.ScalarNode || parts == nil || parts.Kind != yaml.SequenceNode {
		return "", false
	}
	var b jsonText
	for i, p := range parts.Content {
		if i > 0 {
			b.literal(delim.Value)
		}
		p = resolveAlias(p)
		switch {
		case p != nil && p.Kind == yaml.ScalarNode:
			b.literal(p.Value)
		default:
			if v, ok := f.resolveString(p, 0); ok {
				b.opaque(v, false)
			} else if r := intrinsic(p, "Ref"); r != nil && r.Kind == yaml.ScalarNode {
				b.opaque("${"+r.Value+"}", false)
			} else {
				b.opaque("${intrinsic}", false)
			}
		}
	}
	return b.String(), true
}

// jsonText builds JSON from literal pieces and substituted values, knowing
// whether the next byte falls inside a JSON string.
type jsonText struct {
	b        strings.Builder
	inString bool
	escaped  bool
}

func (t *jsonText) literal(s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case t.escaped:
			t.escaped = false
		case c == '\\' && t.inString:
			t.escaped = true
		case c == '"':
			t.inString = !t.inString
		}
	}
	t.b.WriteString(s)
}

func (t *jsonText) opaque(v string, mayBeJSON bool) {
	if !t.inString && mayBeJSON && json.Valid([]byte(v)) {
		t.b.WriteString(v)
		return
	}
	q, _ := json.Marshal(v)
	if t.inString {
		q = q[1 : len(q)-1]
	}
	t.b.Write(q)
}

func (t *jsonText) String() string { return t.b.String() }

// Policy reads a file that is a policy document itself (not a template)
// the way a template's documents are read; nil for an empty file.
func (f *File) Policy() *Policy {
	if f.root == nil {
		return nil
	}
	return f.policy(f.root)
}
