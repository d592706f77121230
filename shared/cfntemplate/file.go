package cfntemplate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws-cloudformation/rain/cft/parse"
	"gopkg.in/yaml.v3"
)

// ErrSyntax marks a file that is not valid YAML or JSON, or a template whose
// structure CloudFormation would reject (a Resources section that is not a
// mapping, a resource without a Type).
var ErrSyntax = errors.New("malformed template")

// File is one parsed YAML or JSON file: a CloudFormation or SAM template, or
// any other document (a plain IAM policy, a config file) that callers may
// want to recognise themselves.
type File struct {
	// Name is the path the file was read from; every error and Source
	// carries it.
	Name string
	// Resources lists the template's resources in file order; empty for
	// files that are not templates.
	Resources []Resource

	root       *yaml.Node // the document's top node, nil for an empty file
	isTemplate bool
}

// Resource is one entry of a template's Resources section.
type Resource struct {
	LogicalID string
	Type      string
	// Properties is the resource's Properties mapping, nil when absent.
	Properties *yaml.Node
	Line       int
	// Condition is the resource's Condition: the resource is only
	// created when that template condition holds; "" for always.
	Condition string
}

// Load parses data read from name. YAML short-form intrinsics are rewritten
// into long form. A file that parses but is not a template is not an error:
// IsTemplate reports false and Value gives its content. Every error names
// the file and wraps ErrSyntax.
func Load(name string, data []byte) (f *File, err error) {
	// The YAML decoder and the intrinsic rewriting are third-party code
	// fed with untrusted input: a panic there must become an input error
	// naming the file, not a crash of the scanner.
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("%s: %w: parser failed: %v", name, ErrSyntax, r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", name, ErrSyntax, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var anchored map[*yaml.Node]int
	if n := expandedSize(&doc, &anchored); n > maxExpanded {
		// Anchors and aliases let a few lines stand for a tree larger
		// than memory (the "billion laughs"): every walk of the template
		// follows aliases, so such a file is refused before any walk.
		return nil, fmt.Errorf("%s: %w: aliases expand the document beyond %d nodes", name, ErrSyntax, maxExpanded)
	}
	f = &File{Name: name}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return f, nil
	}
	f.root = doc.Content[0]
	if f.root.Kind != yaml.MappingNode || !looksLikeTemplate(f.root) {
		return f, nil
	}
	if _, err := parse.Node(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrSyntax, err)
	}
	f.root = doc.Content[0]
	f.isTemplate = true
	if err := f.readResources(); err != nil {
		return nil, err
	}
	return f, nil
}

// maxExpanded bounds the nodes a document may stand for once its aliases
// are followed: several times what the largest template CloudFormation
// accepts (1 MB) can hold, and small enough that the walks of a template
// (up to 64 per statement, for its Fn::If variants) stay within seconds.
const maxExpanded = 1_000_000

// expandedSize counts the nodes of n with every alias followed, each
// shared node counted once per use, saturating above maxExpanded. Only an
// anchored node can be shared, so only those are memoised in seen (made on
// first use): the count stays linear, and free for a file without anchors.
func expandedSize(n *yaml.Node, seen *map[*yaml.Node]int) int {
	if n == nil {
		return 0
	}
	if n.Anchor != "" {
		if v, ok := (*seen)[n]; ok {
			if v < 0 {
				return maxExpanded + 1 // an alias inside its own anchor
			}
			return v
		}
		if *seen == nil {
			*seen = map[*yaml.Node]int{}
		}
		(*seen)[n] = -1
	}
	size := 1
	if n.Kind == yaml.AliasNode {
		size += expandedSize(n.Alias, seen)
	}
	for _, c := range n.Content {
		size += expandedSize(c, seen)
		if size > maxExpanded {
			break
		}
	}
	if size > maxExpanded {
		size = maxExpanded + 1
	}
	if n.Anchor != "" {
		(*seen)[n] = size
	}
	return size
}

// looksLikeTemplate accepts the markers CloudFormation itself relies on: a
// Resources section, a format version, or a SAM transform.
func looksLikeTemplate(root *yaml.Node) bool {
	for _, k := range []string{"Resources", "AWSTemplateFormatVersion", "Transform"} {
		if mapGet(root, k) != nil {
			return true
		}
	}
	return false
}

func (f *File) readResources() error {
	res := mapGet(f.root, "Resources")
	if res == nil {
		return nil
	}
	if res.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: %w: line %d: Resources must be a mapping of logical IDs to resources", f.Name, ErrSyntax, res.Line)
	}
	for i := 0; i+1 < len(res.Content); i += 2 {
		id, body := res.Content[i].Value, resolveAlias(res.Content[i+1])
		if body.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: %w: line %d: resource %q must be a mapping", f.Name, ErrSyntax, res.Content[i].Line, id)
		}
		typ := mapGet(body, "Type")
		if typ == nil || typ.Kind != yaml.ScalarNode || typ.Value == "" {
			return fmt.Errorf("%s: %w: line %d: resource %q has no Type", f.Name, ErrSyntax, res.Content[i].Line, id)
		}
		r := Resource{LogicalID: id, Type: typ.Value, Line: res.Content[i].Line}
		if c := mapGet(body, "Condition"); c != nil && c.Kind == yaml.ScalarNode {
			r.Condition = c.Value
		}
		if p := mapGet(body, "Properties"); p != nil && p.Kind == yaml.MappingNode {
			r.Properties = p
		}
		f.Resources = append(f.Resources, r)
	}
	return nil
}

// IsTemplate reports whether the file is a CloudFormation or SAM template.
func (f *File) IsTemplate() bool { return f.isTemplate }

// Value returns the whole document decoded into maps, slices and strings
// (see Value), or nil for an empty file.
func (f *File) Value() any {
	if f.root == nil {
		return nil
	}
	return Value(f.root)
}

// Line returns the line of the node at pointer (RFC 6901, from the document
// root). When the pointer leads into a node without position (intrinsics
// rewritten from short form have none) or past the end of the tree, the
// nearest known line on the way is returned; 0 means none is known.
func (f *File) Line(pointer string) int {
	if f.root == nil {
		return 0
	}
	n := f.root
	line := nodeLine(n)
	for _, tok := range splitPointer(pointer) {
		n = child(n, tok)
		if n == nil {
			break
		}
		if l := nodeLine(n); l > 0 {
			line = l
		}
	}
	return line
}

func child(n *yaml.Node, tok string) *yaml.Node {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		return mapGet(n, tok)
	case yaml.SequenceNode:
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 || i >= len(n.Content) {
			return nil
		}
		return n.Content[i]
	}
	return nil
}

// nodeLine is the node's own line or, for nodes made by rewriting a short
// form intrinsic, the first line found among its children.
func nodeLine(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	if n.Line > 0 {
		return n.Line
	}
	for _, c := range n.Content {
		if l := nodeLine(c); l > 0 {
			return l
		}
	}
	return 0
}

func splitPointer(p string) []string {
	if p == "" || p == "/" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		parts[i] = unescapeToken.Replace(s)
	}
	return parts
}

// The replacers of JSON pointer tokens (RFC 6901), built once: building
// one costs more than all the pointers of a template (they are safe for
// concurrent use).
var (
	escapeToken   = strings.NewReplacer("~", "~0", "/", "~1")
	unescapeToken = strings.NewReplacer("~1", "/", "~0", "~")
)

// Pointer joins tokens into a JSON pointer, escaping "~" and "/".
func Pointer(base string, tokens ...string) string {
	var b strings.Builder
	b.WriteString(base)
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken.Replace(t))
	}
	return b.String()
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	m = resolveAlias(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return resolveAlias(m.Content[i+1])
		}
	}
	return nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// maxDepth bounds recursion over hostile input; no real policy or template
// nests anywhere near this deep.
const maxDepth = 512

// Value decodes a node into map[string]any, []any, string and nil. Every
// scalar stays a string, exactly as written: account IDs such as
// 123456789012 must not turn into floats, and IAM compares strings anyway.
func Value(n *yaml.Node) any { return value(n, 0) }

func value(n *yaml.Node, depth int) any {
	n = resolveAlias(n)
	if n == nil || depth > maxDepth {
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return value(n.Content[0], depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = value(n.Content[i+1], depth+1)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			s = append(s, value(c, depth+1))
		}
		return s
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return nil
		}
		return n.Value
	}
	return nil
}
