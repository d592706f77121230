package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/selfaudit/selfaudit/shared/awsconfig/chain"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/tracing"
)

// The scanner names of the scopes the commands reconcile that no function
// shares. The IAM and fleet commands use the names of the stack's
// functions (iamscan.StoreScanner, fleet.StoreScanner), so that a run from
// a laptop and the daily run agree on one table about the same account and
// region.
const (
	scannerScan      = "selfaudit-scan"
	scannerTrail     = "selfaudit-trail"
	tableCreateLimit = 2 * time.Minute
)

// stateFlags are --state-table and --new-only, shared by the commands that
// report findings about something that can be fixed.
type stateFlags struct {
	table   string
	newOnly bool
}

// register adds the flags; scope says, for the command's help, what a run
// covers and so what it may resolve.
func (s *stateFlags) register(fs *flag.FlagSet, scope string) {
	fs.StringVar(&s.table, "state-table", "", "DynamoDB table that remembers findings between runs, created when missing (AWS_ENDPOINT_URL_DYNAMODB reaches a local DynamoDB): each finding gets a status, NEW, OPEN or REOPENED, with firstSeen and lastSeen; "+scope)
	fs.BoolVar(&s.newOnly, "new-only", false, "with --state-table: --fail-on counts only NEW and REOPENED findings, so a pipeline gates on what a change introduced")
}

// parse validates the two flags together.
func (s *stateFlags) parse() error {
	if s.newOnly && s.table == "" {
		return errors.New("--new-only needs --state-table: without remembered findings every finding is new")
	}
	if s.table != "" && !findingstore.ValidTableName(s.table) {
		return fmt.Errorf("--state-table %q is not a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -)", s.table)
	}
	return nil
}

// enabled reports whether the run keeps state.
func (s *stateFlags) enabled() bool { return s.table != "" }

// openStore returns the store on table, creating the table with the
// stack's layout when it does not exist yet; created says it was made now.
// The client comes from cfg, so AWS_ENDPOINT_URL_DYNAMODB points it at a
// local DynamoDB.
func openStore(ctx context.Context, cfg aws.Config, table string) (st *findingstore.Store, created bool, err error) {
	client := dynamodb.NewFromConfig(cfg)
	_, err = client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var nf *types.ResourceNotFoundException
	created = errors.As(err, &nf)
	// Any other error of DescribeTable, CreateTable reports better.
	if err := findingstore.CreateTable(ctx, client, table, tableCreateLimit); err != nil {
		return nil, false, err
	}
	return &findingstore.Store{Client: client, Table: table}, created, nil
}

// loadAWS loads the configuration the way every live command does.
func loadAWS(ctx context.Context) (aws.Config, error) {
	return chain.Load(ctx, tracing.Noop{})
}

// caller is the identity the credentials belong to: the account a live
// command reads, and the partition its ARNs are in.
type caller struct {
	account, partition string
}

// whoAmI asks STS for the account the credentials belong to, which is the
// account a live scan reads.
func whoAmI(ctx context.Context, cfg aws.Config) (caller, error) {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return caller{}, fmt.Errorf("learn the account (sts:GetCallerIdentity): %w", err)
	}
	c := caller{account: aws.ToString(out.Account), partition: "aws"}
	if a, err := arn.Parse(aws.ToString(out.Arn)); err == nil && a.Partition != "" {
		c.partition = a.Partition
	}
	if c.account == "" {
		return caller{}, errors.New("learn the account (sts:GetCallerIdentity): no account in the answer")
	}
	return c, nil
}

// reconciled is what a run with --state-table reports: the run's findings
// with their status, then the findings it resolved.
type reconciled struct {
	standing []findings.Tracked
	resolved []findings.Tracked
	notes    []string
}

// withState opens (or creates) the findings table and reconciles the run's
// findings over scope now; the findings pol suppresses are recorded
// SUPPRESSED.
func withState(ctx context.Context, cfg aws.Config, table string, scope findingstore.Scope, fs []findings.Finding, pol *policy) (reconciled, error) {
	st, created, err := openStore(ctx, cfg, table)
	if err != nil {
		return reconciled{}, err
	}
	pol.decide(fs)
	st.Suppressed = pol.suppressed
	rec, err := reconcile(ctx, st, scope, fs, time.Now().UTC(), false)
	if err != nil {
		return reconciled{}, err
	}
	if created {
		rec.notes = append(rec.notes, fmt.Sprintf("created findings table %s", table))
	}
	return rec, nil
}

// reconcile records a run's findings in the store and resolves what the
// scope no longer shows. quietGaps leaves out the note about findings left
// alone in unreadable parts, for runs (trail) whose gaps are by design.
func reconcile(ctx context.Context, st *findingstore.Store, scope findingstore.Scope, fs []findings.Finding, now time.Time, quietGaps bool) (reconciled, error) {
	res, err := st.Reconcile(ctx, scope, fs, now)
	if err != nil {
		return reconciled{}, fmt.Errorf("findings table %s: %w", st.Table, err)
	}
	byID := make(map[string]findingstore.Record, len(res.Seen))
	for _, r := range res.Seen {
		byID[r.ID] = r
	}
	var out reconciled
	for _, f := range findings.Dedupe(fs) {
		r, ok := byID[f.ID]
		if !ok {
			continue
		}
		out.standing = append(out.standing, r.Tracked(f))
	}
	for _, r := range res.Resolved {
		out.resolved = append(out.resolved, r.Tracked(r.Finding()))
	}
	if !quietGaps {
		out.notes = unreadNotes(res.Unread)
	}
	return out, nil
}

// unreadNotes says, per reason, how many standing findings a run left as
// they were because it could not read their part of the scope.
func unreadNotes(unread []findingstore.Unread) []string {
	by := map[string]int{}
	for _, u := range unread {
		by[u.Gap.Reason]++
	}
	reasons := make([]string, 0, len(by))
	for r := range by {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	var notes []string
	for _, r := range reasons {
		notes = append(notes, fmt.Sprintf("%d remembered findings neither confirmed nor resolved: their part could not be read (%s)", by[r], r))
	}
	return notes
}

// withEventState is withState for CloudTrail findings, which are events,
// not states: an event that happened does not stop having happened because
// a later run read other files, so no trail run may resolve one by not
// seeing it; and nothing would ever resolve it either, so a recorded event
// must not stand in the table for good.
//
// So each event finding is recorded and then closed at once: the first
// reconcile records the run's findings and, every part of its scope marked
// unreadable, resolves nothing; the second, over the same targets a moment
// later, closes them (RESOLVED in the table, which removes them
// findingstore.ResolvedRetention later). A finding the table knows, from
// a re-read file or an overlapping --lookup window, comes back REOPENED
// from the store and is reported OPEN: seen before, not new, and so not
// counted by --new-only. One the table does not know is NEW. The closing
// is bookkeeping and lists nothing as resolved.
func withEventState(ctx context.Context, cfg aws.Config, table string, fs []findings.Finding, pol *policy) (reconciled, error) {
	st, created, err := openStore(ctx, cfg, table)
	if err != nil {
		return reconciled{}, err
	}
	pol.decide(fs)
	st.Suppressed = pol.suppressed
	now := time.Now().UTC()
	record := eventScope(fs)
	record.Unreadable = []findingstore.Gap{{Prefix: true, Reason: "CloudTrail findings are events: not seeing one again does not resolve it"}}
	rec, err := reconcile(ctx, st, record, fs, now, true)
	if err != nil {
		return reconciled{}, err
	}
	// The store writes instants to the millisecond and resolves only what
	// was last seen before the run's instant.
	if _, err := st.Reconcile(ctx, eventScope(fs), nil, now.Add(time.Millisecond)); err != nil {
		return reconciled{}, fmt.Errorf("findings table %s: close recorded events: %w", table, err)
	}
	for i := range rec.standing {
		if st := rec.standing[i].Status; st != findings.StatusNew && st != findings.StatusSuppressed {
			rec.standing[i].Status = findings.StatusOpen
		}
	}
	rec.resolved = nil
	if created {
		rec.notes = append(rec.notes, fmt.Sprintf("created findings table %s", table))
	}
	return rec, nil
}

// eventScope is the scope of a trail run: the targets of its own findings,
// so that the store looks at those only instead of at every event finding
// recorded and not yet expired. Its scanner name is the command's, apart
// from the stack's CloudTrail function, so a run from a laptop closes only
// what such runs recorded.
func eventScope(fs []findings.Finding) findingstore.Scope {
	targets := make([]string, len(fs))
	for i, f := range fs {
		targets[i] = findingstore.TargetOf(f)
	}
	return findingstore.Scope{Scanner: scannerTrail, Targets: distinct(targets)}
}

// distinct returns the strings of ss once each, sorted.
func distinct(ss []string) []string {
	set := make(map[string]bool, len(ss))
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if !set[s] {
			set[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
