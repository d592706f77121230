package findingstore

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// goodItem is an item as the store writes it.
func goodItem() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrID: str("abc"), AttrCheck: str("IAM001"), AttrSeverity: str("HIGH"),
		AttrTitle: str("t"), AttrSource: str("iam-wildcard-scanner"), AttrResource: str("arn:aws:iam::1:role/r"), AttrScanner: str("s"),
		AttrScope: str("s|1|r"), AttrTarget: str("arn:aws:iam::1:role/r"), AttrStatus: str("OPEN"),
		AttrPreviousStatus: str("NEW"), AttrStatusChangedAt: str("2026-11-20T06:00:00.000Z"),
		AttrFirstSeen: str("2026-11-19T06:00:00.000Z"), AttrLastSeen: str("2026-11-20T06:00:00.000Z"),
		AttrOccurrences: num(2), AttrVersion: num(2), AttrEvidence: str(`{"action":"*"}`),
	}
}

func TestDecodeRecord(t *testing.T) {
	t.Parallel()
	r, err := decodeRecord(goodItem())
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != findings.StatusOpen || r.PreviousStatus != findings.StatusNew || r.Severity != findings.High ||
		r.Occurrences != 2 || r.Evidence["action"] != "*" || r.FirstSeen.Day() != 19 {
		t.Fatalf("decoded %+v", r)
	}
	if f := r.Finding(); f.Validate() != nil || !f.ObservedAt.Equal(r.LastSeen) {
		t.Fatalf("Finding() = %+v: %v", f, f.Validate())
	}
	damage := []struct {
		name string
		attr string
		v    types.AttributeValue
	}{
		{"missing status", AttrStatus, nil},
		{"unknown status", AttrStatus, str("CLOSED")},
		{"unknown severity", AttrSeverity, str("SEVERE")},
		{"time without milliseconds", AttrLastSeen, str("2026-11-20T06:00:00Z")},
		{"evidence not JSON", AttrEvidence, str("{")},
		{"occurrences as string", AttrOccurrences, str("2")},
		{"version not an integer", AttrVersion, &types.AttributeValueMemberN{Value: "1.5"}},
	}
	for _, d := range damage {
		item := goodItem()
		if d.v == nil {
			delete(item, d.attr)
		} else {
			item[d.attr] = d.v
		}
		if _, err := decodeRecord(item); err == nil || !strings.Contains(err.Error(), d.attr) {
			t.Errorf("%s: error %v does not name %s", d.name, err, d.attr)
		}
	}
}

func TestEvidenceJSON(t *testing.T) {
	t.Parallel()
	if got := evidenceJSON(nil); got != "{}" {
		t.Errorf("nil evidence = %s", got)
	}
	big := map[string]any{"blob": strings.Repeat("x", MaxEvidenceBytes)}
	var m map[string]any
	if err := json.Unmarshal([]byte(evidenceJSON(big)), &m); err != nil || m["truncated"] != true {
		t.Errorf("large evidence = %v, %v", m, err)
	}
	if err := json.Unmarshal([]byte(evidenceJSON(map[string]any{"f": func() {}})), &m); err != nil || m["truncated"] != true {
		t.Errorf("unencodable evidence = %v, %v", m, err)
	}
}

// FuzzDecodeRecord feeds arbitrary stored strings to the item decoder: it
// must return a record or an error, never panic, and accept only valid
// statuses and severities.
func FuzzDecodeRecord(f *testing.F) {
	f.Add("OPEN", "HIGH", "2026-11-20T06:00:00.000Z", `{"a":1}`, "3")
	f.Add("", "", "", "", "")
	f.Add("NEW", "critical", "2026-13-40T99:00:00.000Z", "[", "-1")
	f.Fuzz(func(t *testing.T, status, sev, when, evidence, n string) {
		item := goodItem()
		item[AttrStatus] = str(status)
		item[AttrSeverity] = str(sev)
		item[AttrLastSeen] = str(when)
		item[AttrEvidence] = str(evidence)
		item[AttrOccurrences] = &types.AttributeValueMemberN{Value: n}
		r, err := decodeRecord(item)
		if err != nil {
			return
		}
		if _, err := findings.ParseStatus(string(r.Status)); err != nil {
			t.Fatalf("accepted status %q", r.Status)
		}
		if r.Severity < findings.Info || r.Severity > findings.Critical {
			t.Fatalf("accepted severity %d", r.Severity)
		}
	})
}

// TestDecodeOutbox: a pending change survives the round trip through the
// item, and a damaged one is reported, naming the outbox.
func TestDecodeOutbox(t *testing.T) {
	t.Parallel()
	p := pendingChange{
		Kind: ChangeSeverity, Status: findings.StatusOpen, PreviousStatus: findings.StatusNew,
		Severity: findings.Critical, PreviousSeverity: findings.High,
		ChangedAt: day1, ClaimedUntil: day1.Add(DefaultClaimTimeout),
	}
	item := goodItem()
	item[AttrPending] = outboxAttr(map[string]pendingChange{"v2": p, "v10": {Kind: ChangeNew, Status: findings.StatusNew, Severity: findings.High, ChangedAt: day1}})
	r, err := decodeRecord(item)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.pending["v2"]; got != p {
		t.Errorf("round trip: %+v, want %+v", got, p)
	}
	if got := r.pending["v10"]; !got.claimable(day1) || got.PreviousStatus != "" || got.PreviousSeverity != 0 {
		t.Errorf("released NEW: %+v", got)
	}
	if ks := pendingKeys(r.pending); len(ks) != 2 || ks[0] != "v2" || ks[1] != "v10" {
		t.Errorf("keys in order of decision: %v", ks)
	}
	entry := func(edit func(map[string]types.AttributeValue)) types.AttributeValue {
		m := p.attr().(*types.AttributeValueMemberM).Value
		edit(m)
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"v2": &types.AttributeValueMemberM{Value: m}}}
	}
	damage := map[string]types.AttributeValue{
		"not a map":        str("x"),
		"entry not a map":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"v2": str("x")}},
		"bad key":          &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x2": p.attr()}},
		"unknown kind":     entry(func(m map[string]types.AttributeValue) { m[pendKind] = str("CLOSED") }),
		"no status":        entry(func(m map[string]types.AttributeValue) { delete(m, pendStatus) }),
		"unknown severity": entry(func(m map[string]types.AttributeValue) { m[pendSeverity] = str("SEVERE") }),
		"bad claim":        entry(func(m map[string]types.AttributeValue) { m[pendClaimedUntil] = str("soon") }),
	}
	for name, v := range damage {
		item := goodItem()
		item[AttrPending] = v
		if _, err := decodeRecord(item); err == nil || !strings.Contains(err.Error(), AttrPending) {
			t.Errorf("%s: error %v does not name %s", name, err, AttrPending)
		}
	}
}
