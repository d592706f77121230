package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/securityhub"
)

// exporter is the engine as the handler sees it; *securityhub.Exporter
// implements it.
type exporter interface {
	Export(ctx context.Context, msgs []securityhub.Message) securityhub.Report
}

var _ exporter = (*securityhub.Exporter)(nil)

// handler imports one invocation's finding events.
type handler struct {
	exporter exporter
}

// deadlineMargin is kept back from the invocation's deadline, so that the
// function answers with its partial result instead of timing out (which
// would send the whole batch again).
const deadlineMargin = 3 * time.Second

// Handle takes an SQS batch of finding events (the stack's trigger) and
// answers with the messages whose finding Security Hub did not accept, as
// ReportBatchItemFailures expects. A single finding event invoked directly
// (a replay by dlq-replayer, or `aws lambda invoke`) fails the invocation
// when it is not imported.
func (h *handler) Handle(ctx context.Context, raw json.RawMessage) (events.SQSEventResponse, error) {
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-deadlineMargin))
		defer cancel()
	}
	log := zerolog.Ctx(ctx)
	var resp events.SQSEventResponse
	var batch events.SQSEvent
	if err := json.Unmarshal(raw, &batch); err != nil || !isSQSBatch(raw) {
		// One event, not a batch.
		rep := h.exporter.Export(ctx, []securityhub.Message{{Key: "event", Body: raw}})
		logReport(log, rep)
		if len(rep.Failed) > 0 {
			return resp, fmt.Errorf("finding event not imported into Security Hub: %s", rep.Failed[0].Reason)
		}
		return resp, nil
	}
	msgs := make([]securityhub.Message, 0, len(batch.Records))
	for _, r := range batch.Records {
		if r.MessageId == "" {
			return resp, errors.New("SQS record without a messageId: cannot report it on its own")
		}
		msgs = append(msgs, securityhub.Message{Key: r.MessageId, Body: []byte(r.Body)})
	}
	rep := h.exporter.Export(ctx, msgs)
	logReport(log, rep)
	for _, f := range rep.Failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: f.Key})
	}
	return resp, nil
}

// isSQSBatch tells an SQS event ({"Records": [...]}) from an EventBridge
// event, which has no Records.
func isSQSBatch(raw json.RawMessage) bool {
	var probe struct {
		Records json.RawMessage `json:"Records"`
	}
	return json.Unmarshal(raw, &probe) == nil && bytes.HasPrefix(bytes.TrimSpace(probe.Records), []byte("["))
}

func logReport(log *zerolog.Logger, rep securityhub.Report) {
	for _, f := range rep.Failed {
		log.Warn().Str("messageId", f.Key).Str("findingId", f.ID).Str("reason", f.Reason).Msg("finding not imported")
	}
	log.Info().Int("messages", rep.Messages).Int("imported", rep.Imported).Int("archived", rep.Archived).
		Int("skipped", rep.Skipped).Int("failed", len(rep.Failed)).Int("calls", rep.Calls).Int("retried", rep.Retried).
		Msg("findings exported to Security Hub")
}
