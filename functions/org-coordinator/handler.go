package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/orgaudit"
	"github.com/selfaudit/selfaudit/shared/orgaudit/coordinator"
)

// starter is the engine as the handler sees it; *coordinator.Coordinator
// implements it.
type starter interface {
	Start(ctx context.Context, p coordinator.Plan) (orgaudit.Run, error)
}

var _ starter = (*coordinator.Coordinator)(nil)

// handler starts one run per invocation.
type handler struct {
	coordinator starter
	plan        coordinator.Plan
	// accounts lists the accounts the plan selects, for a dry run.
	accounts func(ctx context.Context, p coordinator.Plan) ([]string, string, error)
}

// Input is the part of the event the handler reads: {"dryRun": true}
// (the pre-traffic smoke test) lists the accounts a run would audit and
// starts nothing.
type Input struct {
	DryRun bool `json:"dryRun"`
}

// Output is the invocation's result, for `aws lambda invoke` and the
// scheduler's logs.
type Output struct {
	Run      string    `json:"runId"`
	Accounts int       `json:"accounts"`
	Units    int       `json:"units"`
	Deadline time.Time `json:"deadline"`
	DryRun   bool      `json:"dryRun,omitempty"`
}

// Handle starts a run of the plan. The event (the schedule's, or any
// invocation's) does not change what is audited, but {"dryRun": true}
// only counts the accounts. A run whose units could
// not all be sent fails the invocation; the units sent are audited and
// the run's deadline reports the rest lost.
func (h *handler) Handle(ctx context.Context, raw json.RawMessage) (Output, error) {
	start := time.Now()
	var in Input
	if json.Unmarshal(raw, &in) == nil && in.DryRun && h.accounts != nil {
		ids, _, err := h.accounts(ctx, h.plan)
		if err != nil {
			return Output{DryRun: true}, fmt.Errorf("organisation audit dry run: %w", err)
		}
		return Output{Accounts: len(ids), DryRun: true}, nil
	}
	run, err := h.coordinator.Start(ctx, h.plan)
	if err != nil {
		return Output{Run: run.ID}, fmt.Errorf("organisation audit run: %w", err)
	}
	out := Output{Run: run.ID, Accounts: len(run.Accounts), Units: run.Units(), Deadline: run.Deadline}
	zerolog.Ctx(ctx).Info().Str("run", out.Run).Int("accounts", out.Accounts).Int("units", out.Units).
		Time("deadline", out.Deadline).Dur("took", time.Since(start)).Msg("organisation audit run started")
	return out, nil
}
