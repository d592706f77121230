package findingstore

import "fmt"

// Status is where a finding stands. The values are the strings stored in
// the table and carried by bus events, so they never change.
type Status string

// The statuses of a finding.
const (
	// StatusNew: first seen in this run.
	StatusNew Status = "NEW"
	// StatusOpen: seen before and seen again now.
	StatusOpen Status = "OPEN"
	// StatusResolved: its scope was read in full and it was not there.
	StatusResolved Status = "RESOLVED"
	// StatusReopened: resolved earlier (or suppressed), seen again now.
	StatusReopened Status = "REOPENED"
	// StatusSuppressed: seen, but a suppression matches it, so it is
	// remembered and never announced.
	StatusSuppressed Status = "SUPPRESSED"
)

// Statuses lists every status, in the order of a finding's life.
var Statuses = []Status{StatusNew, StatusOpen, StatusReopened, StatusSuppressed, StatusResolved}

// ParseStatus reads a stored status, rejecting anything else so that a
// damaged item is reported rather than silently treated as open.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown finding status %q", s)
}

// Standing reports whether a finding in this status still stands: a run
// that reads its scope and does not see it resolves it.
func (s Status) Standing() bool {
	switch s {
	case StatusNew, StatusOpen, StatusReopened, StatusSuppressed:
		return true
	}
	return false
}

// Observe returns the status of a finding a run has just seen, given its
// stored status (empty when it has never been stored) and whether a
// suppression matches it now.
//
// A suppressed finding that loses its suppression becomes REOPENED: it was
// set aside and now asks for attention again.
func Observe(prev Status, suppressed bool) Status {
	if suppressed {
		return StatusSuppressed
	}
	switch prev {
	case "":
		return StatusNew
	case StatusResolved, StatusSuppressed:
		return StatusReopened
	default: // NEW, OPEN, REOPENED
		return StatusOpen
	}
}

// Miss returns the status of a finding that a run did not see although it
// read the finding's scope in full. A finding that was never stored stays
// unknown (empty).
func Miss(prev Status) Status {
	if prev == "" {
		return ""
	}
	return StatusResolved
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
func Announce(prev, next Status, severityChanged bool) ChangeKind {
	switch {
	case next == StatusNew:
		return ChangeNew
	case next == StatusReopened:
		return ChangeReopened
	case next == StatusResolved && prev != StatusResolved && prev != StatusSuppressed && prev != "":
		return ChangeResolved
	case next == StatusOpen && severityChanged:
		return ChangeSeverity
	}
	return ChangeNone
}
