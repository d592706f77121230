package iameval

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// matchConditions reports whether every operator and key of a Condition
// block holds: the block is an AND of its operators and of the keys under
// each (reference_policies_elements_condition_logic_multiple-context-keys-or-values.html).
func (e *evaluator) matchConditions(cond map[string]map[string][]string) bool {
	for op, keys := range cond {
		for key, vals := range keys {
			if !e.condition(op, key, vals) {
				return false
			}
		}
	}
	return true
}

// operator is one base condition operator: test reports whether one
// request value satisfies the policy values, combined as the operator
// combines them (any value for positive operators, all for negated ones).
type operator struct {
	negated bool
	test    func(e *evaluator, v string, ps []string) bool
}

// operators by lower-case name
// (reference_policies_elements_condition_operators.html).
var operators = map[string]operator{
	"stringequals":              {false, anyOf(func(e *evaluator, v, p string) bool { return e.stringMatch(p, v, false, false) })},
	"stringnotequals":           {true, noneOf(func(e *evaluator, v, p string) bool { return e.stringMatch(p, v, false, false) })},
	"stringequalsignorecase":    {false, anyOf(func(e *evaluator, v, p string) bool { return e.stringMatch(p, v, false, true) })},
	"stringnotequalsignorecase": {true, noneOf(func(e *evaluator, v, p string) bool { return e.stringMatch(p, v, false, true) })},
	"stringlike":                {false, anyOf(func(e *evaluator, v, p string) bool { return e.stringMatch(p, v, true, false) })},
	"stringnotlike":             {true, noneOf(func(e *evaluator, v, p string) bool { return e.stringMatch(p, v, true, false) })},
	"numericequals":             {false, numeric(func(p, v float64) bool { return v == p }, false)},
	"numericnotequals":          {true, numeric(func(p, v float64) bool { return v != p }, true)},
	"numericlessthan":           {false, numeric(func(p, v float64) bool { return v < p }, false)},
	"numericlessthanequals":     {false, numeric(func(p, v float64) bool { return v <= p }, false)},
	"numericgreaterthan":        {false, numeric(func(p, v float64) bool { return v > p }, false)},
	"numericgreaterthanequals":  {false, numeric(func(p, v float64) bool { return v >= p }, false)},
	"dateequals":                {false, date(func(p, v time.Time) bool { return v.Equal(p) }, false)},
	"datenotequals":             {true, date(func(p, v time.Time) bool { return !v.Equal(p) }, true)},
	"datelessthan":              {false, date(func(p, v time.Time) bool { return v.Before(p) }, false)},
	"datelessthanequals":        {false, date(func(p, v time.Time) bool { return !v.After(p) }, false)},
	"dategreaterthan":           {false, date(func(p, v time.Time) bool { return v.After(p) }, false)},
	"dategreaterthanequals":     {false, date(func(p, v time.Time) bool { return !v.Before(p) }, false)},
	"bool":                      {false, anyOf(boolMatch)},
	"binaryequals":              {false, anyOf(func(_ *evaluator, v, p string) bool { return v == p })},
	"ipaddress":                 {false, anyOf(func(_ *evaluator, v, p string) bool { return ipMatch(p, v, true) })},
	"notipaddress":              {true, allOf(func(_ *evaluator, v, p string) bool { return ipMatch(p, v, false) })},
	"arnequals":                 {false, anyOf(func(e *evaluator, v, p string) bool { return e.arnMatch(p, v, true) })},
	"arnlike":                   {false, anyOf(func(e *evaluator, v, p string) bool { return e.arnMatch(p, v, true) })},
	"arnnotequals":              {true, allOf(func(e *evaluator, v, p string) bool { return e.arnMatch(p, v, false) })},
	"arnnotlike":                {true, allOf(func(e *evaluator, v, p string) bool { return e.arnMatch(p, v, false) })},
}

func anyOf(f func(e *evaluator, v, p string) bool) func(*evaluator, string, []string) bool {
	return func(e *evaluator, v string, ps []string) bool {
		for _, p := range ps {
			if f(e, v, p) {
				return true
			}
		}
		return false
	}
}

func allOf(f func(e *evaluator, v, p string) bool) func(*evaluator, string, []string) bool {
	return func(e *evaluator, v string, ps []string) bool {
		for _, p := range ps {
			if !f(e, v, p) {
				return false
			}
		}
		return true
	}
}

// noneOf is the negated string operators: the value must differ from every
// policy value. A policy value whose variable cannot be resolved matches
// nothing, and for a negated operator that makes the condition false
// rather than vacuously true (reference_policies_variables.html,
// "Request information that you can use for policy variables": a variable
// without a value fails the condition).
func noneOf(match func(e *evaluator, v, p string) bool) func(*evaluator, string, []string) bool {
	return func(e *evaluator, v string, ps []string) bool {
		for _, p := range ps {
			if _, ok := e.resolve(p, false); !ok || match(e, v, p) {
				return false
			}
		}
		return true
	}
}

// condition evaluates one operator on one key.
//
//   - Null tests presence: "true" holds when the key is absent.
//   - ForAllValues: holds when every request value satisfies the operator,
//     and when the key is absent or empty; ForAnyValue: when at least one
//     does, never when the key is absent
//     (reference_policies_condition-single-vs-multi-valued-context-keys.html).
//   - Without a set operator a key must be single-valued; an absent key
//     fails the test except under ...IfExists and the negated operators
//     (StringNotEquals, NotIpAddress ...), which hold when the key is
//     absent (reference_policies_elements_condition_operators.html,
//     "...IfExists condition operators"; "Negated matching condition
//     operators").
//   - An unknown operator never holds, except a negated-looking one on an
//     absent key.
func (e *evaluator) condition(op, key string, vals []string) bool {
	lop := strings.ToLower(op)
	set := ""
	if pre, rest, ok := strings.Cut(lop, ":"); ok {
		set, lop = pre, rest
	}
	ifExists := strings.HasSuffix(lop, "ifexists")
	base := strings.TrimSuffix(lop, "ifexists")
	v, present := e.ctx[strings.ToLower(key)]
	if base == "null" {
		goal := "false"
		if !present {
			goal = "true"
		}
		for _, p := range vals {
			if strings.ToLower(p) == goal {
				return true
			}
		}
		return false
	}
	o, known := operators[base]
	switch set {
	case "forallvalues":
		if !present {
			return true
		}
		if !known {
			return false
		}
		for _, x := range v {
			if !o.test(e, x, vals) {
				return false
			}
		}
		return true
	case "foranyvalue":
		if !present || !known {
			return false
		}
		for _, x := range v {
			if o.test(e, x, vals) {
				return true
			}
		}
		return false
	case "":
	default:
		return false
	}
	if !present {
		return ifExists || (known && o.negated) || (!known && strings.Contains(base, "not"))
	}
	if !known || len(v) != 1 {
		return false
	}
	return o.test(e, v[0], vals)
}

// stringMatch compares a request value with a policy value after
// resolving its policy variables; with like, * and ? are wildcards.
func (e *evaluator) stringMatch(policy, v string, like, fold bool) bool {
	resolved, ok := e.resolve(policy, like)
	if !ok {
		return false
	}
	if fold {
		resolved, v = strings.ToLower(resolved), strings.ToLower(v)
	}
	if !like {
		return resolved == v
	}
	return wildMatch(resolved, v)
}

// Wildcards survive resolve as these bytes, which never occur in text
// that IAM accepts, so that a "*" a variable or ${*} produced stays
// literal.
const (
	wildStar = '\x00'
	wildOne  = '\x01'
)

// wildMatch matches a resolved pattern in which only wildStar and wildOne
// are wildcards: every other byte, * and ? included, is literal.
func wildMatch(pattern, s string) bool { return literalAwareMatch(pattern, s) }

// literalAwareMatch is WildcardMatch where only wildStar and wildOne are
// wildcards and every other byte, * and ? included, is literal.
func literalAwareMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == wildOne || (pattern[px] != wildStar && pattern[px] == s[sx])):
			px++
			sx++
		case px < len(pattern) && pattern[px] == wildStar:
			starP, starS = px, sx
			px++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == wildStar {
		px++
	}
	return px == len(pattern)
}

// resolve substitutes policy variables in a policy value
// (reference_policies_variables.html):
//   - ${key} becomes the request's value of a single-valued key;
//   - ${key, 'default'} falls back to default when the key is absent;
//   - ${*}, ${?} and ${$} stand for a literal *, ? and $;
//   - "${" without a closing brace is literal.
//
// With wild, bare * and ? become the wildcard markers; otherwise they are
// literal. A variable with no value and no default makes ok false: such a
// value matches nothing ("If there is no value ... the condition
// returns false").
func (e *evaluator) resolve(s string, wild bool) (string, bool) {
	if !strings.ContainsAny(s, "$*?") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case wild && c == '*':
			b.WriteByte(wildStar)
		case wild && c == '?':
			b.WriteByte(wildOne)
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				b.WriteByte(c)
				continue
			}
			inner := s[i+2 : i+2+end]
			i += 2 + end
			switch inner {
			case "*", "?", "$":
				b.WriteString(inner)
				continue
			}
			parts := strings.Split(inner, ", ")
			name, def, hasDef := strings.TrimSpace(parts[0]), "", false
			if len(parts) == 2 {
				if d := parts[1]; strings.HasPrefix(d, "'") && strings.HasSuffix(d, "'") {
					hasDef = true
					if len(d) >= 2 {
						def = d[1 : len(d)-1]
					}
				}
			}
			if v, ok := e.ctx[strings.ToLower(name)]; ok && len(v) == 1 && v[0] != "" {
				b.WriteString(v[0])
			} else if hasDef && def != "" {
				b.WriteString(def)
			} else {
				return "", false
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// numeric compares numbers. A value that is not a number fails its test,
// for negated operators too.
func numeric(cmp func(p, v float64) bool, negated bool) func(*evaluator, string, []string) bool {
	test := func(_ *evaluator, v, p string) bool {
		pn, ok1 := parseNumber(p)
		vn, ok2 := parseNumber(v)
		return ok1 && ok2 && cmp(pn, vn)
	}
	if negated {
		return allOf(test)
	}
	return anyOf(test)
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// date compares dates: ISO 8601 (a date, or a date and time with or
// without seconds, fraction and zone; no zone means UTC) or an epoch time
// in whole seconds (reference_policies_elements_condition_operators.html,
// "Date condition operators").
func date(cmp func(p, v time.Time) bool, negated bool) func(*evaluator, string, []string) bool {
	test := func(_ *evaluator, v, p string) bool {
		pt, ok1 := parseDate(p)
		vt, ok2 := parseDate(v)
		return ok1 && ok2 && cmp(pt, vt)
	}
	if negated {
		return allOf(test)
	}
	return anyOf(test)
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
		if n < -1<<40 || n > 1<<40 {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// boolMatch compares "true" and "false" without regard to case; policy
// variables resolve first. Anything else fails.
func boolMatch(e *evaluator, v, p string) bool {
	r, ok := e.resolve(p, false)
	if !ok {
		return false
	}
	r, v = strings.ToLower(r), strings.ToLower(v)
	if (r != "true" && r != "false") || (v != "true" && v != "false") {
		return false
	}
	return r == v
}

// ipMatch tests an address against a CIDR block or a single address,
// IPv4 or IPv6. in says which answer IpAddress wants (true) and which
// NotIpAddress wants (false): an address of the other family is outside
// the block; an unreadable address or block fails both.
func ipMatch(policy, v string, in bool) bool {
	addr, err := netip.ParseAddr(v)
	if err != nil || addr.Zone() != "" {
		return false
	}
	if pfx, err := netip.ParsePrefix(policy); err == nil {
		if pfx.Addr().Is4() != addr.Is4() {
			return !in
		}
		return pfx.Masked().Contains(addr) == in
	}
	if pa, err := netip.ParseAddr(policy); err == nil && pa.Zone() == "" {
		if pa.Is4() != addr.Is4() {
			return false
		}
		return (pa == addr) == in
	}
	return false
}

// arnMatch compares ARNs field by field, each with wildcards and policy
// variables, case-sensitively. want says whether the operator is positive
// (ArnEquals, ArnLike) or negated; either way a policy value or request
// value that is not an ARN of six fields fails.
func (e *evaluator) arnMatch(policy, v string, want bool) bool {
	p, ok1 := splitARN(policy)
	r, ok2 := splitARN(v)
	if !ok1 || !ok2 {
		return false
	}
	pairs := [5][2]string{{p.partition, r.partition}, {p.service, r.service}, {p.region, r.region}, {p.account, r.account}, {p.resource, r.resource}}
	matched := true
	for _, pr := range pairs {
		resolved, ok := e.resolve(pr[0], true)
		if !ok {
			return false
		}
		if matched && !wildMatch(resolved, pr[1]) {
			matched = false
		}
	}
	return matched == want
}
