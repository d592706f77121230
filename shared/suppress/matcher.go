package suppress

import (
	"fmt"
	"sync"
	"time"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// Matcher tells which suppression applies to a finding and remembers
// which rules matched, for the notes a run ends with. It is safe for
// concurrent use (the finding store asks from several goroutines).
type Matcher struct {
	rules []Rule
	// inScope says whether a rule's check could be reported by the run;
	// only such rules are reported as matching nothing.
	inScope func(check string) bool

	mu      sync.Mutex
	used    []bool
	expired []int // per rule: findings it matched only after its end date
}

// NewMatcher matches against rules, in order: the first live rule that
// matches a finding applies. scope lists the checks the run can report
// (nil: every check), so that a shared file's rules for other engines are
// not called unused by a run that could not have matched them.
func NewMatcher(rules []Rule, scope []string) *Matcher {
	m := &Matcher{rules: rules, used: make([]bool, len(rules)), expired: make([]int, len(rules))}
	if scope != nil {
		m.inScope = func(check string) bool {
			for _, id := range scope {
				if Glob(check, id) {
					return true
				}
			}
			return false
		}
	}
	return m
}

// Len is the number of rules.
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return len(m.rules)
}

// Match is the answer for one finding.
type Match struct {
	// Rule is the suppression that applies; nil when none does.
	Rule *Rule
	// Expired is a suppression that would have matched but has ended,
	// when no live one applies: the finding counts again.
	Expired *Rule
}

// Suppression is the applying rule as a report shows it, or nil.
func (r Match) Suppression() *findings.Suppression {
	if r.Rule == nil {
		return nil
	}
	return r.Rule.Suppression()
}

// Match returns the suppression that applies to f on day today.
func (m *Matcher) Match(f findings.Finding, today time.Time) Match {
	if m == nil {
		return Match{}
	}
	firstExpired := -1
	for i := range m.rules {
		r := &m.rules[i]
		if !r.matches(f) {
			continue
		}
		if r.expired(today) {
			if firstExpired < 0 {
				firstExpired = i
			}
			continue
		}
		m.mu.Lock()
		m.used[i] = true
		m.mu.Unlock()
		return Match{Rule: r}
	}
	if firstExpired < 0 {
		return Match{}
	}
	m.mu.Lock()
	m.expired[firstExpired]++
	m.mu.Unlock()
	return Match{Expired: &m.rules[firstExpired]}
}

// Suppressor is Match as the finding store and the delivery of a function
// ask it (findingstore.Store.Suppressed, findingstore.Delivery.Suppressed):
// whether a live suppression applies to f on day today. A nil matcher
// gives nil, which suppresses nothing.
func (m *Matcher) Suppressor(today time.Time) func(findings.Finding) bool {
	if m == nil {
		return nil
	}
	return func(f findings.Finding) bool { return m.Match(f, today).Rule != nil }
}

// Unused lists the rules (one per Source) that matched no finding, among
// those whose check the run could report; rules mapped from another tool
// are left out, since that tool may be what needs them.
func (m *Matcher) Unused() []Rule {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	matched := map[string]bool{}
	for i, r := range m.rules {
		if m.used[i] || m.expired[i] > 0 {
			matched[r.Source] = true
		}
	}
	var out []Rule
	seen := map[string]bool{}
	for _, r := range m.rules {
		if matched[r.Source] || seen[r.Source] || r.Tool != "" || m.inScope != nil && !m.inScope(r.Check) {
			continue
		}
		seen[r.Source] = true
		out = append(out, r)
	}
	return out
}

// Notes are the sentences a run ends with: each suppression that expired
// while findings still match it, and each that matched nothing.
func (m *Matcher) Notes() []string {
	notes := m.Expired()
	for _, r := range m.Unused() {
		notes = append(notes, UnusedNote(r))
	}
	return notes
}

// Expired are the notes about suppressions that expired while findings
// still match them: those findings count again.
func (m *Matcher) Expired() []string {
	if m == nil {
		return nil
	}
	var notes []string
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, r := range m.rules {
		if n := m.expired[i]; n > 0 {
			notes = append(notes, fmt.Sprintf("suppression %s (%s) expired on %s: %d %s it matched %s again", r.Source, r.Check, r.Expires, n, plural(n, "finding", "findings"), plural(n, "counts", "count")))
		}
	}
	return notes
}

// UnusedNote is the note, or with --strict-suppressions the error, about
// a rule that matched nothing.
func UnusedNote(r Rule) string {
	what := r.Check
	if r.Resource != "" && r.Resource != "*" {
		what += " on " + r.Resource
	}
	return fmt.Sprintf("suppression %s (%s) matched no finding", r.Source, what)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Apply gives each finding its report status: SUPPRESSED with the
// suppression when one applies on day today, else status. The order of
// fs is kept.
func (m *Matcher) Apply(fs []findings.Finding, status findings.Status, today time.Time) []findings.Tracked {
	out := make([]findings.Tracked, len(fs))
	for i, f := range fs {
		out[i] = findings.Tracked{Finding: f, Status: status}
		if s := m.Match(f, today).Suppression(); s != nil {
			out[i].Status, out[i].Suppression = findings.StatusSuppressed, s
		}
	}
	return out
}
