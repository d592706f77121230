package findingstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// observe records that a run over scope saw f at now and returns the
// finding's new state, the change to announce and, with an outbox, the
// earlier changes of the finding it took over for announcement.
//
// It reads the item, decides the next state with Observe and Announce, and
// writes it on condition that the item is still the one read (absent, or at
// the version read). When another run wrote in between, the write fails, the
// item is read again and the decision is made again from what that run left:
// the second of two runs to see a new finding sees it NEW and makes it OPEN,
// announcing nothing.
//
// With an outbox the same write records the change as pending, so that
// deciding a change and queueing its announcement cannot be parted.
func (st *Store) observe(ctx context.Context, scope Scope, f findings.Finding, now time.Time) (Record, Change, []Change, error) {
	suppressed := st.Suppressed != nil && st.Suppressed(f)
	for attempt := 1; ; attempt++ {
		cur, found, err := st.get(ctx, f.ID)
		if err != nil {
			return Record{}, Change{}, nil, err
		}
		live := found && !cur.expired(now)
		version := int64(1)
		if found {
			version = cur.Version + 1
		}
		decided := changeOf(cur, live, Record{Status: Observe(prevStatus(cur, live), suppressed), Severity: f.Severity})
		plan := st.planOutbox(cur, live, decided, version, now)
		in := seenUpdate(st.Table, scope, f, cur, found, suppressed, now)
		plan.apply(&in.update)
		out, err := st.Client.UpdateItem(ctx, in.input())
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			rec, err := decodeRecord(out.Attributes)
			if err != nil {
				return Record{}, Change{}, nil, err
			}
			c := changeOf(cur, live, rec)
			if p, ok := rec.pending[pendingKey(rec.Version)]; ok && c.Kind != ChangeNone && st.Outbox {
				c.pendingKey, c.claimedUntil = pendingKey(rec.Version), p.ClaimedUntil
			}
			return rec, c, plan.changes(rec), nil
		case !errors.As(err, &ccf):
			return Record{}, Change{}, nil, fmt.Errorf("record finding %s in table %s: %w", f.ID, st.Table, err)
		case attempt >= st.maxAttempts():
			return Record{}, Change{}, nil, fmt.Errorf("record finding %s in table %s: still changed by other runs after %d attempts", f.ID, st.Table, attempt)
		}
		if err := backoff(ctx, attempt); err != nil {
			return Record{}, Change{}, nil, fmt.Errorf("record finding %s in table %s: %w", f.ID, st.Table, err)
		}
	}
}

// prevStatus is the stored status a sighting is decided from: none for a
// finding never stored or past its expiry.
func prevStatus(cur Record, live bool) findings.Status {
	if live {
		return cur.Status
	}
	return ""
}

// get reads a finding's item with a strongly consistent read, since the
// decision made from it must be the latest state.
func (st *Store) get(ctx context.Context, id string) (Record, bool, error) {
	out, err := st.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(st.Table),
		Key:            map[string]types.AttributeValue{AttrID: str(id)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("read finding %s from table %s: %w", id, st.Table, err)
	}
	if len(out.Item) == 0 {
		return Record{}, false, nil
	}
	r, err := decodeRecord(out.Item)
	if err != nil {
		return Record{}, false, fmt.Errorf("read finding %s from table %s: %w", id, st.Table, err)
	}
	return r, true, nil
}

// pendingUpdate is an UpdateItem being built: the expression, with its
// condition and key, so that the outbox can be added before it is sent.
type pendingUpdate struct {
	update
	table, id, cond string
}

func (p *pendingUpdate) input() *dynamodb.UpdateItemInput {
	return &dynamodb.UpdateItemInput{
		TableName:                 aws.String(p.table),
		Key:                       map[string]types.AttributeValue{AttrID: str(p.id)},
		UpdateExpression:          aws.String(p.expression()),
		ConditionExpression:       aws.String(p.cond),
		ExpressionAttributeNames:  p.names,
		ExpressionAttributeValues: p.values,
		ReturnValues:              types.ReturnValueAllNew,
	}
}

// seenUpdate is the conditional write recording a sighting of f, decided
// from cur (found false: no item).
func seenUpdate(table string, scope Scope, f findings.Finding, cur Record, found, suppressed bool, now time.Time) *pendingUpdate {
	live := found && !cur.expired(now)
	var prev findings.Status
	if live {
		prev = cur.Status
	}
	next := Observe(prev, suppressed)
	account, region := placeOf(f, scope)

	u := newUpdate()
	u.set(AttrCheck, str(f.Check))
	u.set(AttrSeverity, str(f.Severity.String()))
	u.setS(AttrTitle, f.Title)
	u.setS(AttrRemediation, f.Remediation)
	u.set(AttrResource, str(f.Resource))
	u.setS(AttrAccount, account)
	u.setS(AttrRegion, region)
	u.setS(AttrSource, f.Source)
	u.set(AttrScanner, str(scope.Scanner))
	u.set(AttrScope, str(scope.Key()))
	u.set(AttrTarget, str(TargetOf(f)))
	u.set(AttrOpenScope, str(scope.Key())) // every status Observe returns stands
	u.set(AttrStatus, str(string(next)))
	u.set(AttrEvidence, str(evidenceJSON(f.Evidence)))
	u.remove(AttrExpires) // a standing finding never expires

	if live {
		// Runs may finish out of order: the first and last sightings
		// only ever widen.
		u.set(AttrFirstSeen, str(formatTime(earliest(cur.FirstSeen, now))))
		u.set(AttrLastSeen, str(formatTime(latest(cur.LastSeen, now))))
		if next != prev {
			u.set(AttrStatusChangedAt, str(formatTime(now)))
			u.set(AttrPreviousStatus, str(string(prev)))
		}
		u.set(AttrOccurrences, num(cur.Occurrences+1))
	} else {
		u.set(AttrFirstSeen, str(formatTime(now)))
		u.set(AttrLastSeen, str(formatTime(now)))
		u.set(AttrStatusChangedAt, str(formatTime(now)))
		u.remove(AttrPreviousStatus)
		u.set(AttrOccurrences, num(1))
	}

	var cond string
	if found {
		u.set(AttrVersion, num(cur.Version+1))
		cond = u.name(AttrVersion) + " = " + u.value(num(cur.Version))
	} else {
		u.set(AttrVersion, num(1))
		cond = "attribute_not_exists(" + u.name(AttrID) + ")"
	}
	return &pendingUpdate{update: *u, table: table, id: f.ID, cond: cond}
}

// changeOf is the change a sighting made, from the state it was decided on
// (live false: no finding, or one past its expiry).
func changeOf(cur Record, live bool, rec Record) Change {
	var prev findings.Status
	if live {
		prev = cur.Status
	}
	sevChanged := live && cur.Severity != rec.Severity
	c := Change{Kind: Announce(prev, rec.Status, sevChanged), PreviousStatus: prev, Record: rec}
	if c.Kind == ChangeSeverity {
		c.PreviousSeverity = cur.Severity
	}
	return c
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// backoff waits a little, more with each attempt and with jitter, so that
// runs contending for one item stop colliding.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(min(attempt, 6)) * 10 * time.Millisecond
	d += rand.N(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
