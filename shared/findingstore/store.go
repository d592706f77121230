package findingstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// DynamoAPI is the part of the DynamoDB client the store uses.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ DynamoAPI = (*dynamodb.Client)(nil)
var _ dynamodb.QueryAPIClient = DynamoAPI(nil)

// ResolvedRetention is how long a resolved finding is kept before the
// table's TTL removes it; a finding seen again before then is REOPENED,
// after then it is NEW.
const ResolvedRetention = 90 * 24 * time.Hour

// Store keeps findings in one DynamoDB table with the layout CreateTable
// makes: one item per finding, keyed by its stable id.
type Store struct {
	Client DynamoAPI
	Table  string
	// Suppressed reports whether a suppression matches a finding; such a
	// finding is stored as SUPPRESSED and never announced. Nil means no
	// suppressions. It is called from several goroutines at once.
	Suppressed func(findings.Finding) bool
	// Concurrency bounds the writes in flight; 0 means 8.
	Concurrency int
	// PageSize limits the items of one page of the scope query; 0 leaves
	// DynamoDB's 1 MB pages.
	PageSize int32
	// MaxAttempts bounds how often the write for one finding is tried
	// when other runs keep winning; 0 means 20.
	MaxAttempts int
	// Outbox makes the write that decides a change also record it as
	// pending on the item, until Acknowledge clears it once the bus has
	// accepted it, and makes a reconcile take over the pending changes it
	// finds whose announcing run gave up (Result.Pending). Delivery sets
	// it; a caller that announces nothing (the command line prints its
	// changes) leaves it off.
	Outbox bool
	// ClaimTimeout is how long a run has to announce a change it decided
	// or took over before another run may; 0 means DefaultClaimTimeout.
	ClaimTimeout time.Duration
}

// Change is one change of a finding the caller announces: one event on the
// findings bus each.
type Change struct {
	Kind ChangeKind
	// PreviousStatus is the status before this run's write; empty for a
	// NEW finding.
	PreviousStatus findings.Status
	// PreviousSeverity is set for a severity change.
	PreviousSeverity findings.Severity
	// Record is the finding's state after the change: status, firstSeen,
	// lastSeen and occurrences for the event's detail.
	Record Record

	// pendingKey names the change in the item's outbox; empty without
	// one. claimedUntil is the claim this run holds on it.
	pendingKey   string
	claimedUntil time.Time
}

// Unread is a standing finding left as it was because its part of the
// scope could not be read.
type Unread struct {
	ID, Target string
	Severity   findings.Severity
	Status     findings.Status
	Gap        Gap
}

// Result is what a reconcile did.
type Result struct {
	// Changes lists what to announce: the changes of the findings seen,
	// in the order given, then the resolutions.
	Changes []Change
	// Pending lists changes earlier runs decided but never had
	// acknowledged as announced (see Store.Outbox), now claimed by this
	// run to announce again, each with the status and severity it was
	// decided with. They precede Changes: for one finding they are older.
	Pending []Change
	// Seen is the state of every finding seen, in the order given
	// (duplicate IDs once), so output can carry status and first and last
	// sighting.
	Seen []Record
	// Resolved is every finding this run resolved, suppressed ones
	// included, to be listed with the run's findings.
	Resolved []Record
	// Unread lists the standing findings the run left alone because it
	// could not read their part of the scope.
	Unread []Unread
}

// Reconcile records every finding of a run over scope and resolves the
// standing findings of exactly that scope the run did not see, except in
// the parts it could not read. A run that read nothing at all must say so
// with a Gap covering everything, or its empty list of findings resolves
// the whole scope.
//
// Each change in the result was decided by the conditional write that won,
// so concurrent runs announce it once between them. On error the result
// still holds every change already written: announce those, since no later
// run will see them as changes again. Resolution is skipped when a finding
// could not be recorded, so a failed write never passes for a fix.
func (st *Store) Reconcile(ctx context.Context, scope Scope, fs []findings.Finding, now time.Time) (Result, error) {
	res, err := st.record(ctx, scope, fs, now)
	if err != nil {
		return res, err
	}
	seen := make(map[string]bool, len(res.Seen))
	for _, r := range res.Seen {
		seen[r.ID] = true
	}
	err = st.resolve(ctx, scope, seen, now, &res)
	return res, err
}

// record records every finding of a run, the first half of Reconcile.
func (st *Store) record(ctx context.Context, scope Scope, fs []findings.Finding, now time.Time) (Result, error) {
	if err := scope.Validate(); err != nil {
		return Result{}, err
	}
	fs = findings.Dedupe(fs)
	for _, f := range fs {
		if err := f.Validate(); err != nil {
			return Result{}, fmt.Errorf("reconcile %s: %w", scope.Key(), err)
		}
	}
	seen := make([]Record, len(fs))
	changes := make([]Change, len(fs))
	pending := make([][]Change, len(fs))
	err := st.each(ctx, len(fs), func(i int) error {
		var err error
		seen[i], changes[i], pending[i], err = st.observe(ctx, scope, fs[i], now)
		return err
	})
	var res Result
	for i := range fs {
		res.Pending = append(res.Pending, pending[i]...)
		if seen[i].ID != "" {
			res.Seen = append(res.Seen, seen[i])
		}
		if changes[i].Kind != ChangeNone {
			res.Changes = append(res.Changes, changes[i])
		}
	}
	return res, err
}

// Open counts the findings that stand after a run over a whole scope and
// are not suppressed, by severity: the gauge of open findings. Every
// severity is present. After a targeted run it counts the targets only.
func (r Result) Open() findings.Summary {
	s := findings.Summarize(nil)
	for _, rec := range r.Seen {
		if rec.Status.Standing() && rec.Status != findings.StatusSuppressed {
			s[rec.Severity.String()]++
		}
	}
	for _, u := range r.Unread {
		if u.Status.Standing() && u.Status != findings.StatusSuppressed {
			s[u.Severity.String()]++
		}
	}
	return s
}

// each runs fn for 0..n-1 with at most Concurrency calls at once and joins
// their errors. It stops starting new calls once ctx is done.
func (st *Store) each(ctx context.Context, n int, fn func(i int) error) error {
	limit := st.Concurrency
	if limit <= 0 {
		limit = 8
	}
	errs := make([]error, n)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (st *Store) maxAttempts() int {
	if st.MaxAttempts <= 0 {
		return 20
	}
	return st.MaxAttempts
}
