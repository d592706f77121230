package findingstore

import "github.com/selfaudit/selfaudit/shared/findings"

// Observe returns the status of a finding a run has just seen, given its
// stored status (empty when it has never been stored) and whether a
// suppression matches it now.
//
// A suppressed finding that loses its suppression becomes REOPENED: it was
// set aside and now asks for attention again.
func Observe(prev findings.Status, suppressed bool) findings.Status {
	if suppressed {
		return findings.StatusSuppressed
	}
	switch prev {
	case "":
		return findings.StatusNew
	case findings.StatusResolved, findings.StatusSuppressed:
		return findings.StatusReopened
	default: // NEW, OPEN, REOPENED
		return findings.StatusOpen
	}
}

// Miss returns the status of a finding that a run did not see although it
// read the finding's scope in full. A finding that was never stored stays
// unknown (empty).
func Miss(prev findings.Status) findings.Status {
	if prev == "" {
		return ""
	}
	return findings.StatusResolved
}

// ChangeKind is what a change announces. A run whose reconcile yields no
// change publishes no finding events.
type ChangeKind string

// The kinds of change worth announcing.
const (
	ChangeNone     ChangeKind = ""
	ChangeNew      ChangeKind = "NEW"
	ChangeReopened ChangeKind = "REOPENED"
	ChangeResolved ChangeKind = "RESOLVED"
	// ChangeSeverity: an open finding is now of another severity (its
	// policy widened or narrowed without being fixed).
	ChangeSeverity ChangeKind = "SEVERITY_CHANGED"
)

// Announce decides what, if anything, a transition from prev to next
// announces. Suppressed findings are never announced, neither when they are
// suppressed nor when they are resolved; a severity change counts only for a
// finding that stays open.
func Announce(prev, next findings.Status, severityChanged bool) ChangeKind {
	switch {
	case next == findings.StatusNew:
		return ChangeNew
	case next == findings.StatusReopened:
		return ChangeReopened
	case next == findings.StatusResolved && prev != findings.StatusResolved && prev != findings.StatusSuppressed && prev != "":
		return ChangeResolved
	case next == findings.StatusOpen && severityChanged:
		return ChangeSeverity
	}
	return ChangeNone
}
