package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/fleet"
)

// auditor is the engine as the handler sees it; *fleet.Auditor implements
// it.
type auditor interface {
	Run(ctx context.Context) (*fleet.Result, error)
}

// handler runs one audit and reports it.
type handler struct {
	auditor   auditor
	publisher findings.Publisher
	metrics   io.Writer // EMF lines; stdout in Lambda
}

// Output is the invocation's result, for `aws lambda invoke` and the
// EventBridge Scheduler's logs.
type Output struct {
	Functions int              `json:"functions"`
	Findings  int              `json:"findings"`
	Summary   findings.Summary `json:"summary"`
	Notes     []string         `json:"notes,omitempty"`
}

// Handle runs one audit. The event is the scheduled EventBridge event; its
// content does not change what is audited. A failed audit or a finding
// that could not be published fails the invocation, so that the Errors
// metric moves; a failed metrics write only warns.
func (h *handler) Handle(ctx context.Context, ev events.CloudWatchEvent) (Output, error) {
	start := time.Now()
	res, err := h.auditor.Run(ctx)
	if err != nil {
		return Output{}, fmt.Errorf("audit lambda fleet: %w", err)
	}
	if err := findings.Deliver(ctx, h.publisher, h.metrics, fleet.DefaultSource, res.Findings, time.Now()); err != nil {
		return Output{}, err
	}
	out := Output{Functions: res.Functions, Findings: len(res.Findings), Summary: findings.Summarize(res.Findings), Notes: res.Notes}
	zerolog.Ctx(ctx).Info().Str("trigger", ev.DetailType).Int("functions", out.Functions).Int("findings", out.Findings).
		Strs("notes", res.Notes).Dur("took", time.Since(start)).Msg("fleet audit done")
	return out, nil
}
