package iameffect

import (
	"sort"
	"strings"

	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// Possible returns the principal's policies as iameval should see them to
// answer "can some request of this principal be allowed", which is what
// an escalation needs: an Allow whose Condition some request satisfies
// (given Known and extra, the facts of this request such as
// iam:PassedToService) loses its Condition, one no request satisfies is
// removed; a Deny with a Condition is removed, because a request can
// avoid it; an unconditional Deny stays. SCP levels get FullAWSAccess
// beside a deny list, as in New. Statement indexes are kept, so deciders
// still name the statements as written. Results are cached per extra.
func (j *Judge) Possible(extra map[string][]string) iameval.PolicySet {
	key := cacheKey(extra)
	if ps, ok := j.poss[key]; ok {
		return ps
	}
	known := j.set.Known
	if len(extra) > 0 {
		known = make(map[string][]string, len(j.set.Known)+len(extra))
		for k, v := range j.set.Known {
			known[k] = v
		}
		for k, v := range extra {
			known[k] = v
		}
	}
	norm := func(p iameval.Policy) iameval.Policy {
		return iameval.Policy{Name: p.Name, Doc: j.possibleDoc(p.Doc, known, len(extra) == 0)}
	}
	var ps iameval.PolicySet
	for _, p := range j.set.Identity {
		ps.Identity = append(ps.Identity, norm(p))
	}
	if j.set.Boundary != nil {
		b := norm(*j.set.Boundary)
		ps.Boundary = &b
	}
	for _, level := range j.scpLevels() {
		var l []iameval.Policy
		for _, p := range level {
			l = append(l, norm(p))
		}
		ps.SCPs = append(ps.SCPs, l)
	}
	j.poss[key] = ps
	return ps
}

// PossibleDoc is Possible for one document on its own (a trust policy,
// judged for one caller whose facts are known).
func PossibleDoc(d *iampolicy.Document, known map[string][]string, j *Judge) *iampolicy.Document {
	return j.possibleDoc(d, known, false)
}

func (j *Judge) possibleDoc(d *iampolicy.Document, known map[string][]string, cache bool) *iampolicy.Document {
	if d == nil {
		return nil
	}
	conditional := false
	for i := range d.Statements {
		if len(d.Statements[i].Condition) > 0 {
			conditional = true
			break
		}
	}
	if !conditional {
		return d
	}
	out := &iampolicy.Document{Version: d.Version, ID: d.ID}
	for i := range d.Statements {
		s := d.Statements[i]
		if len(s.Condition) == 0 {
			out.Statements = append(out.Statements, s)
			continue
		}
		if strings.EqualFold(s.Effect, "Deny") {
			continue
		}
		var ok bool
		if cache {
			ok = j.satisfiable(&d.Statements[i]).ok
		} else {
			ok, _ = Satisfiable(s.Condition, known, j.set.Now)
		}
		if ok {
			s.Condition = nil
			out.Statements = append(out.Statements, s)
		}
	}
	return out
}

func cacheKey(m map[string][]string) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strings.Join(m[k], ","))
		b.WriteByte(';')
	}
	return b.String()
}
