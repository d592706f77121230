package replay

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/time/rate"
)

// One call of Engine.Run: its state, its budget, and the workers that
// receive batches from the dead-letter queue until the run must stop.
// batch.go handles each received batch, release.go ends the run.

// run is the state of one Run call.
type run struct {
	e   *Engine
	p   plan
	req Request

	limiter   *rate.Limiter
	batch     int
	workCtx   context.Context
	stopAt    time.Time
	hasStop   bool
	drained   atomic.Bool
	inflight  atomic.Int32 // batches being delivered right now
	budgetMu  sync.Mutex
	budget    int
	mu        sync.Mutex
	res       Result
	report    *DryRunReport
	seen      map[string]seenAs // messages this run already counted
	release   map[string]string // message ID -> latest receipt handle, made visible at the end
	err       error
	cancelCtx context.CancelFunc
}

func newRun(e *Engine, p plan, req Request) *run {
	r := &run{e: e, p: p, req: req, batch: batchSize, budget: req.MaxMessages,
		seen: map[string]seenAs{}, release: map[string]string{}}
	r.res.DryRun = req.DryRun
	if req.DryRun {
		r.report = &DryRunReport{ByErrorCode: map[string]int{}, ByTarget: map[string]int{}, Samples: []Sample{}}
	}
	if req.RatePerSecond > 0 {
		// A batch never asks for more tokens than the bucket holds, so a
		// slow rate also means small batches rather than bursts of ten.
		r.batch = min(batchSize, max(1, int(req.RatePerSecond)))
		r.limiter = rate.NewLimiter(rate.Limit(req.RatePerSecond), r.batch)
	}
	return r
}

func (r *run) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

func (r *run) firstErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// take reserves up to n messages of the run's budget.
func (r *run) take(n int) int {
	r.budgetMu.Lock()
	defer r.budgetMu.Unlock()
	n = min(n, r.budget)
	r.budget -= n
	return n
}

func (r *run) give(n int) {
	r.budgetMu.Lock()
	defer r.budgetMu.Unlock()
	r.budget += n
}

// nap pauses briefly between empty receives, which would otherwise spin
// when long polling is off.
func (r *run) nap(ctx context.Context) {
	t := time.NewTimer(50 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// work runs the workers until the budget is spent, the queue is drained,
// the deadline margin is reached or ctx is cancelled.
func (r *run) work(ctx context.Context) {
	r.workCtx = ctx
	if dl, ok := ctx.Deadline(); ok {
		margin := min(r.e.opts.SafetyMargin, time.Until(dl)/4)
		r.stopAt, r.hasStop = dl.Add(-margin), true
		// In-flight calls are cut off half-way through the margin, which
		// leaves the other half to release messages and report.
		r.workCtx, r.cancelCtx = context.WithDeadline(ctx, dl.Add(-margin/2))
		defer r.cancelCtx()
	}
	var wg sync.WaitGroup
	for range r.e.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.worker()
		}()
	}
	wg.Wait()
}

func (r *run) worker() {
	ctx := r.workCtx
	empties := 0
	for !r.drained.Load() && ctx.Err() == nil {
		wait := r.e.opts.ReceiveWait
		if r.hasStop {
			left := time.Until(r.stopAt)
			if left <= 0 {
				return
			}
			wait = min(wait, left)
		}
		n := r.take(r.batch)
		if n == 0 {
			return
		}
		if r.limiter != nil {
			if err := r.limiter.WaitN(ctx, n); err != nil {
				r.give(n)
				return
			}
		}
		// inflight counts workers receiving or delivering, so that an
		// empty answer is not taken for the end while another worker is
		// about to hold messages.
		r.inflight.Add(1)
		out, err := r.e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(r.p.source.url),
			MaxNumberOfMessages:         int32(n),
			VisibilityTimeout:           int32(r.req.VisibilityTimeout),
			WaitTimeSeconds:             int32(max(0, wait/time.Second)),
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			r.inflight.Add(-1)
			r.give(n)
			if ctx.Err() == nil {
				r.fail(fmt.Errorf("receive from dead-letter queue %s: %w", r.p.source.url, err))
				r.drained.Store(true)
			}
			return
		}
		r.give(n - len(out.Messages))
		if len(out.Messages) == 0 {
			others := r.inflight.Add(-1)
			empties++
			// An empty answer while other workers still hold messages
			// is not the end: a FIFO queue hides the rest of a group
			// until its in-flight messages are deleted. Three empty
			// answers in a row are, whatever the others do.
			if others > 0 && empties < 3 {
				r.nap(ctx)
				continue
			}
			r.drained.Store(true)
			return
		}
		empties = 0
		r.processBatch(ctx, out.Messages)
		r.inflight.Add(-1)
	}
}
