package iampolicy

import "sort"

// NarrowingKeys returns, sorted and in lower case, the condition keys that
// cond tests in a way that actually narrows a grant: a positive operator
// (StringEquals, ArnLike, IpAddress, ForAnyValue:...), not an ...IfExists
// form, not a negation, not ForAllValues, not Null or Bool, and with a
// value other than a bare "*". It is the rule by which the policy checks
// here lower a finding or drop LMB001, exported so that other engines (the
// CloudTrail checks judging a resource policy written in an event) judge
// conditions the same way; which keys are enough is theirs to decide.
func NarrowingKeys(cond map[string]map[string][]string) []string {
	tested := conditionTests(cond)
	out := make([]string, 0, len(tested))
	for k := range tested {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
