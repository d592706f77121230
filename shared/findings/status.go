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
	// StatusBaseline: a report status only, never stored: the finding's id
	// is in the baseline the command line was given (--baseline), so it is
	// shown but does not fail the run.
	StatusBaseline Status = "BASELINE"
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
	// StatusChangedAt is when the store decided the status: a resolution
	// is later than the last sighting, which a consumer that keeps only
	// the newest update of a finding (Security Hub) needs to tell; unset
	// without a store.
	StatusChangedAt time.Time `json:"statusChangedAt,omitzero"`
	// Suppression is set when Status is SUPPRESSED: the accepted risk that
	// matched, so a reader sees who accepted it, why and until when.
	Suppression *Suppression `json:"suppression,omitempty"`
}

// Suppression is a reviewed, accepted risk as a report shows it.
type Suppression struct {
	// Reason is why the risk is accepted; never empty.
	Reason string `json:"reason"`
	// Expires is the first day (YYYY-MM-DD, UTC) on which the suppression
	// no longer applies; empty when it does not end.
	Expires string `json:"expires,omitempty"`
	// Source says where the suppression is written: a file and line, a
	// template resource's metadata, or an SSM parameter.
	Source string `json:"source"`
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
