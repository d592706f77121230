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

	limiter *rate.Limiter
	batch   int
	workCtx context.Context
	stopAt  time.Time
	hasStop bool
	drained atomic.Bool
	// receiving and holding count workers in a ReceiveMessage call and
	// workers delivering a batch; quiet is set when a receive came back
	// empty while others were still receiving: the last of them decides
	// whether the queue is drained, and no new receive starts meanwhile.
	receiving, holding atomic.Int32
	quiet              atomic.Bool
	budgetMu           sync.Mutex
	budget             int
	mu                 sync.Mutex
	res                Result
	report             *DryRunReport
	seen               map[string]seenAs // messages this run already counted
	release            map[string]string // message ID -> latest receipt handle, made visible at the end
	err                error
	cancelCtx          context.CancelFunc

	// gate: at most ctl.limit workers hold a batch at once.
	gateMu sync.Mutex
	gate   *sync.Cond
	active int
	ctl    *controller
	start  time.Time
}

func newRun(e *Engine, p plan, req Request) *run {
	r := &run{e: e, p: p, req: req, batch: batchSize, budget: req.MaxMessages,
		seen: map[string]seenAs{}, release: map[string]string{}, start: time.Now()}
	r.gate = sync.NewCond(&r.gateMu)
	r.res.DryRun = req.DryRun
	if req.DryRun {
		r.report = &DryRunReport{ByErrorCode: map[string]int{}, ByTarget: map[string]int{}, Samples: []Sample{}}
	}
	most := e.opts.MaxWorkers
	if p.reserved > 0 {
		// More workers than the function may run at once would only
		// collect throttles.
		most = min(most, p.reserved)
	}
	if req.RatePerSecond > 0 {
		// A batch never asks for more tokens than the bucket holds, so a
		// slow rate also means small batches rather than bursts of ten.
		r.batch = min(batchSize, max(1, int(req.RatePerSecond)))
		r.limiter = rate.NewLimiter(rate.Limit(req.RatePerSecond), r.batch)
		// Received messages wait for their tokens; with this many
		// workers none waits more than half its visibility timeout.
		most = min(most, max(1, int(req.RatePerSecond*float64(req.VisibilityTimeout)/2)/r.batch))
	}
	if e.opts.Workers > 0 {
		r.ctl = newController(e.opts.Workers, e.opts.Workers, true)
	} else {
		r.ctl = newController(DefaultStartWorkers, most, false)
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

// stop ends the run's receiving: the queue is drained, nothing new came,
// or receiving failed. Workers waiting at the gate are woken to leave.
func (r *run) stop() {
	r.drained.Store(true)
	r.gateMu.Lock()
	r.gate.Broadcast()
	r.gateMu.Unlock()
}

// enter waits for a free place under the controller's limit and returns
// the limit; false means the run is over.
func (r *run) enter(ctx context.Context) (int, bool) {
	r.gateMu.Lock()
	defer r.gateMu.Unlock()
	for (r.active >= r.ctl.limit || r.waitQuiet()) && !r.drained.Load() && ctx.Err() == nil {
		r.gate.Wait()
	}
	if r.drained.Load() || ctx.Err() != nil {
		return 0, false
	}
	r.active++
	return r.ctl.limit, true
}

// waitQuiet says whether a new receive must wait: a receive came back
// empty, and others that may still find messages are out.
func (r *run) waitQuiet() bool {
	return r.quiet.Load() && r.receiving.Load()+r.holding.Load() > 0
}

// leave gives the place back and tells the controller how the batch went.
func (r *run) leave(o batchOutcome) {
	r.gateMu.Lock()
	defer r.gateMu.Unlock()
	r.active--
	before := r.ctl.limit
	if !o.idle {
		r.ctl.observe(time.Now(), o)
	}
	if r.ctl.limit > before {
		r.gate.Broadcast()
	} else {
		r.gate.Signal()
	}
}

// concurrency reads the controller's state for the result.
func (r *run) concurrency() (limit, peak, throttled int) {
	r.gateMu.Lock()
	defer r.gateMu.Unlock()
	return r.ctl.limit, r.ctl.peak, r.ctl.signals
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
// the deadline margin is reached or ctx is cancelled. As many goroutines
// run as the controller may ever allow; the gate lets ctl.limit of them
// work at a time.
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
	// Wake the workers waiting at the gate when the run is cut off.
	unwatch := context.AfterFunc(r.workCtx, func() {
		r.gateMu.Lock()
		r.gate.Broadcast()
		r.gateMu.Unlock()
	})
	defer unwatch()
	stopProgress := r.progress(ctx)
	defer stopProgress()
	var wg sync.WaitGroup
	for range r.ctl.max {
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
	for {
		limit, ok := r.enter(ctx)
		if !ok {
			return
		}
		began := time.Now()
		o, more := r.round(ctx, &empties)
		o.took, o.began = time.Since(began), limit
		r.leave(o)
		if !more {
			return
		}
	}
}

// round is one receive and the delivery of what came; more says whether
// this worker goes on.
func (r *run) round(ctx context.Context, empties *int) (o batchOutcome, more bool) {
	wait := r.e.opts.ReceiveWait
	if r.hasStop {
		left := time.Until(r.stopAt)
		if left <= 0 {
			o.idle = true
			return o, false
		}
		wait = min(wait, left)
	}
	n := r.take(r.batch)
	if n == 0 {
		o.idle = true
		return o, false
	}
	r.receiving.Add(1)
	out, err := r.e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(r.p.source.url),
		MaxNumberOfMessages:         int32(n),
		VisibilityTimeout:           int32(r.req.VisibilityTimeout),
		WaitTimeSeconds:             int32(max(0, wait/time.Second)),
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	}, r.e.sqsRetries.sqs)
	r.receiving.Add(-1)
	if err != nil {
		r.give(n)
		if throttleCode(err) != "" && ctx.Err() == nil {
			// Throttled after the SDK's own retries: not the end of
			// the run, the controller halves the workers.
			o.throttled = 1
			return o, true
		}
		if ctx.Err() == nil {
			r.fail(fmt.Errorf("receive from dead-letter queue %s: %w", r.p.source.url, err))
			r.stop()
		}
		return o, false
	}
	o.throttled = retriedThrottles(out.ResultMetadata)
	r.give(n - len(out.Messages))
	if len(out.Messages) == 0 {
		*empties++
		// An empty answer while other workers hold messages is not
		// the end: a FIFO queue hides the rest of a group until its
		// in-flight messages are deleted. Three empty answers in a row
		// are, whatever the others do.
		if r.holding.Load() > 0 && *empties < 3 {
			r.nap(ctx)
			return o, true
		}
		// Others still receiving find out for themselves (and one
		// that finds messages goes on); the last of them ends the run.
		// Without this, workers long-polling an empty queue kept one
		// another going for three polls each.
		if *empties < 3 && r.receiving.Load() > 0 {
			r.quiet.Store(true)
			return o, false
		}
		r.stop()
		return o, false
	}
	*empties = 0
	r.holding.Add(1)
	if r.quiet.Swap(false) {
		// Messages after all: new receives may start again.
		r.gateMu.Lock()
		r.gate.Broadcast()
		r.gateMu.Unlock()
	}
	bo := r.processBatch(ctx, out.Messages)
	r.holding.Add(-1)
	bo.throttled += o.throttled
	return bo, true
}
