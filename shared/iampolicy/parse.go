package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every error Parse and FromValue return for a
// document that is not a valid IAM policy, so callers can tell bad input
// (exit code 2) from their own failures with errors.Is.
var ErrInvalid = errors.New("invalid policy document")

// maxDepth bounds recursion through nested intrinsic functions so that a
// hostile template cannot exhaust the stack, and maxSteps bounds the work
// of resolving one element: nested Fn::If doubles it per level.
const (
	maxDepth = 64
	maxSteps = 100_000
)

// Parse reads a JSON policy document. Every legal shape is accepted:
// Statement as one object or a list; Action, NotAction, Resource and
// NotResource as a string or a list; Principal as "*" or a map. Errors name
// the statement and the element at fault and wrap ErrInvalid.
func Parse(data []byte) (*Document, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %w", ErrInvalid, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: trailing data after the policy object", ErrInvalid)
	}
	return FromValue(v)
}

// FromValue reads a policy document that was already decoded, such as a
// PolicyDocument inside a CloudFormation template whose intrinsic functions
// are in long form. Intrinsics are resolved conservatively, never to a
// wildcard they do not contain:
//   - Fn::Sub yields its template string ("arn:aws:s3:::${Bucket}/*");
//   - Fn::If yields both branches (AWS::NoValue dropped), so a statement or
//     action behind a condition is judged as if it could be deployed;
//   - Fn::Join of values that each resolve to one string is joined;
//   - anything else (Ref, Fn::GetAtt, Fn::ImportValue ...) becomes a
//     specific placeholder such as "{intrinsic:Fn::GetAtt}".
func FromValue(v any) (*Document, error) {
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: policy must be a JSON object, got %s", ErrInvalid, typeName(v))
	}
	doc := &Document{}
	var err error
	// An unquoted Version: 2012-10-17 in YAML may arrive as a date or a
	// number rather than a string; any scalar is accepted.
	if v, ok := root["Version"]; ok {
		if doc.Version, err = scalarString(v); err != nil {
			return nil, fmt.Errorf("%w: Version: %w", ErrInvalid, err)
		}
	}
	if doc.ID, err = optString(root, "Id"); err != nil {
		return nil, err
	}
	raw, ok := root["Statement"]
	if !ok {
		return nil, fmt.Errorf("%w: no Statement element", ErrInvalid)
	}
	switch st := raw.(type) {
	case map[string]any:
		if name, arg, ok := intrinsic(st); ok && name == "Fn::If" {
			if err := doc.addIf(arg, 0, "/Statement"); err != nil {
				return nil, err
			}
			break
		}
		s, err := parseStatement(st, 0, "/Statement")
		if err != nil {
			return nil, err
		}
		doc.Statements = append(doc.Statements, s)
	case []any:
		for i, item := range st {
			ptr := "/Statement/" + strconv.Itoa(i)
			m, ok := item.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w: statement %d (%s): must be an object, got %s", ErrInvalid, i, ptr, typeName(item))
			}
			if name, arg, ok := intrinsic(m); ok && name == "Fn::If" {
				if err := doc.addIf(arg, i, ptr); err != nil {
					return nil, err
				}
				continue
			}
			if name, _, ok := intrinsic(m); ok && name == "Ref" && isNoValue(m) {
				continue
			}
			s, err := parseStatement(m, i, ptr)
			if err != nil {
				return nil, err
			}
			doc.Statements = append(doc.Statements, s)
		}
	default:
		return nil, fmt.Errorf("%w: Statement must be an object or a list, got %s", ErrInvalid, typeName(raw))
	}
	return doc, nil
}

// addIf adds both branches of a statement-level Fn::If, each with a pointer
// into its branch, dropping AWS::NoValue.
func (d *Document) addIf(arg any, index int, ptr string) error {
	args, ok := arg.([]any)
	if !ok || len(args) != 3 {
		return fmt.Errorf("%w: statement %d (%s): Fn::If needs [condition, then, else]", ErrInvalid, index, ptr)
	}
	for b := 1; b <= 2; b++ {
		bp := ptr + "/Fn::If/" + strconv.Itoa(b)
		m, ok := args[b].(map[string]any)
		if !ok {
			return fmt.Errorf("%w: statement %d (%s): must be an object, got %s", ErrInvalid, index, bp, typeName(args[b]))
		}
		if isNoValue(m) {
			continue
		}
		s, err := parseStatement(m, index, bp)
		if err != nil {
			return err
		}
		d.Statements = append(d.Statements, s)
	}
	return nil
}

func parseStatement(m map[string]any, index int, ptr string) (Statement, error) {
	s := Statement{Index: index, Pointer: ptr, Raw: m}
	fail := func(format string, a ...any) (Statement, error) {
		return Statement{}, fmt.Errorf("%w: statement %d (%s): %s", ErrInvalid, index, ptr, fmt.Sprintf(format, a...))
	}
	var err error
	if s.Sid, err = optString(m, "Sid"); err != nil {
		return fail("Sid must be a string")
	}
	effect, ok := m["Effect"]
	if !ok {
		return fail("no Effect (must be Allow or Deny)")
	}
	es, ok := effect.(string)
	if !ok || (!strings.EqualFold(es, "Allow") && !strings.EqualFold(es, "Deny")) {
		return fail("Effect must be Allow or Deny, got %s", describe(effect))
	}
	s.Effect = es
	for _, el := range []struct {
		name string
		dst  *[]string
	}{{"Action", &s.Action}, {"NotAction", &s.NotAction}, {"Resource", &s.Resource}, {"NotResource", &s.NotResource}} {
		v, ok := m[el.name]
		if !ok {
			continue
		}
		list, err := stringList(v, 0)
		if err != nil {
			return fail("%s: %v", el.name, err)
		}
		if list == nil {
			list = []string{}
		}
		*el.dst = list
	}
	if s.Action != nil && s.NotAction != nil {
		return fail("has both Action and NotAction")
	}
	if s.Action == nil && s.NotAction == nil {
		return fail("needs Action or NotAction")
	}
	if s.Resource != nil && s.NotResource != nil {
		return fail("has both Resource and NotResource")
	}
	for _, el := range []struct {
		name string
		dst  **Principal
	}{{"Principal", &s.Principal}, {"NotPrincipal", &s.NotPrincipal}} {
		v, ok := m[el.name]
		if !ok {
			continue
		}
		p, err := parsePrincipal(v)
		if err != nil {
			return fail("%s: %v", el.name, err)
		}
		*el.dst = p
	}
	if c, ok := m["Condition"]; ok {
		cond, err := parseCondition(c)
		if err != nil {
			return fail("Condition: %v", err)
		}
		s.Condition = cond
	}
	return s, nil
}

func parsePrincipal(v any) (*Principal, error) {
	p := &Principal{Values: map[string][]string{}}
	switch t := v.(type) {
	case string:
		if t != "*" {
			return nil, fmt.Errorf("a string principal must be \"*\", got %q", t)
		}
		p.Wildcard = true
		return p, nil
	case map[string]any:
		if name, _, ok := intrinsic(t); ok {
			return nil, fmt.Errorf("must be \"*\" or a map of principal types, got %s", name)
		}
		for _, k := range sortedKeys(t) {
			vals, err := stringList(t[k], 0)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			p.Values[k] = vals
			if k == "AWS" {
				for _, s := range vals {
					if s == "*" {
						p.Wildcard = true
					}
				}
			}
		}
		return p, nil
	}
	return nil, fmt.Errorf("must be \"*\" or an object, got %s", typeName(v))
}

func parseCondition(v any) (map[string]map[string][]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be an object, got %s", typeName(v))
	}
	out := make(map[string]map[string][]string, len(m))
	for _, op := range sortedKeys(m) {
		keys, ok := m[op].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: must be an object of condition keys, got %s", op, typeName(m[op]))
		}
		inner := make(map[string][]string, len(keys))
		for _, k := range sortedKeys(keys) {
			vals, err := stringList(keys[k], 0)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", op, k, err)
			}
			inner[k] = vals
		}
		out[op] = inner
	}
	return out, nil
}

// stringList turns an element value into strings: a scalar becomes one
// value, a list is flattened, intrinsics are resolved as FromValue says.
func stringList(v any, depth int) ([]string, error) {
	steps := 0
	return resolve(v, depth, &steps)
}

func resolve(v any, depth int, steps *int) ([]string, error) {
	if depth > maxDepth {
		return nil, errors.New("intrinsic functions nested too deeply")
	}
	if *steps++; *steps > maxSteps {
		return nil, errors.New("intrinsic functions too large to resolve")
	}
	switch t := v.(type) {
	case []any:
		var out []string
		for _, item := range t {
			vals, err := resolve(item, depth+1, steps)
			if err != nil {
				return nil, err
			}
			out = append(out, vals...)
		}
		return out, nil
	case map[string]any:
		name, arg, ok := intrinsic(t)
		if !ok {
			return nil, fmt.Errorf("want a string or a list of strings, got an object")
		}
		return resolveIntrinsic(name, arg, depth, steps)
	}
	s, err := scalarString(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func resolveIntrinsic(name string, arg any, depth int, steps *int) ([]string, error) {
	switch name {
	case "Ref":
		if s, ok := arg.(string); ok && s == "AWS::NoValue" {
			return nil, nil
		}
	case "Fn::Sub":
		switch a := arg.(type) {
		case string:
			return []string{a}, nil
		case []any:
			if len(a) > 0 {
				if s, ok := a[0].(string); ok {
					return []string{s}, nil
				}
			}
		}
		return nil, errors.New("Fn::Sub needs a template string")
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, errors.New("Fn::If needs [condition, then, else]")
		}
		then, err := resolve(a[1], depth+1, steps)
		if err != nil {
			return nil, err
		}
		els, err := resolve(a[2], depth+1, steps)
		if err != nil {
			return nil, err
		}
		return union(then, els), nil
	case "Fn::Join":
		if a, ok := arg.([]any); ok && len(a) == 2 {
			sep, sok := a[0].(string)
			parts, lok := a[1].([]any)
			if sok && lok {
				joined := make([]string, 0, len(parts))
				single := true
				for _, p := range parts {
					vals, err := resolve(p, depth+1, steps)
					if err != nil {
						return nil, err
					}
					if len(vals) != 1 {
						single = false
						break
					}
					joined = append(joined, vals[0])
				}
				if single {
					return []string{strings.Join(joined, sep)}, nil
				}
			}
		}
	}
	return []string{"{intrinsic:" + name + "}"}, nil
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	seen := make(map[string]bool, len(a))
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// intrinsic reports whether m is a CloudFormation intrinsic function in long
// form: exactly one key, "Ref" or "Fn::...".
func intrinsic(m map[string]any) (name string, arg any, ok bool) {
	if len(m) != 1 {
		return "", nil, false
	}
	for k, v := range m {
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, v, true
		}
	}
	return "", nil, false
}

func isNoValue(m map[string]any) bool {
	name, arg, ok := intrinsic(m)
	s, _ := arg.(string)
	return ok && name == "Ref" && s == "AWS::NoValue"
}

func scalarString(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case json.Number:
		return t.String(), nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return "", fmt.Errorf("invalid number %v", t)
		}
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(t), nil
	case int64:
		return strconv.FormatInt(t, 10), nil
	case uint64:
		return strconv.FormatUint(t, 10), nil
	case time.Time:
		// YAML decoders turn unquoted dates into times.
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
			return t.Format("2006-01-02"), nil
		}
		return t.Format(time.RFC3339Nano), nil
	case nil:
		return "", errors.New("want a string, got null")
	}
	return "", fmt.Errorf("want a string, got %s", typeName(v))
}

// optString reads an optional scalar element; YAML may have turned an
// unquoted Sid or Id into a number, which is accepted as its text.
func optString(m map[string]any, key string) (string, error) {
	v, ok := m[key]
	if !ok {
		return "", nil
	}
	s, err := scalarString(v)
	if err != nil {
		return "", fmt.Errorf("%w: %s must be a string, got %s", ErrInvalid, key, typeName(v))
	}
	return s, nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int, int64, uint64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func describe(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return typeName(v)
}

// sortedKeys returns the keys of m in order, never nil, so that an empty
// set is [] in a finding's evidence.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
