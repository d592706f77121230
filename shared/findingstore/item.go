package findingstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// Attribute names of a finding's item. The table's key is AttrID; the
// index IndexOpenByScope is keyed by AttrOpenScope and AttrTarget, and
// AttrExpires is the table's TTL attribute.
const (
	AttrID              = "id"
	AttrCheck           = "check"
	AttrSeverity        = "severity"
	AttrTitle           = "title"
	AttrRemediation     = "remediation"
	AttrResource        = "resource"
	AttrAccount         = "account"
	AttrRegion          = "region"
	AttrSource          = "source"
	AttrScanner         = "scanner"
	AttrScope           = "scope"
	AttrTarget          = "target"
	AttrOpenScope       = "openScope"
	AttrStatus          = "status"
	AttrPreviousStatus  = "previousStatus"
	AttrStatusChangedAt = "statusChangedAt"
	AttrFirstSeen       = "firstSeen"
	AttrLastSeen        = "lastSeen"
	AttrOccurrences     = "occurrences"
	AttrEvidence        = "evidence"
	AttrVersion         = "version"
	AttrExpires         = "expiresAt"
)

// timeLayout stores instants in UTC at a fixed width, so that the strings
// order as the instants do and a condition can compare them.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// MaxEvidenceBytes bounds the stored evidence. A finding's evidence is
// usually a few hundred bytes; one that is larger is replaced by a note, so
// an item never approaches DynamoDB's 400 KB limit.
const MaxEvidenceBytes = 32 * 1024

// Record is a finding as the store remembers it.
type Record struct {
	ID          string
	Check       string
	Severity    findings.Severity
	Title       string
	Remediation string
	Resource    string
	Account     string
	Region      string
	Source      string
	// Scanner, Scope and Target place the finding in the scope of the
	// run that last saw it (see Scope).
	Scanner string
	Scope   string
	Target  string

	Status findings.Status
	// PreviousStatus is the status before the last change of status;
	// empty until the status first changes.
	PreviousStatus  findings.Status
	StatusChangedAt time.Time
	FirstSeen       time.Time
	LastSeen        time.Time
	// Occurrences counts the runs that saw the finding.
	Occurrences int64
	// Evidence is the evidence of the latest sighting.
	Evidence map[string]any
	// ExpiresAt is when DynamoDB's TTL removes a resolved finding; zero
	// while the finding stands.
	ExpiresAt time.Time
	// Version increases with every write; a write is conditional on it.
	Version int64

	// openScope is the scope key under which the item is in the index,
	// empty when it is not.
	openScope string
	// pending is the item's outbox (AttrPending).
	pending map[string]pendingChange
}

// Finding rebuilds the finding a record remembers, observed when it was
// last seen, so a resolved finding can be listed beside the findings of the
// run.
func (r Record) Finding() findings.Finding {
	return findings.Finding{
		ID: r.ID, Check: r.Check, Severity: r.Severity, Title: r.Title,
		Resource: r.Resource, Evidence: r.Evidence, Remediation: r.Remediation,
		Source: r.Source, ObservedAt: r.LastSeen,
	}
}

// expired reports whether a resolved finding is past its retention. DynamoDB
// deletes expired items only within some days, and reads return them until
// then; a sighting treats such a finding as never seen, so a finding seen
// again after ResolvedRetention is NEW however late the deletion runs.
func (r Record) expired(now time.Time) bool {
	return r.Status == findings.StatusResolved && !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt)
}

// evidenceJSON encodes evidence for storage, replacing it by a note when it
// cannot be encoded or is too large.
func evidenceJSON(ev map[string]any) string {
	if ev == nil {
		return "{}"
	}
	b, err := json.Marshal(ev)
	switch {
	case err != nil:
		b, _ = json.Marshal(map[string]any{"truncated": true, "reason": "evidence could not be encoded: " + err.Error()})
	case len(b) > MaxEvidenceBytes:
		b, _ = json.Marshal(map[string]any{"truncated": true, "reason": fmt.Sprintf("evidence of %d bytes is larger than the store keeps", len(b))})
	}
	return string(b)
}

// decodeRecord reads an item, failing on any attribute that is missing or
// malformed so that a damaged item is reported instead of misjudged.
func decodeRecord(item map[string]types.AttributeValue) (Record, error) {
	d := decoder{item: item}
	r := Record{
		ID: d.str(AttrID, true), Check: d.str(AttrCheck, true), Title: d.str(AttrTitle, false),
		Remediation: d.str(AttrRemediation, false), Resource: d.str(AttrResource, true),
		Account: d.str(AttrAccount, false), Region: d.str(AttrRegion, false),
		Source: d.str(AttrSource, false), Scanner: d.str(AttrScanner, true),
		Scope: d.str(AttrScope, true), Target: d.str(AttrTarget, true),
		StatusChangedAt: d.time(AttrStatusChangedAt, true), FirstSeen: d.time(AttrFirstSeen, true),
		LastSeen: d.time(AttrLastSeen, true), Occurrences: d.num(AttrOccurrences, true),
		Version: d.num(AttrVersion, true), openScope: d.str(AttrOpenScope, false),
	}
	r.pending = decodeOutbox(&d)
	if sev := d.str(AttrSeverity, true); sev != "" {
		s, err := findings.ParseSeverity(sev)
		d.fail(AttrSeverity, err)
		r.Severity = s
	}
	if st := d.str(AttrStatus, true); st != "" {
		s, err := findings.ParseStatus(st)
		d.fail(AttrStatus, err)
		r.Status = s
	}
	if st := d.str(AttrPreviousStatus, false); st != "" {
		s, err := findings.ParseStatus(st)
		d.fail(AttrPreviousStatus, err)
		r.PreviousStatus = s
	}
	if ev := d.str(AttrEvidence, false); ev != "" {
		d.fail(AttrEvidence, json.Unmarshal([]byte(ev), &r.Evidence))
	}
	if exp := d.num(AttrExpires, false); exp != 0 {
		r.ExpiresAt = time.Unix(exp, 0).UTC()
	}
	if d.err != nil {
		return Record{}, fmt.Errorf("finding item %q: %w", r.ID, d.err)
	}
	return r, nil
}

// decoder reads typed attributes and keeps the first error.
type decoder struct {
	item map[string]types.AttributeValue
	err  error
}

func (d *decoder) fail(name string, err error) {
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("attribute %s: %w", name, err)
	}
}

func (d *decoder) str(name string, required bool) string {
	switch v := d.item[name].(type) {
	case *types.AttributeValueMemberS:
		if required && v.Value == "" {
			d.fail(name, fmt.Errorf("empty"))
		}
		return v.Value
	case nil:
		if required {
			d.fail(name, fmt.Errorf("missing"))
		}
	default:
		d.fail(name, fmt.Errorf("not a string"))
	}
	return ""
}

func (d *decoder) num(name string, required bool) int64 {
	switch v := d.item[name].(type) {
	case *types.AttributeValueMemberN:
		x, err := strconv.ParseInt(v.Value, 10, 64)
		d.fail(name, err)
		return x
	case nil:
		if required {
			d.fail(name, fmt.Errorf("missing"))
		}
	default:
		d.fail(name, fmt.Errorf("not a number"))
	}
	return 0
}

func (d *decoder) time(name string, required bool) time.Time {
	s := d.str(name, required)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s)
	d.fail(name, err)
	return t
}
