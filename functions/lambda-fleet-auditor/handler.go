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
	"github.com/selfaudit/selfaudit/shared/logging"
)

// auditor and publisher are the two things an invocation does.
type auditor interface {
	Run(ctx context.Context) (*fleet.Result, error)
}

type publisher interface {
	Publish(ctx context.Context, fs []findings.Finding) error
}

type handler struct {
	auditor   auditor
	publisher publisher
	metrics   io.Writer // EMF lines; stdout in Lambda
	log       zerolog.Logger
	tracer    string
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
// metric moves.
func (h *handler) Handle(ctx context.Context, ev events.CloudWatchEvent) (Output, error) {
	ctx, log := logging.ForInvocation(ctx, h.log)
	start := time.Now()
	res, err := h.auditor.Run(ctx)
	if err != nil {
		return Output{}, fmt.Errorf("audit lambda fleet: %w", err)
	}
	if err := findings.WriteEMF(h.metrics, fleet.DefaultSource, res.Findings, time.Now()); err != nil {
		return Output{}, fmt.Errorf("write finding metrics: %w", err)
	}
	if err := h.publisher.Publish(ctx, res.Findings); err != nil {
		return Output{}, err
	}
	out := Output{Functions: res.Functions, Findings: len(res.Findings), Summary: findings.Summarize(res.Findings), Notes: res.Notes}
	log.Info().Str("trigger", ev.DetailType).Int("functions", out.Functions).Int("findings", out.Findings).
		Strs("notes", res.Notes).Dur("took", time.Since(start)).Msg("fleet audit done")
	return out, nil
}
