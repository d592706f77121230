// Package coordinator starts organisation audit runs: it lists the
// organisation's accounts, records the run in the ledger and sends one
// message per unit to the units queues (see package orgaudit). It is apart
// from the workers' package so that their bootstraps do not link the
// Organizations and SQS clients.
package coordinator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfaudit/selfaudit/shared/orgaudit"
)

// OrgAPI is what the coordinator reads of AWS Organizations.
type OrgAPI interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListChildren(ctx context.Context, in *organizations.ListChildrenInput, optFns ...func(*organizations.Options)) (*organizations.ListChildrenOutput, error)
}

// QueueAPI is the SQS call the coordinator makes.
type QueueAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var (
	_ OrgAPI   = (*organizations.Client)(nil)
	_ QueueAPI = (*sqs.Client)(nil)
)

// Plan is what a run audits.
type Plan struct {
	// Regions are the regions of the fleet audits; the first is also the
	// IAM scan's. Required.
	Regions []string
	// Scanners default to orgaudit.Scanners().
	Scanners []string
	// Include lists account IDs, OU IDs (ou-...) and root IDs (r-...);
	// empty means every active account. Exclude is applied after.
	Include, Exclude []string
	// Deadline is how long the run may take before it is closed with
	// whatever is left reported lost; default 14 minutes.
	Deadline time.Duration
}

// DefaultDeadline leaves a run a minute inside SQS's longest delay, so
// that one delayed message closes it.
const DefaultDeadline = 14 * time.Minute

// Validate reports a plan no run could follow.
func (p Plan) Validate() error {
	var errs []error
	if len(p.Regions) == 0 {
		errs = append(errs, errors.New("plan: no regions"))
	}
	for _, r := range p.Regions {
		if !orgaudit.ValidRegion(r) {
			errs = append(errs, fmt.Errorf("plan: region %q is not a region name", r))
		}
	}
	for _, s := range p.Scanners {
		if s != orgaudit.ScannerIAM && s != orgaudit.ScannerFleet {
			errs = append(errs, fmt.Errorf("plan: scanner %q: want %s or %s", s, orgaudit.ScannerIAM, orgaudit.ScannerFleet))
		}
	}
	for _, id := range append(slices.Clone(p.Include), p.Exclude...) {
		if !orgaudit.ValidAccount(id) && !strings.HasPrefix(id, "ou-") && !strings.HasPrefix(id, "r-") {
			errs = append(errs, fmt.Errorf("plan: %q is neither an account ID (12 digits) nor an OU (ou-...) or root (r-...) ID", id))
		}
	}
	return errors.Join(errs...)
}

// Coordinator starts runs.
type Coordinator struct {
	Org    OrgAPI
	Queue  QueueAPI
	Ledger orgaudit.Ledger
	// Queues maps a scanner to the URL of its units queue; the deadline
	// message goes to the first scanner's.
	Queues map[string]string
	// SendConcurrency bounds SendMessageBatch calls in flight; 0 means 8.
	SendConcurrency int
	Now             func() time.Time
	NewID           func() string
}

func (c *Coordinator) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// NewRunID is a run ID: the UTC time and 8 random hex digits.
func NewRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Accounts lists the active accounts the plan selects, sorted, and the
// organisation's ARN as the account ARNs give it.
func Accounts(ctx context.Context, org OrgAPI, p Plan) (accounts []string, orgARN string, err error) {
	active := map[string]bool{}
	pg := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{})
	for n := 1; pg.HasMorePages(); n++ {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("list accounts, page %d: %w", n, err)
		}
		for _, a := range out.Accounts {
			if orgARN == "" {
				orgARN = organizationARN(aws.ToString(a.Arn))
			}
			if a.Status == orgtypes.AccountStatusActive || (a.Status == "" && a.State == orgtypes.AccountStateActive) {
				active[aws.ToString(a.Id)] = true
			}
		}
	}
	selected := active
	if len(p.Include) > 0 {
		inc, err := expand(ctx, org, p.Include)
		if err != nil {
			return nil, "", err
		}
		selected = map[string]bool{}
		for a := range inc {
			if active[a] {
				selected[a] = true
			}
		}
	}
	if len(p.Exclude) > 0 {
		exc, err := expand(ctx, org, p.Exclude)
		if err != nil {
			return nil, "", err
		}
		for a := range exc {
			delete(selected, a)
		}
	}
	return slices.Sorted(maps.Keys(selected)), orgARN, nil
}

// organizationARN turns arn:aws:organizations::MGMT:account/o-x/ACCT into
// arn:aws:organizations::MGMT:organization/o-x.
func organizationARN(accountARN string) string {
	head, rest, ok := strings.Cut(accountARN, ":account/")
	if !ok {
		return ""
	}
	orgID, _, _ := strings.Cut(rest, "/")
	return head + ":organization/" + orgID
}

// expand turns account, OU and root IDs into the accounts they hold, OUs
// nested in them included.
func expand(ctx context.Context, org OrgAPI, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	var walk func(parent string, depth int) error
	walk = func(parent string, depth int) error {
		if depth > 10 {
			return fmt.Errorf("OU %s: nested more than 10 deep", parent)
		}
		pa := organizations.NewListAccountsForParentPaginator(org, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		for pa.HasMorePages() {
			page, err := pa.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list accounts of %s: %w", parent, err)
			}
			for _, a := range page.Accounts {
				out[aws.ToString(a.Id)] = true
			}
		}
		pc := organizations.NewListChildrenPaginator(org, &organizations.ListChildrenInput{ParentId: aws.String(parent), ChildType: orgtypes.ChildTypeOrganizationalUnit})
		for pc.HasMorePages() {
			page, err := pc.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list OUs of %s: %w", parent, err)
			}
			for _, ch := range page.Children {
				if err := walk(aws.ToString(ch.Id), depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, id := range ids {
		if orgaudit.ValidAccount(id) {
			out[id] = true
			continue
		}
		if err := walk(id, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Start lists the accounts, records the run and sends its units. A run
// whose units could not all be sent fails; the units sent are audited and
// the deadline reports the rest lost.
func (c *Coordinator) Start(ctx context.Context, p Plan) (orgaudit.Run, error) {
	if err := p.Validate(); err != nil {
		return orgaudit.Run{}, err
	}
	if len(p.Scanners) == 0 {
		p.Scanners = orgaudit.Scanners()
	}
	for _, s := range p.Scanners {
		if c.Queues[s] == "" {
			return orgaudit.Run{}, fmt.Errorf("no units queue for scanner %s", s)
		}
	}
	accounts, orgARN, err := Accounts(ctx, c.Org, p)
	if err != nil {
		return orgaudit.Run{}, err
	}
	now := c.now().UTC()
	deadline := p.Deadline
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	id := NewRunID(now)
	if c.NewID != nil {
		id = c.NewID()
	}
	run := orgaudit.Run{ID: id, Created: now, Deadline: now.Add(deadline), Regions: p.Regions, Scanners: p.Scanners, Accounts: accounts, Organization: orgARN}
	if len(accounts) == 0 {
		return run, errors.New("the plan selects no active account")
	}
	if err := c.Ledger.Create(ctx, run); err != nil {
		return run, fmt.Errorf("record run %s: %w", id, err)
	}
	var msgs []queued
	for _, a := range accounts {
		for _, u := range orgaudit.UnitsOf(id, a, p.Regions, p.Scanners) {
			msgs = append(msgs, queued{queue: c.Queues[u.Scanner], body: orgaudit.Message{Kind: orgaudit.KindUnit, Unit: u}.Body()})
		}
	}
	if err := c.send(ctx, msgs, 0); err != nil {
		return run, fmt.Errorf("send units of run %s: %w", id, err)
	}
	delay := min(int32(deadline/time.Second), 900)
	last := queued{queue: c.Queues[p.Scanners[0]], body: orgaudit.Message{Kind: orgaudit.KindDeadline, Unit: orgaudit.Unit{Run: id}, Deadline: run.Deadline}.Body()}
	if err := c.send(ctx, []queued{last}, delay); err != nil {
		return run, fmt.Errorf("send deadline of run %s: %w", id, err)
	}
	return run, nil
}

type queued struct{ queue, body string }

// send sends msgs ten to a SendMessageBatch per queue, sending again the
// entries SQS failed with backoff.
func (c *Coordinator) send(ctx context.Context, msgs []queued, delay int32) error {
	byQueue := map[string][]string{}
	for _, m := range msgs {
		byQueue[m.queue] = append(byQueue[m.queue], m.body)
	}
	type batch struct {
		queue  string
		bodies []string
	}
	var batches []batch
	for _, q := range slices.Sorted(maps.Keys(byQueue)) {
		bodies := byQueue[q]
		for i := 0; i < len(bodies); i += 10 {
			batches = append(batches, batch{q, bodies[i:min(i+10, len(bodies))]})
		}
	}
	limit := c.SendConcurrency
	if limit <= 0 {
		limit = 8
	}
	sem := make(chan struct{}, limit)
	errs := make([]error, len(batches))
	var wg sync.WaitGroup
	for i, b := range batches {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = c.sendBatch(ctx, b.queue, b.bodies, delay)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (c *Coordinator) sendBatch(ctx context.Context, queue string, bodies []string, delay int32) error {
	left := map[string]string{}
	for i, b := range bodies {
		left[strconv.Itoa(i)] = b
	}
	var last error
	for attempt := 0; attempt < 8 && len(left) > 0; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(50<<min(attempt, 6)) * time.Millisecond):
			}
		}
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(queue)}
		for _, id := range slices.Sorted(maps.Keys(left)) {
			e := sqstypes.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(left[id])}
			if delay > 0 {
				e.DelaySeconds = delay
			}
			in.Entries = append(in.Entries, e)
		}
		out, err := c.Queue.SendMessageBatch(ctx, in)
		if err != nil {
			last = err
			continue
		}
		for _, ok := range out.Successful {
			delete(left, aws.ToString(ok.Id))
		}
		for _, f := range out.Failed {
			last = fmt.Errorf("%s: %s", aws.ToString(f.Code), aws.ToString(f.Message))
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("%d messages not sent to %s: %w", len(left), queue, last)
	}
	return nil
}
