package replay

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/rs/zerolog"
)

// Sentinel errors; each is wrapped with the resource it concerns. A run that
// fails with one of them has touched no message.
var (
	// ErrUnknownQueue: the dead-letter, target or parking queue does not
	// exist (or the caller may not see it).
	ErrUnknownQueue = errors.New("queue not found")
	// ErrBadTarget: the target cannot receive replays (wrong kind, same
	// queue as the source, function not found).
	ErrBadTarget = errors.New("unusable replay target")
)

// Defaults of Options.
const (
	DefaultSafetyMargin = 10 * time.Second
	DefaultReceiveWait  = time.Second
	// batchSize is SQS's limit for ReceiveMessage, SendMessageBatch,
	// DeleteMessageBatch and ChangeMessageVisibilityBatch.
	batchSize = 10
	// maxBatchBytes keeps one SendMessageBatch call under SQS's limit on
	// the sum of its entries, so an oversized batch never fails whole.
	maxBatchBytes = 256 << 10
	// maxMessageAttributes is SQS's limit per message.
	maxMessageAttributes = 10
)

// Options tune an Engine. Zero values take the defaults.
type Options struct {
	// Workers fixes how many receive-deliver-delete loops run at once.
	// Zero lets the engine find the number: it starts at
	// DefaultStartWorkers, adds workers while delivered messages per
	// second keep rising and nothing is throttled, and halves them on a
	// throttle or a climbing error rate (concurrency.go).
	Workers int
	// MaxWorkers bounds the adaptive number (default DefaultMaxWorkers);
	// a Lambda target with reserved concurrency bounds it as well.
	MaxWorkers int
	// ParkingQueue (URL or ARN) receives messages replayed MaxReplays
	// times; without it such messages stay in the DLQ and are reported as
	// skipped.
	ParkingQueue string
	// SafetyMargin is how long before the context's deadline the engine
	// stops taking new batches, so it can finish in-flight ones, release
	// what it holds and report before Lambda ends the invocation.
	SafetyMargin time.Duration
	// ReceiveWait is the long-poll wait of ReceiveMessage. An empty answer
	// after a long poll means the queue is drained. Negative: short polls.
	ReceiveWait time.Duration
	// Progress, when set, is called every ProgressEvery (default 1 s)
	// while a run goes on, and once at its end with Done set. It runs on
	// a goroutine of its own and must not block for long. LogProgress is
	// the one the function uses.
	Progress func(context.Context, Progress)
	// ProgressEvery is the interval between Progress calls.
	ProgressEvery time.Duration
}

// Engine replays dead-lettered messages. It is safe for concurrent use and
// is meant to be built once per process (the Lambda cold start, or the CLI
// run), because its ledger of Lambda deliveries lives as long as it does.
type Engine struct {
	sqs    QueueAPI
	lambda InvokeAPI
	opts   Options
	ledger *ledger
	// sqsRetries and fnRetries are the retryers of the engine's own
	// calls (retries.go).
	sqsRetries, fnRetries standardRetries
}

// New returns an engine over the given clients. fn may be nil when no
// Lambda target is ever used; a request that needs it is then rejected.
//
// When fn also has GetFunctionConcurrency (ConcurrencyAPI, as the SDK's
// client does), a Lambda target's reserved concurrency bounds the workers.
func New(q QueueAPI, fn InvokeAPI, opts Options) *Engine {
	if opts.Workers < 0 {
		opts.Workers = 0
	}
	if opts.MaxWorkers <= 0 {
		opts.MaxWorkers = DefaultMaxWorkers
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = time.Second
	}
	if opts.SafetyMargin <= 0 {
		opts.SafetyMargin = DefaultSafetyMargin
	}
	if opts.ReceiveWait == 0 {
		opts.ReceiveWait = DefaultReceiveWait
	}
	return &Engine{sqs: q, lambda: fn, opts: opts, ledger: newLedger(ledgerCapacity)}
}

// queueInfo is a resolved queue.
type queueInfo struct {
	url, arn string
	fifo     bool
	approx   int
}

// plan is everything resolved and checked before the first receive.
type plan struct {
	source  queueInfo
	target  Target
	tqueue  queueInfo
	parking *queueInfo
	// reserved is a Lambda target's reserved concurrency; 0: none or
	// unknown.
	reserved int
}

// Run replays up to req.MaxMessages messages. Validation and resolution of
// every queue and target happen first; an error there means nothing was
// touched. The returned error is non-nil also when the run could not go on
// (receiving failed after the SDK's retries); the Result then still counts
// what was done.
func (e *Engine) Run(ctx context.Context, req Request) (Result, error) {
	if err := req.Normalize(); err != nil {
		return Result{DryRun: req.DryRun}, err
	}
	p, err := e.prepare(ctx, req)
	if err != nil {
		return Result{DryRun: req.DryRun}, err
	}
	r := newRun(e, p, req)
	r.work(ctx)
	res := r.finish(ctx)
	return res, r.firstErr()
}

func (e *Engine) prepare(ctx context.Context, req Request) (plan, error) {
	var p plan
	src, _ := ParseQueue(req.QueueURL) // validated by Normalize
	var err error
	if p.source, err = e.resolveQueue(ctx, src, "dead-letter queue"); err != nil {
		return plan{}, err
	}
	if req.Target != "" {
		p.target, _ = ParseTarget(req.Target)
		switch p.target.Kind {
		case TargetQueue:
			if p.tqueue, err = e.resolveQueue(ctx, p.target.Queue, "target queue"); err != nil {
				return plan{}, err
			}
			if sameQueue(p.tqueue, p.source) {
				return plan{}, fmt.Errorf("%w: target %s is the dead-letter queue itself", ErrBadTarget, req.Target)
			}
		case TargetLambda:
			if err := e.checkFunction(ctx, p.target); err != nil {
				return plan{}, err
			}
			p.reserved = e.reservedConcurrency(ctx, p.target)
		}
	}
	if e.opts.ParkingQueue != "" {
		ref, err := ParseQueue(e.opts.ParkingQueue)
		if err != nil {
			return plan{}, fmt.Errorf("%w: parking queue: %v", ErrBadRequest, err)
		}
		pq, err := e.resolveQueue(ctx, ref, "parking queue")
		if err != nil {
			return plan{}, err
		}
		if sameQueue(pq, p.source) {
			return plan{}, fmt.Errorf("%w: parking queue %s is the dead-letter queue itself", ErrBadRequest, e.opts.ParkingQueue)
		}
		p.parking = &pq
	}
	return p, nil
}

func sameQueue(a, b queueInfo) bool {
	return (a.arn != "" && a.arn == b.arn) || a.url == b.url
}

// resolveQueue turns an ARN into a URL and reads the attributes the engine
// needs; it is also the existence check for every queue.
func (e *Engine) resolveQueue(ctx context.Context, ref QueueRef, role string) (queueInfo, error) {
	q := queueInfo{url: ref.URL, arn: ref.ARN}
	name := ref.URL
	if ref.ARN != "" {
		name = ref.ARN
		out, err := e.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(ref.Name), QueueOwnerAWSAccountId: aws.String(ref.Account)})
		if err != nil {
			return queueInfo{}, queueError(err, role, name)
		}
		q.url = aws.ToString(out.QueueUrl)
	}
	out, err := e.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(q.url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameQueueArn, types.QueueAttributeNameFifoQueue,
			types.QueueAttributeNameApproximateNumberOfMessages,
		},
	})
	if err != nil {
		return queueInfo{}, queueError(err, role, name)
	}
	if a := out.Attributes[string(types.QueueAttributeNameQueueArn)]; a != "" {
		q.arn = a
	}
	q.fifo = out.Attributes[string(types.QueueAttributeNameFifoQueue)] == "true" || ref.IsFIFO()
	q.approx, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	return q, nil
}

// queueError translates the SDK's "no such queue" into ErrUnknownQueue.
func queueError(err error, role, name string) error {
	var nf *types.QueueDoesNotExist
	var api smithy.APIError
	if errors.As(err, &nf) || (errors.As(err, &api) && (api.ErrorCode() == "AWS.SimpleQueueService.NonExistentQueue" || api.ErrorCode() == "QueueDoesNotExist")) {
		return fmt.Errorf("%w: %s %s: %v", ErrUnknownQueue, role, name, err)
	}
	return fmt.Errorf("look up %s %s: %w", role, name, err)
}

// checkFunction asks Lambda to validate an invocation of the target without
// running it (InvocationType DryRun): the function and qualifier exist and
// the caller may invoke them.
func (e *Engine) checkFunction(ctx context.Context, t Target) error {
	if e.lambda == nil {
		return fmt.Errorf("%w: %s is a Lambda function but no Lambda client is configured", ErrBadTarget, t.ARN)
	}
	_, err := e.lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(t.Function),
		Qualifier:      optString(t.Qualifier),
		InvocationType: "DryRun",
	})
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "ResourceNotFoundException" {
			return fmt.Errorf("%w: function %s: %v", ErrBadTarget, t.ARN, err)
		}
		return fmt.Errorf("check target function %s: %w", t.ARN, err)
	}
	return nil
}

// reservedConcurrency reads a function's reserved concurrency, or 0 when
// it has none or it cannot be read (the caller may lack
// lambda:GetFunctionConcurrency, which only costs the bound, not the run).
func (e *Engine) reservedConcurrency(ctx context.Context, t Target) int {
	c, ok := e.lambda.(ConcurrencyAPI)
	if !ok {
		return 0
	}
	out, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(t.Function)})
	if err != nil {
		zerolog.Ctx(ctx).Debug().Err(err).Str("function", t.ARN).Msg("reserved concurrency unknown")
		return 0
	}
	if out.ReservedConcurrentExecutions == nil {
		return 0
	}
	// Reserved concurrency 0 stops the function; one worker finds out.
	return max(1, int(*out.ReservedConcurrentExecutions))
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
