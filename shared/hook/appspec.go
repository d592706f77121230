package hook

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// LambdaResourceType is the only AppSpec resource type a Lambda deployment
// carries.
const LambdaResourceType = "AWS::Lambda::Function"

// maxAppSpecBytes bounds the AppSpec the parser accepts; CodeDeploy's own
// limit for inline content is far below it.
const maxAppSpecBytes = 1 << 20

// ErrInvalidAppSpec is returned for AppSpec content the hook cannot use.
var ErrInvalidAppSpec = errors.New("invalid AppSpec")

// AppSpec is the part of a Lambda deployment's AppSpec the hook needs.
type AppSpec struct {
	Version string   `json:"version"`
	Targets []Target `json:"targets"`
}

// Target is one function whose alias the deployment shifts.
type Target struct {
	// Resource is the AppSpec's logical name for the function.
	Resource       string `json:"resource"`
	Name           string `json:"name"`
	Alias          string `json:"alias"`
	CurrentVersion string `json:"currentVersion,omitempty"`
	TargetVersion  string `json:"targetVersion"`
}

// String names the target as "name:version (alias)" for logs.
func (t Target) String() string {
	return fmt.Sprintf("%s:%s (alias %s)", t.Name, t.TargetVersion, t.Alias)
}

// ParseAppSpec reads an AppSpec in YAML or JSON (JSON is read by the same
// YAML parser, of which it is a subset). Keys are matched without regard to
// case and versions may be numbers or strings, because hand-written
// AppSpecs vary in both. Every Lambda resource needs Name, Alias and
// TargetVersion; at least one is required.
func ParseAppSpec(b []byte) (AppSpec, error) {
	if len(b) > maxAppSpecBytes {
		return AppSpec{}, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidAppSpec, len(b), maxAppSpecBytes)
	}
	if strings.TrimSpace(string(b)) == "" {
		return AppSpec{}, fmt.Errorf("%w: empty content", ErrInvalidAppSpec)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return AppSpec{}, fmt.Errorf("%w: %w", ErrInvalidAppSpec, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return AppSpec{}, fmt.Errorf("%w: top level is not a mapping", ErrInvalidAppSpec)
	}
	root := doc.Content[0]
	var spec AppSpec
	if v := lookup(root, "version"); v != nil && v.Kind == yaml.ScalarNode {
		spec.Version = v.Value
	}
	res := lookup(root, "Resources")
	if res == nil {
		return AppSpec{}, fmt.Errorf("%w: no Resources section", ErrInvalidAppSpec)
	}
	if res.Kind != yaml.SequenceNode {
		return AppSpec{}, fmt.Errorf("%w: Resources is not a list (line %d)", ErrInvalidAppSpec, res.Line)
	}
	for i, item := range res.Content {
		if item.Kind != yaml.MappingNode {
			return AppSpec{}, fmt.Errorf("%w: Resources[%d] is not a mapping (line %d)", ErrInvalidAppSpec, i, item.Line)
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			t, ok, err := parseResource(item.Content[j].Value, item.Content[j+1])
			if err != nil {
				return AppSpec{}, fmt.Errorf("%w: Resources[%d].%s: %w", ErrInvalidAppSpec, i, item.Content[j].Value, err)
			}
			if ok {
				spec.Targets = append(spec.Targets, t)
			}
		}
	}
	if len(spec.Targets) == 0 {
		return AppSpec{}, fmt.Errorf("%w: no resource of type %s", ErrInvalidAppSpec, LambdaResourceType)
	}
	return spec, nil
}

// parseResource reads one named resource; ok is false for resources of
// other types, which a Lambda hook has nothing to check on.
func parseResource(name string, n *yaml.Node) (Target, bool, error) {
	if n.Kind != yaml.MappingNode {
		return Target{}, false, fmt.Errorf("not a mapping (line %d)", n.Line)
	}
	typ := scalar(lookup(n, "Type"))
	if typ != LambdaResourceType {
		return Target{}, false, nil
	}
	props := lookup(n, "Properties")
	if props == nil || props.Kind != yaml.MappingNode {
		return Target{}, false, fmt.Errorf("resource %s: Properties missing or not a mapping (line %d)", name, n.Line)
	}
	t := Target{
		Resource:       name,
		Name:           scalar(lookup(props, "Name")),
		Alias:          scalar(lookup(props, "Alias")),
		CurrentVersion: scalar(lookup(props, "CurrentVersion")),
		TargetVersion:  scalar(lookup(props, "TargetVersion")),
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"Name", t.Name}, {"Alias", t.Alias}, {"TargetVersion", t.TargetVersion}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return Target{}, false, fmt.Errorf("missing %s (line %d)", strings.Join(missing, ", "), props.Line)
	}
	return t, true, nil
}

// lookup finds key in a mapping node, case-insensitively.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if strings.EqualFold(m.Content[i].Value, key) {
			v := m.Content[i+1]
			for v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			return v
		}
	}
	return nil
}

// scalar is a scalar node's text, trimmed; "" for anything else.
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return strings.TrimSpace(n.Value)
}
