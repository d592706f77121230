package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Severity orders findings. The zero value is not a valid severity, so a
// finding built without one is caught by Validate.
type Severity int

// Severities, lowest first, so that comparisons read naturally.
const (
	Info Severity = iota + 1
	Low
	Medium
	High
	Critical
)

var severityNames = map[Severity]string{
	Info: "INFO", Low: "LOW", Medium: "MEDIUM", High: "HIGH", Critical: "CRITICAL",
}

// Severities lists every severity from the most to the least severe, the
// order in which summaries are printed.
var Severities = []Severity{Critical, High, Medium, Low, Info}

// String returns the upper-case name used in the JSON schema.
func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Lower returns the severity one step down, never below Info. A restrictive
// Condition on a statement lowers its finding by one step.
func (s Severity) Lower() Severity {
	if s <= Info {
		return Info
	}
	return s - 1
}

// ParseSeverity reads a severity name in any case.
func ParseSeverity(name string) (Severity, error) {
	up := strings.ToUpper(strings.TrimSpace(name))
	for s, n := range severityNames {
		if n == up {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want critical, high, medium, low or info)", name)
}

// MarshalJSON writes the severity as its name.
func (s Severity) MarshalJSON() ([]byte, error) {
	if _, ok := severityNames[s]; !ok {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return json.Marshal(s.String())
}

// UnmarshalJSON reads a severity name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("severity must be a string: %w", err)
	}
	v, err := ParseSeverity(name)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one problem one engine saw on one resource. Its JSON form is a
// contract (docs/architecture.md, "Findings"): other tools route and
// deduplicate on these fields.
type Finding struct {
	ID          string         `json:"id"`
	Check       string         `json:"check"`
	Severity    Severity       `json:"severity"`
	Title       string         `json:"title"`
	Resource    string         `json:"resource"`
	Evidence    map[string]any `json:"evidence"`
	Remediation string         `json:"remediation"`
	Source      string         `json:"source"`
	ObservedAt  time.Time      `json:"observedAt"`

	// Location points into a file for findings about files (templates,
	// policy documents, CloudTrail logs); SARIF uses it. It is not part of
	// the JSON schema.
	Location *Location `json:"-"`
}

// Location is a place in a file, 1-based. Line 0 means unknown.
type Location struct {
	File   string
	Line   int
	Column int
}

// StableID derives a finding's ID from what it is about, not when it was
// seen, so two runs that see the same problem produce the same ID and
// downstream consumers can deduplicate. evidenceKey distinguishes two
// findings of one check on one resource (for example the statement index, or
// the offending action).
func StableID(check, resource, evidenceKey string) string {
	h := sha256.New()
	for _, part := range []string{check, resource, evidenceKey} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Validate reports the first schema violation, so that an engine bug shows
// up in tests rather than as a malformed event on the bus.
func (f Finding) Validate() error {
	switch {
	case f.ID == "":
		return fmt.Errorf("finding %s on %q: empty id", f.Check, f.Resource)
	case f.Check == "":
		return fmt.Errorf("finding %q: empty check", f.ID)
	case severityNames[f.Severity] == "":
		return fmt.Errorf("finding %s on %q: invalid severity %d", f.Check, f.Resource, int(f.Severity))
	case f.Title == "":
		return fmt.Errorf("finding %s on %q: empty title", f.Check, f.Resource)
	case f.Resource == "":
		return fmt.Errorf("finding %s: empty resource", f.Check)
	case f.Source == "":
		return fmt.Errorf("finding %s on %q: empty source", f.Check, f.Resource)
	case f.ObservedAt.IsZero():
		return fmt.Errorf("finding %s on %q: zero observedAt", f.Check, f.Resource)
	}
	return nil
}

// Summary counts findings per severity name; every severity is present so
// that consumers need not guess about missing keys.
type Summary map[string]int

// Summarize counts findings by severity.
func Summarize(fs []Finding) Summary {
	s := Summary{}
	for _, sev := range Severities {
		s[sev.String()] = 0
	}
	for _, f := range fs {
		s[f.Severity.String()]++
	}
	return s
}

// AtOrAbove reports whether any finding is at or above min. A min of 0
// (the --fail-on none setting) never matches.
func AtOrAbove(fs []Finding, min Severity) bool {
	if min == 0 {
		return false
	}
	for _, f := range fs {
		if f.Severity >= min {
			return true
		}
	}
	return false
}

// Sort orders findings most severe first, then by check, resource and ID,
// so that output is deterministic and golden files stay stable.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool { return Less(fs[i], fs[j]) })
}

// Less is the order of Sort, for callers that sort findings held in
// other types (tracked findings, a report's rows).
func Less(a, b Finding) bool {
	if a.Severity != b.Severity {
		return a.Severity > b.Severity
	}
	if a.Check != b.Check {
		return a.Check < b.Check
	}
	if a.Resource != b.Resource {
		return a.Resource < b.Resource
	}
	return a.ID < b.ID
}

// Dedupe drops findings whose ID was already seen, keeping the first.
func Dedupe(fs []Finding) []Finding {
	seen := make(map[string]bool, len(fs))
	out := fs[:0:0]
	for _, f := range fs {
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		out = append(out, f)
	}
	return out
}
