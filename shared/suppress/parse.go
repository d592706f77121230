package suppress

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/checks"
)

// Options say which check IDs a suppression may name.
type Options struct {
	// Checks are the known check IDs; nil means every check registered in
	// shared/checks (the command line links every engine).
	Checks []string
	// AnyCheck accepts any well-formed ID or glob. A function links only
	// its own engine's checks, so it cannot tell a typo from another
	// engine's check; the command line, which knows them all, validates
	// the same file strictly.
	AnyCheck bool
}

func (o Options) known() []string {
	if o.Checks != nil {
		return o.Checks
	}
	all := checks.All()
	ids := make([]string, len(all))
	for i, c := range all {
		ids[i] = c.ID
	}
	return ids
}

// Problem is one thing wrong in a suppression file: the file, the line and
// what is wrong, on one line.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Error is every problem of a file, in file order. Its message is the
// first problem and how many more there are, one line, as the command
// line reports an input error.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	msg := e.Problems[0].Error()
	if n := len(e.Problems) - 1; n == 1 {
		msg += " (and 1 more problem)"
	} else if n > 1 {
		msg += fmt.Sprintf(" (and %d more problems)", n)
	}
	return msg
}

// ruleKeys are the keys of one suppression of the file.
var ruleKeys = []string{"check", "resource", "account", "reason", "expires"}

// Parse reads a selfaudit.yaml document named name (for errors and each
// rule's Source). An empty document has no suppressions. Every problem is
// collected; the error is an *Error.
func Parse(name string, data []byte, opts Options) (rules []Rule, err error) {
	p := &parser{name: name, opts: opts}
	defer func() {
		// yaml.v3 is third-party code fed with input from a file or
		// a parameter: a panic in it is an input error, not a crash.
		if r := recover(); r != nil {
			rules, err = nil, &Error{Problems: []Problem{{File: name, Msg: fmt.Sprintf("YAML parser failed: %v", r)}}}
		}
	}()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, &Error{Problems: []Problem{yamlProblem(name, err)}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.fail(extra.Line, "more than one YAML document; put every suppression in one")
	} else if !errors.Is(err, io.EOF) {
		return nil, &Error{Problems: []Problem{yamlProblem(name, err)}}
	}
	p.document(doc.Content[0])
	if len(p.problems) > 0 {
		return nil, &Error{Problems: p.problems}
	}
	return p.rules, nil
}

// yamlProblem turns a yaml.v3 error ("yaml: line 3: ...") into a problem
// with the line.
func yamlProblem(name string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	msg = strings.Join(strings.Fields(msg), " ")
	return Problem{File: name, Line: line, Msg: "malformed YAML: " + msg}
}

type parser struct {
	name     string
	opts     Options
	ids      []string
	rules    []Rule
	problems []Problem
}

func (p *parser) fail(line int, format string, a ...any) {
	p.problems = append(p.problems, Problem{File: p.name, Line: line, Msg: fmt.Sprintf(format, a...)})
}

func (p *parser) document(root *yaml.Node) {
	root = deref(root)
	if isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		p.fail(root.Line, "the file must be a mapping with a suppressions list")
		return
	}
	var list *yaml.Node
	p.eachKey(root, []string{"suppressions"}, func(key string, k, v *yaml.Node) { list = v })
	if list == nil || isNull(list) {
		return
	}
	if list.Kind != yaml.SequenceNode {
		p.fail(list.Line, "suppressions must be a list")
		return
	}
	for i, item := range list.Content {
		p.rule(i+1, deref(item))
	}
}

// eachKey calls fn for each key of m, failing on keys not in allowed and
// on repeated keys.
func (p *parser) eachKey(m *yaml.Node, allowed []string, fn func(key string, k, v *yaml.Node)) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], deref(m.Content[i+1])
		key := k.Value
		switch {
		case k.Kind != yaml.ScalarNode:
			p.fail(k.Line, "keys must be plain words")
		case !contains(allowed, key):
			p.fail(k.Line, "unknown key %q (want %s)", key, strings.Join(allowed, ", "))
		case seen[key]:
			p.fail(k.Line, "key %q given twice", key)
		default:
			seen[key] = true
			fn(key, k, v)
		}
	}
}

func (p *parser) rule(n int, item *yaml.Node) {
	if item.Kind != yaml.MappingNode {
		p.fail(item.Line, "suppression %d must be a mapping with check and reason", n)
		return
	}
	r := Rule{Source: fmt.Sprintf("%s:%d", p.name, item.Line)}
	before := len(p.problems)
	got := map[string]bool{}
	p.eachKey(item, ruleKeys, func(key string, k, v *yaml.Node) {
		if v.Kind != yaml.ScalarNode {
			p.fail(v.Line, "suppression %d: %s must be a single value", n, key)
			return
		}
		got[key] = true
		val := strings.TrimSpace(v.Value)
		switch key {
		case "check":
			r.Check = val
		case "resource":
			r.Resource = val
		case "account":
			r.Account = val
		case "reason":
			r.Reason = val
		case "expires":
			r.Expires = val
		}
		p.field(n, key, val, v.Line, &r)
	})
	if !got["check"] {
		p.fail(item.Line, "suppression %d: check is required (a check ID such as IAM006, or a glob such as \"IAM00*\")", n)
	}
	if !got["reason"] {
		p.fail(item.Line, "suppression %d: reason is required: say why the risk is accepted", n)
	}
	if len(p.problems) == before {
		if r.Resource == "" {
			r.Resource = "*"
		}
		p.rules = append(p.rules, r)
	}
}

// field validates one value of a suppression.
func (p *parser) field(n int, key, val string, line int, r *Rule) {
	switch key {
	case "check":
		if msg := p.checkProblem(val); msg != "" {
			p.fail(line, "suppression %d: %s", n, msg)
		}
	case "resource":
		if val == "" {
			p.fail(line, "suppression %d: resource is empty (leave it out to match every resource)", n)
		}
	case "account":
		if !awsid.IsAccountID(val) {
			p.fail(line, "suppression %d: account %q is not a 12-digit AWS account ID (quote it to keep leading zeros)", n, val)
		}
	case "reason":
		if val == "" {
			p.fail(line, "suppression %d: reason is empty: say why the risk is accepted", n)
		}
	case "expires":
		t, err := time.Parse(DateLayout, val)
		if err != nil || t.Format(DateLayout) != val {
			p.fail(line, "suppression %d: expires %q is not a date YYYY-MM-DD", n, val)
			return
		}
		r.expires = t
	}
}

// checkProblem says what is wrong with a check ID or glob, or "".
func (p *parser) checkProblem(pat string) string {
	return checkProblem(pat, p.opts, &p.ids)
}

func checkProblem(pat string, opts Options, cache *[]string) string {
	if pat == "" {
		return "check is empty"
	}
	for _, c := range pat {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '*' || c == '?' || c == '_') {
			return fmt.Sprintf("check %q is neither a check ID nor a glob of one", pat)
		}
	}
	if opts.AnyCheck {
		return ""
	}
	if *cache == nil {
		*cache = opts.known()
	}
	for _, id := range *cache {
		if Glob(pat, id) {
			return ""
		}
	}
	if strings.ContainsAny(pat, "*?") {
		return fmt.Sprintf("check %q matches no known check (see selfaudit checks)", pat)
	}
	return fmt.Sprintf("unknown check %q (see selfaudit checks)", pat)
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "" && n.Tag == "")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
