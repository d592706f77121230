package findingstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// candidate is a standing finding of the scope, as the index shows it.
type candidate struct {
	id, target string
	severity   findings.Severity
	status     findings.Status
}

// resolve resolves the standing findings of scope that are not in seen and
// not in an unreadable part, adding them to res.
func (st *Store) resolve(ctx context.Context, scope Scope, seen map[string]bool, now time.Time, res *Result) error {
	cands, err := st.standing(ctx, scope)
	if err != nil {
		return err
	}
	var todo, flush []candidate
	for _, c := range cands {
		if seen[c.id] {
			continue
		}
		if c.status == findings.StatusResolved {
			// Resolved, but kept in the index until its resolution
			// is acknowledged as announced.
			flush = append(flush, c)
			continue
		}
		if g, ok := scope.gap(c.target); ok {
			res.Unread = append(res.Unread, Unread{ID: c.id, Target: c.target, Severity: c.severity, Status: c.status, Gap: g})
			continue
		}
		todo = append(todo, c)
	}
	var flushErr error
	if st.Outbox {
		again := make([][]Change, len(flush))
		flushErr = st.each(ctx, len(flush), func(i int) error {
			var err error
			again[i], err = st.claimResolved(ctx, flush[i].id, now)
			return err
		})
		for _, cs := range again {
			res.Pending = append(res.Pending, cs...)
		}
	}
	done := make([]Change, len(todo))
	again := make([][]Change, len(todo))
	err = st.each(ctx, len(todo), func(i int) error {
		var err error
		done[i], again[i], err = st.resolveOne(ctx, scope, todo[i].id, now)
		return err
	})
	for _, cs := range again {
		res.Pending = append(res.Pending, cs...)
	}
	for _, c := range done {
		if c.Record.ID == "" {
			continue // another run got there first
		}
		res.Resolved = append(res.Resolved, c.Record)
		if c.Kind != ChangeNone {
			res.Changes = append(res.Changes, c)
		}
	}
	return errors.Join(flushErr, err)
}

// standing lists the standing findings of scope from the index, page by
// page: one query for the whole scope, or one per target.
func (st *Store) standing(ctx context.Context, scope Scope) ([]candidate, error) {
	queries := []*dynamodb.QueryInput{st.scopeQuery(scope.Key(), "")}
	if len(scope.Targets) > 0 {
		queries = queries[:0]
		for _, t := range scope.Targets {
			queries = append(queries, st.scopeQuery(scope.Key(), t))
		}
	}
	var out []candidate
	for _, q := range queries {
		p := dynamodb.NewQueryPaginator(st.Client, q)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list standing findings of %s in table %s: %w", scope.Key(), st.Table, err)
			}
			for _, it := range page.Items {
				c, err := decodeCandidate(it)
				if err != nil {
					return nil, fmt.Errorf("list standing findings of %s in table %s: %w", scope.Key(), st.Table, err)
				}
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// decodeCandidate reads an index item.
func decodeCandidate(it map[string]types.AttributeValue) (candidate, error) {
	d := decoder{item: it}
	c := candidate{id: d.str(AttrID, true), target: d.str(AttrTarget, true)}
	sev, err := findings.ParseSeverity(d.str(AttrSeverity, true))
	d.fail(AttrSeverity, err)
	st, err := findings.ParseStatus(d.str(AttrStatus, true))
	d.fail(AttrStatus, err)
	c.severity, c.status = sev, st
	if d.err != nil {
		return candidate{}, fmt.Errorf("index item %q: %w", c.id, d.err)
	}
	return c, nil
}

// scopeQuery queries the index for the standing findings of a scope key,
// narrowed to one target unless target is empty.
func (st *Store) scopeQuery(key, target string) *dynamodb.QueryInput {
	u := newUpdate()
	cond := u.name(AttrOpenScope) + " = " + u.value(str(key))
	if target != "" {
		cond += " AND " + u.name(AttrTarget) + " = " + u.value(str(target))
	}
	q := &dynamodb.QueryInput{
		TableName:                 aws.String(st.Table),
		IndexName:                 aws.String(IndexOpenByScope),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  u.names,
		ExpressionAttributeValues: u.values,
	}
	if st.PageSize > 0 {
		q.Limit = aws.Int32(st.PageSize)
	}
	return q
}

// resolveOne resolves one finding, on condition that it still stands in
// this scope and was not seen since the run began: the index is eventually
// consistent and other runs may have seen it meanwhile. The decision is
// made on a consistent read and written on condition that the item is still
// at the version read; when another run wrote in between it is made again.
// A zero Change says there is nothing to announce: another run decided.
//
// With an outbox the resolution is recorded as pending, and the finding
// keeps its place in the scope's index until the announcement is
// acknowledged, so that a later run finds it if the announcement is lost.
// The earlier pending changes of the finding that may be announced again
// are returned too.
func (st *Store) resolveOne(ctx context.Context, scope Scope, id string, now time.Time) (Change, []Change, error) {
	for attempt := 1; ; attempt++ {
		cur, found, err := st.get(ctx, id)
		if err != nil {
			return Change{}, nil, err
		}
		if !found || cur.openScope != scope.Key() || !cur.Status.Standing() || !cur.LastSeen.Before(now) {
			return Change{}, nil, nil
		}
		decided := Change{Kind: Announce(cur.Status, findings.StatusResolved, false), PreviousStatus: cur.Status,
			Record: Record{Status: findings.StatusResolved, Severity: cur.Severity}}
		plan := st.planOutbox(cur, true, decided, cur.Version+1, now)
		u := newUpdate()
		u.set(AttrStatus, str(string(findings.StatusResolved)))
		u.set(AttrPreviousStatus, str(string(cur.Status)))
		u.set(AttrStatusChangedAt, str(formatTime(now)))
		u.set(AttrExpires, num(now.Add(ResolvedRetention).Unix()))
		plan.apply(u)
		if len(plan.box) == 0 {
			u.remove(AttrOpenScope) // nothing to announce: leave the index
		}
		rec, ok, err := st.writeVersioned(ctx, id, cur.Version, u)
		switch {
		case err != nil:
			return Change{}, nil, fmt.Errorf("resolve finding %s in table %s: %w", id, st.Table, err)
		case ok:
			c := Change{Kind: Announce(rec.PreviousStatus, rec.Status, false), PreviousStatus: rec.PreviousStatus, Record: rec}
			if p, ok := rec.pending[pendingKey(rec.Version)]; ok && c.Kind != ChangeNone && st.Outbox {
				c.pendingKey, c.claimedUntil = pendingKey(rec.Version), p.ClaimedUntil
			}
			return c, plan.changes(rec), nil
		case attempt >= st.maxAttempts():
			return Change{}, nil, fmt.Errorf("resolve finding %s in table %s: still changed by other runs after %d attempts", id, st.Table, attempt)
		}
		if err := backoff(ctx, attempt); err != nil {
			return Change{}, nil, fmt.Errorf("resolve finding %s in table %s: %w", id, st.Table, err)
		}
	}
}
