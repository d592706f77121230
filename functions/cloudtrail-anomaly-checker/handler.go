package main

import (
	"context"
	"encoding/json"
	"io"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/cloudtrail"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// checker is the engine as the handler sees it; *cloudtrail.Checker
// implements it.
type checker interface {
	Analyze(ctx context.Context, raw json.RawMessage) (cloudtrail.Analysis, error)
}

var _ checker = (*cloudtrail.Checker)(nil)

// handler publishes what the checker found and reports it.
type handler struct {
	checker   checker
	publisher findings.Publisher
	metrics   io.Writer // EMF lines; stdout in Lambda
}

// Result is what an invocation returns, for the logs and for tests.
type Result struct {
	Trigger   string   `json:"trigger"`
	Records   int64    `json:"records"`
	Malformed int64    `json:"malformed"`
	Unknown   int64    `json:"unknown"`
	Findings  int      `json:"findings"`
	Published int      `json:"published"`
	Notes     []string `json:"notes,omitempty"`
}

// Handle analyses one invocation's CloudTrail records and publishes the
// findings not published before. An error means the work failed (and
// Lambda retries or sends the event to the DLQ); malformed records do not.
func (h *handler) Handle(ctx context.Context, raw json.RawMessage) (Result, error) {
	a, err := h.checker.Analyze(ctx, raw)
	res := Result{Trigger: a.Trigger, Records: a.Stats.Records, Malformed: a.Stats.Malformed, Unknown: a.Stats.Unknown, Findings: a.Found, Notes: a.Notes}
	if err != nil {
		return res, err
	}
	if err := findings.Deliver(ctx, h.publisher, h.metrics, cloudtrail.FunctionSource, a.Fresh, a.At); err != nil {
		return res, err
	}
	res.Published = len(a.Fresh)
	zerolog.Ctx(ctx).Info().Str("trigger", res.Trigger).Int64("records", res.Records).Int64("malformed", res.Malformed).
		Int("findings", res.Findings).Int("published", res.Published).Msg("cloudtrail analysed")
	return res, nil
}
