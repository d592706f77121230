package findingstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/lambdamain/env"
)

// EnvTable is the variable that names the findings table. The stack sets
// it for the posture functions (the IAM scanner, the fleet auditor); a
// function without it keeps no state and announces every finding NEW, as
// before the table existed.
const EnvTable = "FINDINGS_TABLE_NAME"

// ValidTableName reports whether name is a DynamoDB table name (3 to 255
// of A-Z a-z 0-9 _ . -), so that a mistyped name is refused before the
// first run rather than by DynamoDB. A loop, not a regular expression:
// a package-level one would be compiled at every cold start.
func ValidTableName(name string) bool {
	if len(name) < 3 || len(name) > 255 {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

// FromEnv returns the store on the table FINDINGS_TABLE_NAME names, nil
// when the variable is unset, or an *env.Error when it names no table.
func FromEnv(cfg aws.Config, getenv func(string) string) (*Store, error) {
	r := env.New(getenv)
	name := r.String(EnvTable, "")
	if name != "" && !ValidTableName(name) {
		r.Fail(EnvTable, name, "a DynamoDB table name: 3 to 255 of A-Z a-z 0-9 _ . -")
	}
	if err := r.Err(); err != nil || name == "" {
		return nil, err
	}
	return &Store{Client: dynamodb.NewFromConfig(cfg), Table: name}, nil
}

// Tracked is f as the store knows it after this run: its status and when
// it was decided, first and last sighting and occurrences.
func (r Record) Tracked(f findings.Finding) findings.Tracked {
	return findings.Tracked{Finding: f, Status: r.Status, StatusChangedAt: r.StatusChangedAt,
		FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Occurrences: r.Occurrences}
}

// Tracked is the event that announces the change: f (the finding as the
// run saw it, or as the store remembers it for a resolution) with its new
// status and what it was before.
func (c Change) Tracked(f findings.Finding) findings.Tracked {
	t := c.Record.Tracked(f)
	t.PreviousStatus = c.PreviousStatus
	t.PreviousSeverity = c.PreviousSeverity
	return t
}

// Delivery is where a posture run's findings go: the findings bus, the
// run's metrics and, when the run keeps state, the store that decides
// which of them are news.
type Delivery struct {
	// Store remembers findings between runs; nil keeps no state.
	Store *Store
	// Bus receives one event per announced finding.
	Bus findings.Announcer
	// Metrics receives the Embedded Metric Format lines (stdout in
	// Lambda); nil writes none.
	Metrics io.Writer
	// Source is the metrics' Source dimension.
	Source string
	// Suppressed reports whether a suppression accepts a finding; nil
	// accepts none. A suppressed finding is never announced: the store
	// records it SUPPRESSED (Store.Suppressed), a run without one leaves
	// it out. The metrics count it apart (findings.MetricSuppressed), not
	// in Findings and FindingsTotal.
	Suppressed func(findings.Finding) bool
}

// Outcome is what a delivery did.
type Outcome struct {
	// Announced is the number of finding events published.
	Announced int
	// Reannounced is how many of them announce changes an earlier run
	// decided but whose announcement was never acknowledged.
	Reannounced int
	// State counts the changes announced and, after a run over a whole
	// scope, the findings standing by severity; nil without a store.
	State *findings.StatusMetrics
	// Unread lists the standing findings left as they were because the
	// run could not read their part of the scope.
	Unread []Unread
	// Suppressed is the number of the run's findings a suppression
	// accepts.
	Suppressed int
}

// Deliver announces a run's findings and writes its metrics.
//
// Without a store every finding is announced NEW. With one, the findings
// are reconciled over scope (Store.Reconcile) and only the changes are
// announced: NEW, REOPENED, RESOLVED and severity changes, one event each,
// so a run in which nothing changed publishes nothing. A reconcile that
// fails part way still announces the changes it made, and then fails.
//
// The store keeps every change it decides as pending on the finding (the
// outbox, Store.Outbox) until the bus has accepted its announcement, when
// Deliver acknowledges it. A run whose announcement fails releases its
// claim on those changes and fails; the next run in the scope (a retry,
// or the next day's run) announces them again, before its own changes.
// So a change is announced at least once, and twice only when the bus
// accepted it but the acknowledgement could not be written.
//
// Either way the finding metrics (findings.WriteEMF) count every finding
// seen, and a run with a store adds its StatusMetrics. A failed publish is
// returned before any metric is written; a failed metrics write is only
// logged, on the logger in ctx, since metrics must never cost findings.
func (d Delivery) Deliver(ctx context.Context, scope Scope, fs []findings.Finding, now time.Time) (Outcome, error) {
	log := zerolog.Ctx(ctx)
	counted, suppressed := d.split(fs)
	if d.Store == nil {
		if err := d.Bus.Announce(ctx, findings.AsNew(counted)); err != nil {
			return Outcome{}, err
		}
		d.writeMetrics(ctx, counted, suppressed, nil, now)
		return Outcome{Announced: len(counted), Suppressed: suppressed}, nil
	}
	st := *d.Store
	st.Outbox = true
	if d.Suppressed != nil {
		st.Suppressed = d.Suppressed
	}
	res, recErr := st.Reconcile(ctx, scope, fs, now)
	byID := make(map[string]findings.Finding, len(fs))
	for _, f := range fs {
		byID[f.ID] = f
	}
	state := &findings.StatusMetrics{}
	changes := append(res.Pending[:len(res.Pending):len(res.Pending)], res.Changes...)
	events := make([]findings.Tracked, 0, len(changes))
	for _, c := range changes {
		f, seen := byID[c.Record.ID]
		if !seen {
			f = c.Record.Finding()
		}
		// A change decided by an earlier run is announced at the
		// severity it was decided with.
		f.Severity = c.Record.Severity
		events = append(events, c.Tracked(f))
		switch c.Kind {
		case ChangeNew:
			state.New++
		case ChangeReopened:
			state.Reopened++
		case ChangeResolved:
			state.Resolved++
		case ChangeSeverity:
			state.SeverityChanged++
		}
	}
	if recErr == nil && len(scope.Targets) == 0 {
		state.Open = res.Open()
	}
	out := Outcome{State: state, Unread: res.Unread, Suppressed: suppressed}
	if len(res.Pending) > 0 {
		again := make([]string, len(res.Pending))
		for i, c := range res.Pending {
			again[i] = string(c.Kind) + " " + c.Record.ID
		}
		log.Info().Strs("changes", again).Msg("announcing changes an earlier run recorded but did not announce")
	}
	if len(events) > 0 {
		if err := d.Bus.Announce(ctx, events); err != nil {
			// The changes stay pending in the store: release them so
			// that the next run announces them at once.
			ids := make([]string, len(events))
			for i, e := range events {
				ids[i] = string(e.Status) + " " + e.ID
			}
			relErr := st.Release(ctx, changes)
			ev := log.Error().Err(err).Strs("changes", ids)
			if relErr != nil {
				ev = ev.AnErr("release", relErr)
			}
			ev.Msg("changes recorded in the findings table but not announced; the next run in the scope announces them")
			return out, errors.Join(recErr, err)
		}
		if err := st.Acknowledge(ctx, changes); err != nil {
			// The bus has them: failing the run would not unsend
			// them. A run after the claims run out announces the
			// unacknowledged ones a second time.
			log.Warn().Err(err).Int("changes", len(changes)).Msg("announced changes not acknowledged in the findings table; they may be announced again")
		}
	}
	out.Announced = len(events)
	out.Reannounced = len(res.Pending)
	d.writeMetrics(ctx, counted, suppressed, state, now)
	if recErr != nil {
		return out, fmt.Errorf("reconcile findings of %s: %w", scope.Key(), recErr)
	}
	return out, nil
}

// split parts the run's findings into those that count and the number a
// suppression accepts.
func (d Delivery) split(fs []findings.Finding) (counted []findings.Finding, suppressed int) {
	if d.Suppressed == nil {
		return fs, 0
	}
	counted = make([]findings.Finding, 0, len(fs))
	for _, f := range fs {
		if d.Suppressed(f) {
			suppressed++
			continue
		}
		counted = append(counted, f)
	}
	return counted, suppressed
}

// writeMetrics writes the finding metrics of the findings that count, the
// number suppressed when suppressions are configured and, for a run with
// a store, its StatusMetrics, warning when the writer fails.
func (d Delivery) writeMetrics(ctx context.Context, fs []findings.Finding, suppressed int, state *findings.StatusMetrics, now time.Time) {
	if d.Metrics == nil {
		return
	}
	err := findings.WriteEMF(d.Metrics, d.Source, fs, now)
	if err == nil && d.Suppressed != nil {
		err = findings.WriteSuppressedEMF(d.Metrics, d.Source, suppressed, now)
	}
	if err == nil && state != nil {
		err = findings.WriteStatusEMF(d.Metrics, d.Source, *state, now)
	}
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Int("findings", len(fs)).Msg("could not write finding metrics; the findings were published")
	}
}
