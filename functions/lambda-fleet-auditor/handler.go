package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/fleet"
	"github.com/selfaudit/selfaudit/shared/lambdamain"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
	"github.com/selfaudit/selfaudit/shared/suppress"
)

// auditor is the engine as the handler sees it; *fleet.Auditor implements
// it.
type auditor interface {
	Run(ctx context.Context) (*fleet.Result, error)
}

// handler runs one audit and reports it.
type handler struct {
	auditor   auditor
	publisher findings.Announcer
	// store remembers findings between runs, so that only changes are
	// announced; nil announces every finding NEW.
	store *findingstore.Store
	// suppressions are the accepted risks of SUPPRESSIONS_PARAMETER; nil
	// has none.
	suppressions *suppress.Loader
	metrics      io.Writer // EMF lines; stdout in Lambda
	// org audits the units of an organisation audit that arrive as SQS
	// events; nil outside organisation mode.
	org *orgaudit.Worker
}

// Output is the invocation's result, for `aws lambda invoke` and the
// EventBridge Scheduler's logs.
type Output struct {
	Functions int              `json:"functions"`
	Findings  int              `json:"findings"`
	Summary   findings.Summary `json:"summary"`
	Notes     []string         `json:"notes,omitempty"`
	// Announced is the number of finding events published: every finding
	// without a store, its changes with one.
	Announced int `json:"announced"`
	// State counts the changes and the findings standing; Unread is the
	// number of remembered findings left as they were because their part
	// could not be read. Both need the store.
	State  *findings.StatusMetrics `json:"state,omitempty"`
	Unread int                     `json:"unread,omitempty"`
	// Suppressed is the number of findings a suppression accepts: never
	// announced, recorded SUPPRESSED with a store.
	Suppressed int `json:"suppressed,omitempty"`
	// BatchItemFailures lists the units of an SQS event to deliver again
	// (ReportBatchItemFailures); empty, not absent, when all succeeded.
	BatchItemFailures *[]orgaudit.BatchItemFailure `json:"batchItemFailures,omitempty"`
}

// Invoke tells the units of an organisation audit (an SQS event) from the
// schedule's event and handles either.
func (h *handler) Invoke(ctx context.Context, raw json.RawMessage) (Output, error) {
	if ev, ok := orgaudit.SQSEvent(raw); ok {
		return h.units(ctx, ev)
	}
	var ev events.CloudWatchEvent
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &ev); err != nil {
			return Output{}, fmt.Errorf("the event is neither an SQS event nor a scheduled one: %w", err)
		}
	}
	return h.Handle(ctx, ev)
}

// units audits the units of an organisation audit run (organisation mode):
// each record is one member account and region, audited through its
// member role.
func (h *handler) units(ctx context.Context, ev orgaudit.SQSBatch) (Output, error) {
	if h.org == nil {
		return Output{}, orgaudit.ErrOrganizationModeOff
	}
	sup, err := h.suppressions.Matcher(ctx)
	if err != nil {
		return Output{}, err
	}
	inv := orgaudit.Invocation{Metrics: h.metrics, Suppressed: sup.Suppressor(time.Now())}
	if a, err := lambdamain.InvokedARN(ctx); err == nil {
		inv.AuditAccount = a.AccountID
	}
	failures := h.org.HandleInvocation(ctx, ev, inv)
	return Output{Summary: findings.Summarize(nil), BatchItemFailures: &failures}, nil
}

// Handle runs one audit. The event is the scheduled EventBridge event; its
// content does not change what is audited. A failed audit or a finding
// that could not be published fails the invocation, so that the Errors
// metric moves; a failed metrics write only warns.
func (h *handler) Handle(ctx context.Context, ev events.CloudWatchEvent) (Output, error) {
	start := time.Now()
	var place arn.ARN
	if h.store != nil {
		a, err := lambdamain.InvokedARN(ctx)
		if err != nil {
			return Output{}, err
		}
		place = a
	}
	// Read before the audit: without its suppressions a run would
	// announce what was accepted.
	sup, err := h.suppressions.Matcher(ctx)
	if err != nil {
		return Output{}, err
	}
	res, err := h.auditor.Run(ctx)
	if err != nil {
		return Output{}, fmt.Errorf("audit lambda fleet: %w", err)
	}
	now := time.Now()
	d := findingstore.Delivery{Store: h.store, Bus: h.publisher, Metrics: h.metrics, Source: fleet.DefaultSource, Suppressed: sup.Suppressor(now)}
	delivered, err := d.Deliver(ctx, res.StoreScope(place.AccountID, place.Region), res.Findings, now)
	if err != nil {
		return Output{}, err
	}
	if expired := sup.Expired(); len(expired) > 0 {
		zerolog.Ctx(ctx).Warn().Strs("suppressions", expired).Msg("suppressions expired: their findings count again")
	}
	out := Output{Functions: res.Functions, Findings: len(res.Findings), Summary: findings.Summarize(res.Findings), Notes: res.Notes,
		Announced: delivered.Announced, State: delivered.State, Unread: len(delivered.Unread), Suppressed: delivered.Suppressed}
	zerolog.Ctx(ctx).Info().Str("trigger", ev.DetailType).Int("functions", out.Functions).Int("findings", out.Findings).
		Int("announced", out.Announced).Int("unread", out.Unread).Int("suppressed", out.Suppressed).Strs("notes", res.Notes).Dur("took", time.Since(start)).Msg("fleet audit done")
	return out, nil
}
