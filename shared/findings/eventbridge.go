package findings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/selfaudit/selfaudit/shared/lambdamain/env"
)

// EventBridge limits for PutEvents (see the EventBridge quotas page): at most
// 10 entries per call and 256 KiB per call, counted as EventBridge counts an
// entry's size.
const (
	MaxEntriesPerPut = 10
	MaxPutBytes      = 256 * 1024

	// EventSource and EventDetailType are the contract of docs/architecture.md, "Findings": rules
	// on the findings bus match on them.
	EventSource     = "selfaudit"
	EventDetailType = "Selfaudit Finding"
)

// EnvBusName is the variable that names the findings bus. The stack sets it
// for every function (template.yaml, Globals); a function that publishes
// will not run without it rather than fall back to the default bus, where no
// rule of the stack would see its findings.
const EnvBusName = "FINDINGS_BUS_NAME"

// BusPublisherFromEnv returns the publisher to the bus FINDINGS_BUS_NAME
// names, or an *env.Error when the variable is not set.
func BusPublisherFromEnv(cfg aws.Config, getenv func(string) string) (*EventBridgePublisher, error) {
	r := env.New(getenv)
	bus := r.Required(EnvBusName, "the name or ARN of the findings event bus (the stack sets it)")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return &EventBridgePublisher{Client: eventbridge.NewFromConfig(cfg), BusName: bus}, nil
}

// PutEventsAPI is the one EventBridge call the publisher makes.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// EventBridgePublisher sends findings to an event bus, one event each.
type EventBridgePublisher struct {
	Client  PutEventsAPI
	BusName string // name or ARN; empty means the default bus
	// Attempts is how often an entry is tried before it is reported as
	// failed; 0 means 4. Backoff doubles from BaseDelay (default 100ms).
	Attempts  int
	BaseDelay time.Duration
}

// Publish announces every finding NEW (see Announce): a publisher that
// keeps no state cannot tell a repeat from a new finding.
func (p *EventBridgePublisher) Publish(ctx context.Context, fs []Finding) error {
	return p.Announce(ctx, AsNew(fs))
}

// Announce sends one event per tracked finding, batching by count and
// size, and retries the entries EventBridge rejected. It returns an error
// naming how many could not be delivered after all attempts; the caller's
// invocation should then fail so that the Errors metric moves.
func (p *EventBridgePublisher) Announce(ctx context.Context, ts []Tracked) error {
	entries := make([]types.PutEventsRequestEntry, 0, len(ts))
	for _, t := range ts {
		e, err := p.entry(t)
		if err != nil {
			return err
		}
		entries = append(entries, e)
	}
	var failed []string
	for _, batch := range batchEntries(entries) {
		left, err := p.putWithRetry(ctx, batch)
		if err != nil {
			return err
		}
		failed = append(failed, left...)
	}
	if len(failed) > 0 {
		return fmt.Errorf("publish findings to event bus %q: %d of %d entries failed: %v", p.busLabel(), len(failed), len(ts), failed)
	}
	return nil
}

func (p *EventBridgePublisher) busLabel() string {
	if p.BusName == "" {
		return "default"
	}
	return p.BusName
}

// entry is the event of one tracked finding: its JSON is the detail, its
// resource ARN the event's resources.
func (p *EventBridgePublisher) entry(t Tracked) (types.PutEventsRequestEntry, error) {
	f := t.Finding
	detail, err := json.Marshal(t)
	if err != nil {
		return types.PutEventsRequestEntry{}, fmt.Errorf("encode finding %s: %w", f.ID, err)
	}
	e := types.PutEventsRequestEntry{
		Source:     aws.String(EventSource),
		DetailType: aws.String(EventDetailType),
		Detail:     aws.String(string(detail)),
	}
	if p.BusName != "" {
		e.EventBusName = aws.String(p.BusName)
	}
	if f.Resource != "" && len(f.Resource) < 1600 && isARN(f.Resource) {
		e.Resources = []string{f.Resource}
	}
	if entrySize(e) > MaxPutBytes {
		// An event that can never be accepted would be retried forever;
		// drop the bulky evidence and say so, keeping the finding and
		// its status.
		g := t
		g.Evidence = map[string]any{"truncated": true, "reason": "evidence larger than an EventBridge event allows"}
		detail, _ = json.Marshal(g)
		e.Detail = aws.String(string(detail))
	}
	return e, nil
}

func isARN(s string) bool { return len(s) > 4 && s[:4] == "arn:" }

// entrySize follows EventBridge's documented way of counting an entry.
func entrySize(e types.PutEventsRequestEntry) int {
	n := 0
	if e.Time != nil {
		n += 14
	}
	n += len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// batchEntries splits entries into calls of at most 10 entries and 256 KiB.
func batchEntries(entries []types.PutEventsRequestEntry) [][]types.PutEventsRequestEntry {
	var out [][]types.PutEventsRequestEntry
	var cur []types.PutEventsRequestEntry
	size := 0
	for _, e := range entries {
		s := entrySize(e)
		if len(cur) == MaxEntriesPerPut || (len(cur) > 0 && size+s > MaxPutBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += s
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// putWithRetry sends one batch, re-sending only the entries that failed.
// It returns descriptions of entries still failing after the last attempt.
func (p *EventBridgePublisher) putWithRetry(ctx context.Context, batch []types.PutEventsRequestEntry) ([]string, error) {
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	delay := p.BaseDelay
	if delay <= 0 {
		delay = 100 * time.Millisecond
	}
	pending := batch
	var lastErrs []string
	for attempt := 1; attempt <= attempts && len(pending) > 0; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("publish findings to event bus %q: %w", p.busLabel(), ctx.Err())
			case <-time.After(delay):
			}
			delay *= 2
		}
		out, err := p.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: pending})
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("publish findings to event bus %q: %w", p.busLabel(), err)
			}
			// The SDK already retried transport errors; treat the whole
			// batch as failed and try again.
			lastErrs = []string{err.Error()}
			continue
		}
		if out.FailedEntryCount == 0 {
			return nil, nil
		}
		var retry []types.PutEventsRequestEntry
		lastErrs = lastErrs[:0]
		for i, r := range out.Entries {
			if i >= len(pending) {
				break
			}
			if r.ErrorCode != nil {
				retry = append(retry, pending[i])
				lastErrs = append(lastErrs, aws.ToString(r.ErrorCode)+": "+aws.ToString(r.ErrorMessage))
			}
		}
		pending = retry
	}
	if len(pending) == 0 {
		return nil, nil
	}
	if len(lastErrs) == 0 {
		lastErrs = []string{"unknown error"}
	}
	out := make([]string, len(pending))
	for i := range pending {
		out[i] = lastErrs[min(i, len(lastErrs)-1)]
	}
	return out, nil
}
