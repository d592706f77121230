package findingstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// AttrPending is the item's outbox: the changes decided but not yet
// acknowledged as announced, a map from a key "v<version>" (the version
// of the write that decided the change) to the change.
const AttrPending = "pending"

// Attributes of one pending change.
const (
	pendKind             = "kind"
	pendStatus           = "status"
	pendPreviousStatus   = "previousStatus"
	pendSeverity         = "severity"
	pendPreviousSeverity = "previousSeverity"
	pendChangedAt        = "changedAt"
	pendClaimedUntil     = "claimedUntil"
)

// DefaultClaimTimeout is how long the run that decided a change, or took
// over its announcement, has to announce it before another run may: the
// longest a Lambda function runs. A run whose announcement fails releases
// its claims at once, so its retry announces them without waiting.
const DefaultClaimTimeout = 15 * time.Minute

// pendingChange is one change in an item's outbox: what to announce, with
// the fields it had when it was decided.
type pendingChange struct {
	Kind             ChangeKind
	Status           findings.Status
	PreviousStatus   findings.Status
	Severity         findings.Severity
	PreviousSeverity findings.Severity
	ChangedAt        time.Time
	// ClaimedUntil is when the run announcing the change gives it up;
	// zero when no run is announcing it.
	ClaimedUntil time.Time
}

// claimable reports whether a run at now may announce the change: no run
// holds it, or the one that did let its claim run out.
func (p pendingChange) claimable(now time.Time) bool {
	return p.ClaimedUntil.IsZero() || !now.Before(p.ClaimedUntil)
}

func pendingKey(version int64) string { return "v" + strconv.FormatInt(version, 10) }

// pendingKeys lists an outbox's keys in the order the changes were
// decided.
func pendingKeys(m map[string]pendingChange) []string {
	ks := slices.Collect(maps.Keys(m))
	slices.SortFunc(ks, func(a, b string) int {
		x, _ := strconv.ParseInt(strings.TrimPrefix(a, "v"), 10, 64)
		y, _ := strconv.ParseInt(strings.TrimPrefix(b, "v"), 10, 64)
		return int(x - y)
	})
	return ks
}

func (p pendingChange) attr() types.AttributeValue {
	m := map[string]types.AttributeValue{
		pendKind:      str(string(p.Kind)),
		pendStatus:    str(string(p.Status)),
		pendSeverity:  str(p.Severity.String()),
		pendChangedAt: str(formatTime(p.ChangedAt)),
	}
	if p.PreviousStatus != "" {
		m[pendPreviousStatus] = str(string(p.PreviousStatus))
	}
	if p.PreviousSeverity != 0 {
		m[pendPreviousSeverity] = str(p.PreviousSeverity.String())
	}
	if !p.ClaimedUntil.IsZero() {
		m[pendClaimedUntil] = str(formatTime(p.ClaimedUntil))
	}
	return &types.AttributeValueMemberM{Value: m}
}

func outboxAttr(m map[string]pendingChange) types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(m))
	for k, p := range m {
		out[k] = p.attr()
	}
	return &types.AttributeValueMemberM{Value: out}
}

// decodeOutbox reads AttrPending; absent means empty.
func decodeOutbox(d *decoder) map[string]pendingChange {
	v, ok := d.item[AttrPending]
	if !ok {
		return nil
	}
	m, ok := v.(*types.AttributeValueMemberM)
	if !ok {
		d.fail(AttrPending, fmt.Errorf("not a map"))
		return nil
	}
	out := make(map[string]pendingChange, len(m.Value))
	for k, e := range m.Value {
		em, ok := e.(*types.AttributeValueMemberM)
		if !ok {
			d.fail(AttrPending+"."+k, fmt.Errorf("not a map"))
			continue
		}
		ed := decoder{item: em.Value}
		p := pendingChange{
			Kind:         ChangeKind(ed.str(pendKind, true)),
			ChangedAt:    ed.time(pendChangedAt, true),
			ClaimedUntil: ed.time(pendClaimedUntil, false),
		}
		var err error
		p.Status, err = findings.ParseStatus(ed.str(pendStatus, true))
		ed.fail(pendStatus, err)
		if s := ed.str(pendPreviousStatus, false); s != "" {
			p.PreviousStatus, err = findings.ParseStatus(s)
			ed.fail(pendPreviousStatus, err)
		}
		p.Severity, err = findings.ParseSeverity(ed.str(pendSeverity, true))
		ed.fail(pendSeverity, err)
		if s := ed.str(pendPreviousSeverity, false); s != "" {
			p.PreviousSeverity, err = findings.ParseSeverity(s)
			ed.fail(pendPreviousSeverity, err)
		}
		switch p.Kind {
		case ChangeNew, ChangeReopened, ChangeResolved, ChangeSeverity:
		default:
			ed.fail(pendKind, fmt.Errorf("unknown change %q", p.Kind))
		}
		if _, err := strconv.ParseInt(strings.TrimPrefix(k, "v"), 10, 64); err != nil || !strings.HasPrefix(k, "v") {
			ed.fail("key", fmt.Errorf("%q is not v<version>", k))
		}
		if ed.err != nil {
			d.fail(AttrPending+"."+k, ed.err)
			continue
		}
		out[k] = p
	}
	return out
}

// pendingOf is the outbox entry recording change c, decided at now and
// claimed by the deciding run.
func pendingOf(c Change, now, claimedUntil time.Time) pendingChange {
	return pendingChange{
		Kind: c.Kind, Status: c.Record.Status, PreviousStatus: c.PreviousStatus,
		Severity: c.Record.Severity, PreviousSeverity: c.PreviousSeverity,
		ChangedAt: now, ClaimedUntil: claimedUntil,
	}
}

// change rebuilds the change a pending entry records, on the finding's
// current record: the status and severity are those of the change, the
// sightings those of today.
func (p pendingChange) change(key string, rec Record) Change {
	r := rec
	r.Status, r.Severity, r.PreviousStatus = p.Status, p.Severity, p.PreviousStatus
	r.StatusChangedAt = p.ChangedAt
	return Change{
		Kind: p.Kind, PreviousStatus: p.PreviousStatus, PreviousSeverity: p.PreviousSeverity,
		Record: r, pendingKey: key, claimedUntil: p.ClaimedUntil,
	}
}

// outboxPlan is the outbox a decision write leaves and the earlier changes
// it takes over for announcement.
type outboxPlan struct {
	box     map[string]pendingChange
	claimed []string
}

// planOutbox starts from the outbox of the item as read (nothing when the
// item is gone or past its expiry), claims every change a run at now may
// announce again and, when kind is a change, adds it under the key of the
// write's version. Without an outbox (st.Outbox false) the item's outbox is
// kept as it is and nothing is added or claimed.
func (st *Store) planOutbox(cur Record, live bool, c Change, version int64, now time.Time) outboxPlan {
	var plan outboxPlan
	plan.box = map[string]pendingChange{}
	if live {
		maps.Copy(plan.box, cur.pending)
	}
	if !st.Outbox {
		return plan
	}
	// At the precision the table keeps, so that a release can name the
	// claim it gives up.
	until := now.Add(st.claimTimeout()).Truncate(time.Millisecond)
	for _, k := range pendingKeys(plan.box) {
		p := plan.box[k]
		if p.claimable(now) {
			p.ClaimedUntil = until
			plan.box[k] = p
			plan.claimed = append(plan.claimed, k)
		}
	}
	if c.Kind != ChangeNone {
		plan.box[pendingKey(version)] = pendingOf(c, now, until)
	}
	return plan
}

// apply writes the planned outbox into u.
func (p outboxPlan) apply(u *update) {
	if len(p.box) == 0 {
		u.remove(AttrPending)
		return
	}
	u.set(AttrPending, outboxAttr(p.box))
}

// changes are the claimed earlier changes, on the record the write left.
func (p outboxPlan) changes(rec Record) []Change {
	out := make([]Change, 0, len(p.claimed))
	for _, k := range p.claimed {
		out = append(out, rec.pending[k].change(k, rec))
	}
	return out
}

func (st *Store) claimTimeout() time.Duration {
	if st.ClaimTimeout <= 0 {
		return DefaultClaimTimeout
	}
	return st.ClaimTimeout
}

// claimResolved takes over the announcement of the pending changes of a
// resolved finding, which stays in the scope's index until they are
// acknowledged. An item with nothing left pending leaves the index.
func (st *Store) claimResolved(ctx context.Context, id string, now time.Time) ([]Change, error) {
	for attempt := 1; ; attempt++ {
		cur, found, err := st.get(ctx, id)
		if err != nil || !found || cur.Status != findings.StatusResolved || cur.openScope == "" {
			return nil, err
		}
		plan := st.planOutbox(cur, true, Change{}, cur.Version+1, now)
		u := newUpdate()
		switch {
		case len(plan.claimed) > 0:
			plan.apply(u)
		case len(cur.pending) == 0:
			u.remove(AttrOpenScope) // nothing to announce: leave the index
		default:
			return nil, nil // claimed by a run still announcing them
		}
		rec, ok, err := st.writeVersioned(ctx, id, cur.Version, u)
		switch {
		case err != nil:
			return nil, fmt.Errorf("claim pending changes of finding %s in table %s: %w", id, st.Table, err)
		case ok:
			return plan.changes(rec), nil
		case attempt >= st.maxAttempts():
			return nil, fmt.Errorf("claim pending changes of finding %s in table %s: still changed by other runs after %d attempts", id, st.Table, attempt)
		}
		if err := backoff(ctx, attempt); err != nil {
			return nil, err
		}
	}
}

// writeVersioned applies u on condition that the item is still at version,
// increasing the version. ok is false when another write came first.
func (st *Store) writeVersioned(ctx context.Context, id string, version int64, u *update) (Record, bool, error) {
	u.set(AttrVersion, num(version+1))
	cond := u.name(AttrVersion) + " = " + u.value(num(version))
	out, err := st.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.Table),
		Key:                       map[string]types.AttributeValue{AttrID: str(id)},
		UpdateExpression:          aws.String(u.expression()),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  u.names,
		ExpressionAttributeValues: u.values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, err
	}
	rec, err := decodeRecord(out.Attributes)
	return rec, err == nil, err
}

// Acknowledge clears the given changes from their findings' outboxes once
// the bus has accepted them. Each clears only the change it was decided
// as: a newer change of the same finding stays pending. A resolved finding
// with nothing left pending leaves the scope's index. A change already
// cleared is skipped, so acknowledging twice is harmless.
func (st *Store) Acknowledge(ctx context.Context, cs []Change) error {
	return st.editOutboxes(ctx, cs, "acknowledge", func(p pendingChange, c Change) (pendingChange, bool) {
		return p, false
	})
}

// Release gives up this run's claim on changes the bus did not accept, so
// that the next run (a retry) announces them without waiting for the
// claim to run out. A change another run has claimed since is left alone.
func (st *Store) Release(ctx context.Context, cs []Change) error {
	return st.editOutboxes(ctx, cs, "release", func(p pendingChange, c Change) (pendingChange, bool) {
		if !p.ClaimedUntil.IsZero() && formatTime(p.ClaimedUntil) == formatTime(c.claimedUntil) {
			p.ClaimedUntil = time.Time{}
		}
		return p, true
	})
}

// editOutboxes rewrites the outbox entries of cs, one conditional write
// per finding: edit returns the entry to keep, or false to drop it.
func (st *Store) editOutboxes(ctx context.Context, cs []Change, verb string, edit func(pendingChange, Change) (pendingChange, bool)) error {
	byID := map[string][]Change{}
	var ids []string
	for _, c := range cs {
		if c.pendingKey == "" {
			continue
		}
		if _, ok := byID[c.Record.ID]; !ok {
			ids = append(ids, c.Record.ID)
		}
		byID[c.Record.ID] = append(byID[c.Record.ID], c)
	}
	return st.each(ctx, len(ids), func(i int) error {
		id := ids[i]
		for attempt := 1; ; attempt++ {
			cur, found, err := st.get(ctx, id)
			if err != nil || !found {
				return err
			}
			box := maps.Clone(cur.pending)
			touched := false
			for _, c := range byID[id] {
				p, ok := box[c.pendingKey]
				if !ok {
					continue
				}
				touched = true
				if q, keep := edit(p, c); keep {
					box[c.pendingKey] = q
				} else {
					delete(box, c.pendingKey)
				}
			}
			if !touched {
				return nil
			}
			u := newUpdate()
			outboxPlan{box: box}.apply(u)
			if len(box) == 0 && cur.Status == findings.StatusResolved {
				u.remove(AttrOpenScope)
			}
			_, ok, err := st.writeVersioned(ctx, id, cur.Version, u)
			switch {
			case err != nil:
				return fmt.Errorf("%s announced changes of finding %s in table %s: %w", verb, id, st.Table, err)
			case ok:
				return nil
			case attempt >= st.maxAttempts():
				return fmt.Errorf("%s announced changes of finding %s in table %s: still changed by other runs after %d attempts", verb, id, st.Table, attempt)
			}
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
	})
}
