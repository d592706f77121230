package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/replay"
)

// replayer is the engine as the handler sees it, so handler tests can pass
// a fake.
type replayer interface {
	Run(ctx context.Context, req replay.Request) (replay.Result, error)
}

var _ replayer = (*replay.Engine)(nil)

// handler adapts the invocation event to the engine.
type handler struct {
	engine replayer
}

// Handle parses the request, runs the replay and returns its result. It
// returns an error, which Lambda counts in the Errors metric, when the
// request is bad, when the run stopped on an error, or when some messages
// could not be delivered; the error message then carries the result so the
// operator still sees the counts.
func (h *handler) Handle(ctx context.Context, event json.RawMessage) (replay.Result, error) {
	req, err := replay.ParseRequest(event)
	if err != nil {
		return replay.Result{}, err
	}
	res, err := h.engine.Run(ctx, req)
	summary, _ := json.Marshal(res)
	zerolog.Ctx(ctx).Info().RawJSON("result", summary).Str("queue", req.QueueURL).Str("target", req.Target).Msg("replay finished")
	if err != nil {
		return res, fmt.Errorf("replay of %s: %w (result so far: %s)", req.QueueURL, err, summary)
	}
	if res.Failed > 0 {
		return res, fmt.Errorf("replay of %s: %d messages could not be delivered and stay in the queue (result: %s)", req.QueueURL, res.Failed, summary)
	}
	return res, nil
}
