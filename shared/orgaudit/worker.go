package orgaudit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
)

// ConfigSource hands out the configuration of a member account and region;
// *Roles implements it. A *NotCoveredError says the account cannot be
// entered.
type ConfigSource interface {
	Config(ctx context.Context, account, region string) (aws.Config, error)
}

var _ ConfigSource = (*Roles)(nil)

// Scan is what a unit's scanner read.
type Scan struct {
	Findings []findings.Finding
	// Scope is the part of the account the scan read, in which the
	// finding store resolves what it did not see.
	Scope findingstore.Scope
	// Source names the scanner in the metrics.
	Source string
	// Err reports parts the scan could not read (throttling it gave up
	// on, say). The findings are delivered, and the unit fails so that
	// it is tried again.
	Err error
	// AdminUsers, when not nil, are the account's administrator users a
	// complete IAM scan found; the worker records them in the finding
	// store for the CloudTrail checker (an organisation trail's
	// sign-ins).
	AdminUsers []string
}

// UnitScanner runs one scanner over the account and region of cfg.
// iamunit and fleetunit adapt the IAM scanner and the fleet auditor. A
// *NotCoveredError marks the unit not covered (the role lacks the
// permissions); any other error fails it.
type UnitScanner interface {
	Scan(ctx context.Context, cfg aws.Config, u Unit) (Scan, error)
}

// Worker audits units.
type Worker struct {
	Roles    ConfigSource
	Scanners map[string]UnitScanner
	Ledger   Ledger
	// Delivery reconciles and announces each unit's findings; its Source
	// is taken from the scan.
	Delivery  findingstore.Delivery
	Completer *Completer
	Now       func() time.Time
}

// Outcome is what handling one message did.
type Outcome struct {
	State string // the unit's state after the message
	// Skipped is true for a redelivered unit already marked.
	Skipped   bool
	Findings  int
	Announced int
	// Completed is the run's coverage when this message completed it.
	Completed *Coverage
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// Handle audits the unit of m, or completes the run on its deadline
// message. An error means the message should be delivered again.
func (w *Worker) Handle(ctx context.Context, m Message) (Outcome, error) {
	if m.Kind == KindDeadline {
		if !m.Deadline.IsZero() && w.now().Before(m.Deadline) {
			// SQS delays a message 15 minutes at most: a longer run's
			// deadline message comes early and waits out the rest in
			// the queue, one visibility timeout at a time.
			return Outcome{}, fmt.Errorf("run %s: deadline %s not reached yet", m.Run, m.Deadline.Format(time.RFC3339))
		}
		cov, err := w.Completer.Complete(ctx, m.Run, true)
		return Outcome{Completed: cov}, err
	}
	u := m.Unit
	log := zerolog.Ctx(ctx).With().Str("unit", u.String()).Logger()
	state, accountDone, err := w.Ledger.State(ctx, u)
	if err != nil {
		return Outcome{}, fmt.Errorf("unit %s: %w", u, err)
	}
	if state != StatePending {
		// A redelivery: the unit was audited and counted. Finish the
		// bookkeeping in case the first delivery stopped before it.
		out := Outcome{State: state, Skipped: true}
		if accountDone {
			out.Completed, err = w.finishAccount(ctx, u)
		}
		return out, err
	}
	scanner := w.Scanners[u.Scanner]
	if scanner == nil {
		return Outcome{}, fmt.Errorf("unit %s: this worker runs no %s", u, u.Scanner)
	}
	cfg, err := w.Roles.Config(ctx, u.Account, u.Region)
	var nc *NotCoveredError
	if errors.As(err, &nc) {
		log.Warn().Str("reason", nc.Reason).Msg("unit not covered")
		return w.mark(ctx, u, Mark{State: StateNotCovered, Reason: nc.Reason}, Outcome{})
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("unit %s: %w", u, err)
	}
	scan, err := scanner.Scan(ctx, cfg, u)
	if errors.As(err, &nc) {
		log.Warn().Str("reason", nc.Reason).Msg("unit not covered")
		return w.mark(ctx, u, Mark{State: StateNotCovered, Reason: nc.Reason}, Outcome{})
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("unit %s: %w", u, err)
	}
	d := w.Delivery
	d.Source = scan.Source
	now := w.now()
	delivered, err := d.Deliver(ctx, scan.Scope, scan.Findings, now)
	out := Outcome{Findings: len(scan.Findings), Announced: delivered.Announced}
	if err = errors.Join(err, scan.Err); err != nil {
		return out, fmt.Errorf("unit %s: %w", u, err)
	}
	if scan.AdminUsers != nil && d.Store != nil {
		if err := d.Store.PutAdminUsers(ctx, u.Account, scan.AdminUsers, now); err != nil {
			log.Warn().Err(err).Msg("administrator users of the member account not recorded")
		}
	}
	t := Tally{}
	if s := delivered.State; s != nil {
		t.New, t.Resolved = s.New+s.Reopened, s.Resolved
		for _, n := range s.Open {
			t.Open += n
		}
	} else {
		t.New, t.Open = delivered.Announced, delivered.Announced
	}
	return w.mark(ctx, u, Mark{State: StateDone, Tally: t}, out)
}

func (w *Worker) mark(ctx context.Context, u Unit, m Mark, out Outcome) (Outcome, error) {
	res, err := w.Ledger.Mark(ctx, u, m)
	if err != nil {
		return out, fmt.Errorf("mark unit %s %s: %w", u, m.State, err)
	}
	out.State, out.Skipped = res.State, !res.Won
	if res.AccountDone {
		out.Completed, err = w.finishAccount(ctx, u)
	}
	return out, err
}

// finishAccount counts the unit's account finished and completes the run
// when it was the last.
func (w *Worker) finishAccount(ctx context.Context, u Unit) (*Coverage, error) {
	finished, expected, err := w.Ledger.FinishAccount(ctx, u.Run, u.Account)
	if err != nil {
		return nil, fmt.Errorf("finish account %s of run %s: %w", u.Account, u.Run, err)
	}
	if finished < expected || w.Completer == nil {
		return nil, nil
	}
	return w.Completer.Complete(ctx, u.Run, false)
}

// SQSRecord is the part of an SQS event record a worker reads.
type SQSRecord struct {
	MessageID   string `json:"messageId"`
	Body        string `json:"body"`
	EventSource string `json:"eventSource"`
}

// SQSBatch is an SQS event as Lambda's event source mapping delivers it.
type SQSBatch struct {
	Records []SQSRecord `json:"Records"`
}

// BatchItemFailure names a record to deliver again, in the response
// shape of ReportBatchItemFailures.
type BatchItemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

// HandleSQS handles a batch of messages from the units queue and returns
// the ones to deliver again (ReportBatchItemFailures): a malformed
// message, or a unit that failed. Records are handled in turn; Lambda's
// concurrency, capped by the event source mapping's MaximumConcurrency,
// is what runs units in parallel.
func (w *Worker) HandleSQS(ctx context.Context, ev SQSBatch) []BatchItemFailure {
	failures := []BatchItemFailure{}
	log := zerolog.Ctx(ctx)
	for _, rec := range ev.Records {
		m, err := ParseMessage([]byte(rec.Body))
		if err == nil {
			_, err = w.Handle(ctx, m)
		}
		if err != nil {
			log.Error().Err(err).Str("messageId", rec.MessageID).Msg("unit failed; SQS delivers it again")
			failures = append(failures, BatchItemFailure{ItemIdentifier: rec.MessageID})
		}
	}
	return failures
}
