package replay

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/rs/zerolog"
)

// Progress is a snapshot of a running replay, for a progress line. The
// engine has no terminal code: the CLI draws these, the function logs them
// (LogProgress).
type Progress struct {
	Received int `json:"received"`
	Replayed int `json:"replayed"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	Parked   int `json:"parked"`
	// Total is the most the run expects to receive: the smaller of
	// maxMessages and the queue's depth when the run began.
	Total int `json:"total"`
	// Depth is the dead-letter queue's approximate number of messages,
	// visible and in flight, read at most every depthEvery; -1 unknown.
	Depth       int           `json:"depth"`
	Concurrency int           `json:"concurrency"`
	Throttled   int           `json:"throttled"`
	Elapsed     time.Duration `json:"elapsed"`
	// Done marks the last call, after the workers stopped.
	Done bool `json:"done"`
}

// depthEvery spaces the GetQueueAttributes calls that refresh Depth.
const depthEvery = 5 * time.Second

// LogProgress writes one log line per call through the context's logger:
// what the dlq-replayer function does every 10 seconds of a long replay.
// The last call (Done) writes nothing: the result says it all.
func LogProgress(ctx context.Context, p Progress) {
	if p.Done {
		return
	}
	zerolog.Ctx(ctx).Info().
		Int("received", p.Received).Int("replayed", p.Replayed).Int("failed", p.Failed).
		Int("skipped", p.Skipped).Int("parked", p.Parked).Int("total", p.Total).
		Int("queueDepth", p.Depth).Int("concurrency", p.Concurrency).Int("throttled", p.Throttled).
		Dur("elapsed", p.Elapsed).Bool("done", p.Done).
		Msg("replay progress")
}

// progress starts the run's progress reports, if the engine has a
// Progress function; the returned function stops them after a last report
// with Done set.
func (r *run) progress(ctx context.Context) func() {
	fn := r.e.opts.Progress
	if fn == nil {
		return func() {}
	}
	total := r.req.MaxMessages
	if r.p.source.approx >= 0 {
		total = min(total, r.p.source.approx)
	}
	depth, depthAt := r.p.source.approx, time.Now()
	snapshot := func(done bool) Progress {
		if !done && time.Since(depthAt) >= depthEvery {
			depth, depthAt = r.depth(ctx), time.Now()
		}
		limit, _, throttled := r.concurrency()
		r.mu.Lock()
		defer r.mu.Unlock()
		return Progress{Received: r.res.Received, Replayed: r.res.Replayed, Failed: r.res.Failed,
			Skipped: r.res.Skipped, Parked: r.res.Parked, Total: total, Depth: depth,
			Concurrency: limit, Throttled: throttled, Elapsed: time.Since(r.start), Done: done}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.e.opts.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fn(ctx, snapshot(false))
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
		fn(ctx, snapshot(true))
	}
}

// depth reads the queue's approximate number of messages, or -1.
func (r *run) depth(ctx context.Context) int {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, err := r.e.sqs.GetQueueAttributes(dctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(r.p.source.url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return -1
	}
	v, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	nv, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return v + nv
}
