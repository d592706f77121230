package findings

import (
	"fmt"
	"time"
)

// Status is where a finding stands between runs: the finding store keeps
// it, bus events and the command line's --state-table output carry it. The
// values are stored and matched by event rules, so they never change.
type Status string

// The statuses of a finding.
const (
	// StatusNew: first seen in this run. A publisher that keeps no state
	// announces every finding NEW, so that a rule on NEW and REOPENED
	// sees it.
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

// Tracked is a finding with where it stands: the detail of every event on
// the findings bus, and each finding of a run with --state-table. The
// finding's own fields come first and keep their names and meaning, so a
// consumer of the finding schema reads a Tracked as it reads a Finding.
type Tracked struct {
	Finding
	// Status is always set on the bus: NEW from a publisher that keeps no
	// state, else what the finding store decided.
	Status Status `json:"status"`
	// PreviousStatus is the status before this change; empty for a
	// finding never seen before.
	PreviousStatus Status `json:"previousStatus,omitempty"`
	// PreviousSeverity is set on a severity change only: the finding
	// stayed open at another severity.
	PreviousSeverity Severity `json:"previousSeverity,omitzero"`
	// FirstSeen and LastSeen are the first and latest runs that saw the
	// finding, and Occurrences how many runs did; unset without a store.
	FirstSeen   time.Time `json:"firstSeen,omitzero"`
	LastSeen    time.Time `json:"lastSeen,omitzero"`
	Occurrences int64     `json:"occurrences,omitempty"`
}

// AsNew is how a publisher without memory announces findings: each one
// NEW, since it cannot know better.
func AsNew(fs []Finding) []Tracked {
	out := make([]Tracked, len(fs))
	for i, f := range fs {
		out[i] = Tracked{Finding: f, Status: StatusNew}
	}
	return out
}
