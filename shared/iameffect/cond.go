package iameffect

import (
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// Satisfiable reports whether some request can satisfy a statement's
// Condition, and when none can, why. Keys are independent of each other,
// so the condition holds for some request exactly when, for every key,
// some value (or the key's absence) satisfies every operator that tests
// that key. For each key a finite set of candidate values is tried with
// iameval's operators (the same code that judges requests):
//
//   - the key's absence, unless the key is always present
//     (aws:CurrentTime, aws:EpochTime) or known;
//   - each value the condition names, and a value it does not name;
//   - for StringLike patterns, the shortest string each matches;
//   - for numbers and dates, each value, one below and one above it, and
//     the midpoint of each two neighbours, which meets every interval the
//     operators can write;
//   - for IP ranges, the first address of each range and an address of
//     neither;
//   - for Bool, true and false.
//
// aws:CurrentTime and aws:EpochTime take only now and times after it: a
// DateLessThan in the past never holds again, a DateGreaterThan in the
// future will. known fixes keys whose value is a fact rather than a choice
// of the caller (aws:PrincipalArn, aws:PrincipalAccount,
// iam:PassedToService for a given pass): their only candidate is the
// known value. A key tested with ForAllValues: or ForAnyValue:, or whose
// values hold a policy variable, is taken as satisfiable: the caller
// chooses a set, or the value depends on the request.
//
// The candidates are enough for equality, pattern and interval operators
// alone or combined on one key (contradictory StringEquals, DateLessThan
// in the past, IpAddress with an empty list); for the rare combination
// they do not decide (a StringLike and a StringNotLike on one key whose
// only solutions are strings no candidate spells) the answer is
// "unsatisfiable" only when no candidate works, so a grant is dropped only
// for a condition shown to fail on every value tried.
func Satisfiable(cond map[string]map[string][]string, known map[string][]string, now time.Time) (bool, string) {
	if len(cond) == 0 {
		return true, ""
	}
	byKey := map[string][]keyTest{}
	var keys []string
	skip := map[string]bool{}
	for op, kv := range cond {
		lop := strings.ToLower(op)
		for k, vals := range kv {
			lk := strings.ToLower(k)
			if _, ok := byKey[lk]; !ok {
				keys = append(keys, lk)
			}
			byKey[lk] = append(byKey[lk], keyTest{op, vals})
			if strings.HasPrefix(lop, "forallvalues:") || strings.HasPrefix(lop, "foranyvalue:") {
				skip[lk] = true
			}
			for _, v := range vals {
				if strings.Contains(v, "${") {
					skip[lk] = true
				}
			}
		}
	}
	sort.Strings(keys)
	knownLower := make(map[string][]string, len(known))
	for k, v := range known {
		knownLower[strings.ToLower(k)] = v
	}
	for _, k := range keys {
		if skip[k] {
			continue
		}
		sub := map[string]map[string][]string{}
		var ops []string
		for _, t := range byKey[k] {
			if sub[t.op] == nil {
				sub[t.op] = map[string][]string{}
			}
			sub[t.op][k] = t.vals
			ops = append(ops, t.op)
		}
		sort.Strings(ops)
		doc := &iampolicy.Document{Statements: []iampolicy.Statement{{
			Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"}, Condition: sub,
		}}}
		set := iameval.PolicySet{Identity: []iameval.Policy{{Name: "condition", Doc: doc}}}
		ok := false
		for _, c := range candidates(k, byKey[k], knownLower, now) {
			req := iameval.Request{Principal: probePrincipal, Action: "selfaudit:Probe", Resource: "*"}
			if c != nil {
				req.Context = map[string][]string{k: c}
			}
			if iameval.Evaluate(req, set).Decision == iameval.Allowed {
				ok = true
				break
			}
		}
		if !ok {
			return false, fmt.Sprintf("no value of %s satisfies %s", k, strings.Join(ops, " and "))
		}
	}
	return true, ""
}

const probePrincipal = "arn:aws:iam::111111111111:role/selfaudit-probe"

// timeKeys are always present and only move forward.
var timeKeys = map[string]bool{"aws:currenttime": true, "aws:epochtime": true}

// candidates lists the values tried for one key; nil is the key's absence.
// keyTest is one operator's test of a key.
type keyTest struct {
	op   string
	vals []string
}

func candidates(key string, tests []keyTest, known map[string][]string, now time.Time) [][]string {
	if v, ok := known[key]; ok {
		return [][]string{v}
	}
	var out [][]string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, []string{s})
		}
	}
	var nums []float64
	var dates []time.Time
	for _, t := range tests {
		base := strings.TrimSuffix(strings.ToLower(t.op), "ifexists")
		for _, v := range t.vals {
			switch {
			case strings.HasPrefix(base, "numeric"):
				if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
					nums = append(nums, f)
				}
			case strings.HasPrefix(base, "date"):
				if d, ok := parseDate(v); ok {
					dates = append(dates, d)
				}
			case strings.Contains(base, "ipaddress"):
				if p, err := netip.ParsePrefix(v); err == nil {
					add(p.Masked().Addr().String())
				} else if a, err := netip.ParseAddr(v); err == nil {
					add(a.String())
				}
			case base == "bool":
				add("true")
				add("false")
			default:
				add(v)
				if strings.ContainsAny(v, "*?") {
					add(strings.NewReplacer("*", "", "?", "x").Replace(v))
				}
			}
		}
	}
	sort.Float64s(nums)
	for i, f := range nums {
		for _, c := range []float64{f - 1, f, f + 1} {
			add(strconv.FormatFloat(c, 'f', -1, 64))
		}
		if i > 0 {
			add(strconv.FormatFloat((nums[i-1]+f)/2, 'f', -1, 64))
		}
	}
	sort.Slice(dates, func(i, j int) bool { return dates[i].Before(dates[j]) })
	var times []time.Time
	for i, d := range dates {
		times = append(times, d.Add(-time.Second), d, d.Add(time.Second))
		if i > 0 {
			times = append(times, dates[i-1].Add(d.Sub(dates[i-1])/2))
		}
	}
	if timeKeys[key] {
		// Now and later only; the key is always present.
		keep := []time.Time{now, now.AddDate(100, 0, 0)}
		for _, t := range times {
			if !t.Before(now) {
				keep = append(keep, t)
			}
		}
		out = out[:0]
		for _, t := range keep {
			if key == "aws:epochtime" {
				out = append(out, []string{strconv.FormatInt(t.Unix(), 10)})
			} else {
				out = append(out, []string{t.UTC().Format(time.RFC3339)})
			}
		}
		return out
	}
	for _, t := range times {
		add(t.UTC().Format(time.RFC3339))
	}
	add("selfaudit-unnamed-value")
	add("203.0.113.77")
	add("2001:db8::77")
	return append(out, nil)
}

func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
