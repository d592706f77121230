package replay

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/rs/zerolog"
)

// The batch pipeline: each received batch is classified, delivered to its
// targets, deleted from the dead-letter queue where a target accepted it,
// and accounted for in the result and the log.

// action is what the engine does with one received message.
type action int

const (
	actSkip   action = iota // left in the DLQ, made visible at the end
	actQueue                // sent to the target queue
	actLambda               // invoked on a function
	actPark                 // sent to the parking queue
	actLook                 // dry run: counted, made visible at the end
	actRepeat               // already counted in this run
)

// seenAs says how a message this run already counted ended, for when it
// is received again within the same run.
type seenAs int

const (
	// seenHeld: skipped or looked at, and made visible at the end.
	seenHeld seenAs = iota + 1
	// seenFailed: delivery failed; it is not retried within this run (a
	// failing target would otherwise be hammered) and waits for the next.
	seenFailed
)

// Outcomes, as logged per message.
const (
	outReplayed = "replayed"
	outParked   = "parked"
	outFailed   = "failed"
	outSkipped  = "skipped"
	outDryRun   = "dry-run"
)

// item is one received message on its way through a batch.
type item struct {
	msg    types.Message
	dec    Decoded
	act    action
	reason string
	fn     Target // function for actLambda
	dest   string // target as logged
	count  int    // replay counter after this replay
	// accepted: the target took the message; err says why not.
	accepted  bool
	err       error
	deleteErr error
	// throttled: the delivery failed because the target said to slow
	// down, which the controller counts as a throttle, not an error.
	throttled bool
}

func (it *item) id() string { return aws.ToString(it.msg.MessageId) }

// processBatch classifies, delivers and deletes one received batch, and
// says how the delivery went for the concurrency controller.
func (r *run) processBatch(ctx context.Context, msgs []types.Message) batchOutcome {
	items := make([]*item, len(msgs))
	fresh := 0
	for i, m := range msgs {
		items[i] = r.classify(m)
		if items[i].act != actRepeat {
			fresh++
		}
	}
	if fresh == 0 {
		// Every message is one this run already looked at and let go:
		// the queue has nothing new for it.
		r.stop()
	}

	var toQueue, toPark, toLambda []*item
	for _, it := range items {
		switch it.act {
		case actQueue:
			toQueue = append(toQueue, it)
		case actPark:
			toPark = append(toPark, it)
		case actLambda:
			toLambda = append(toLambda, it)
		}
	}
	if r.limiter != nil {
		// Tokens are taken for the messages about to be delivered, not
		// before the receive: an empty or filtered-out receive costs
		// none, so a rate-limited run ends as soon as the queue is dry.
		if n := len(toQueue) + len(toPark) + len(toLambda); n > 0 {
			if err := r.limiter.WaitN(ctx, n); err != nil {
				// The run is being cut off before these could go out
				// at the rate: they are let go, as skipped ones are.
				r.holdBack(items, "stopped before its turn at the rate limit")
				toQueue, toPark, toLambda = nil, nil, nil
			}
		}
	}
	var throttled atomic.Int32
	var wg sync.WaitGroup
	if len(toQueue) > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); throttled.Add(r.sendToQueue(ctx, r.p.tqueue, toQueue)) }()
	}
	if len(toPark) > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); throttled.Add(r.sendToQueue(ctx, *r.p.parking, toPark)) }()
	}
	for _, it := range toLambda {
		wg.Add(1)
		go func() { defer wg.Done(); throttled.Add(r.invoke(ctx, it)) }()
	}
	wg.Wait()

	var o batchOutcome
	var done []*item
	for _, it := range items {
		switch {
		case it.accepted:
			done = append(done, it)
			o.delivered++
			o.attempted++
		case it.act == actQueue || it.act == actPark || it.act == actLambda:
			o.attempted++
			if !it.throttled {
				o.failed++
			}
		}
	}
	throttled.Add(r.deleteAccepted(ctx, done))
	r.account(ctx, items)
	o.throttled = int(throttled.Load())
	return o
}

// holdBack turns the deliveries of a batch into messages left in the
// queue: made visible at the end, counted as skipped, never failed.
func (r *run) holdBack(items []*item, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, it := range items {
		switch it.act {
		case actQueue, actPark, actLambda:
			it.act, it.reason = actSkip, reason
			r.seen[it.id()] = seenHeld
			r.release[it.id()] = aws.ToString(it.msg.ReceiptHandle)
		}
	}
}

// classify decides what to do with one message, without side effects on
// AWS.
func (r *run) classify(m types.Message) *item {
	body := aws.ToString(m.Body)
	it := &item{msg: m, dec: DecodeMessage(body, m.MessageAttributes)}

	r.mu.Lock()
	defer r.mu.Unlock()
	if how := r.seen[it.id()]; how != 0 {
		it.act = actRepeat
		if how == seenHeld {
			r.release[it.id()] = aws.ToString(m.ReceiptHandle)
		}
		return it
	}
	r.res.Received++

	var dest Target
	switch {
	case !r.req.Filter.Matches(body, it.dec):
		it.act, it.reason = actSkip, "filter"
	case r.p.target.Kind != TargetNone:
		dest = r.p.target
	case it.dec.Kind == KindOnFailure:
		dest, _ = ParseTarget(it.dec.FunctionARN) // checked by DecodeMessage
	default:
		it.act, it.reason = actSkip, "no-target"
	}
	if dest.Kind != TargetNone {
		it.dest = dest.String()
		count := max(it.dec.ReplayCount, r.e.ledger.count(ledgerKey(dest, it.dec.Payload)))
		switch {
		case it.dec.BadCounter || count >= r.req.MaxReplays:
			it.reason = "max-replays"
			if r.p.parking != nil {
				it.act, it.dest, it.count = actPark, r.p.parking.url, count
			} else {
				it.act = actSkip
			}
		case dest.Kind == TargetLambda:
			it.act, it.fn, it.count = actLambda, dest, count+1
		default:
			it.act, it.count = actQueue, count+1
		}
	}

	if r.req.DryRun {
		r.lookedAt(it, len(body))
		it.act = actLook
	}
	if it.act == actSkip || it.act == actLook {
		r.seen[it.id()] = seenHeld
		r.release[it.id()] = aws.ToString(m.ReceiptHandle)
	}
	return it
}

// lookedAt adds a message to the dry-run report. Called with r.mu held.
func (r *run) lookedAt(it *item, size int) {
	rep := r.report
	code := it.dec.ErrorCode
	if code == "" {
		code = "none"
	}
	rep.ByErrorCode[code]++
	switch it.act {
	case actQueue, actLambda:
		rep.ByTarget[it.dest]++
		rep.WouldReplay++
	case actPark:
		rep.ByTarget[it.dest]++
		rep.WouldPark++
	default:
		r.res.Skipped++
	}
	if len(rep.Samples) < 5 {
		rep.Samples = append(rep.Samples, Sample{MessageID: it.id(), SizeBytes: size, Kind: it.dec.Kind, ErrorCode: it.dec.ErrorCode, Target: it.dest})
	}
}

// sendToQueue delivers items to q with SendMessageBatch, splitting by size,
// and marks each item accepted only when the response lists it among the
// successful entries. An entry in neither list, or a call that failed,
// leaves the outcome unknown: the item is not accepted.
func (r *run) sendToQueue(ctx context.Context, q queueInfo, items []*item) (throttled int32) {
	var chunk []types.SendMessageBatchRequestEntry
	var chunkItems []*item
	size := 0
	flush := func() {
		if len(chunk) > 0 {
			throttled += r.sendChunk(ctx, q, chunk, chunkItems)
		}
		chunk, chunkItems, size = nil, nil, 0
	}
	for i, it := range items {
		e := r.entry(q, it, strconv.Itoa(i))
		n := entrySize(e)
		if len(chunk) > 0 && size+n > maxBatchBytes {
			flush()
		}
		chunk = append(chunk, e)
		chunkItems = append(chunkItems, it)
		size += n
	}
	flush()
	return throttled
}

// sendChunk sends one SendMessageBatch and marks its items; it returns the
// number of throttled attempts and entries.
func (r *run) sendChunk(ctx context.Context, q queueInfo, entries []types.SendMessageBatchRequestEntry, items []*item) (throttled int32) {
	byID := make(map[string]*item, len(items))
	for i, e := range entries {
		byID[aws.ToString(e.Id)] = items[i]
	}
	out, err := r.e.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url), Entries: entries}, r.e.sqsRetries.sqs)
	if err != nil {
		isThrottle := throttleCode(err) != ""
		for _, it := range items {
			it.err = fmt.Errorf("send to %s: outcome unknown: %w", q.url, err)
			it.throttled = isThrottle
		}
		if isThrottle {
			return 1
		}
		return 0
	}
	throttled = int32(retriedThrottles(out.ResultMetadata))
	for _, s := range out.Successful {
		if it := byID[aws.ToString(s.Id)]; it != nil {
			it.accepted = true
		}
	}
	for _, f := range out.Failed {
		if it := byID[aws.ToString(f.Id)]; it != nil && !it.accepted {
			it.err = fmt.Errorf("send to %s rejected: %s: %s", q.url, aws.ToString(f.Code), aws.ToString(f.Message))
			if isThrottleCode(aws.ToString(f.Code)) {
				it.throttled = true
				throttled++
			}
		}
	}
	for _, it := range items {
		if !it.accepted && it.err == nil {
			it.err = fmt.Errorf("send to %s: entry missing from the response, outcome unknown", q.url)
		}
	}
	return throttled
}

// entry builds the SendMessageBatch entry for it: the body unchanged, the
// message attributes preserved, the replay counter set, and for a FIFO
// queue the source's group ID and a deduplication ID stable across re-runs.
func (r *run) entry(q queueInfo, it *item, id string) types.SendMessageBatchRequestEntry {
	attrs := make(map[string]types.MessageAttributeValue, len(it.msg.MessageAttributes)+1)
	for k, v := range it.msg.MessageAttributes {
		attrs[k] = types.MessageAttributeValue{DataType: v.DataType, StringValue: v.StringValue, BinaryValue: v.BinaryValue}
	}
	if _, has := attrs[ReplayCountAttribute]; has || len(attrs) < maxMessageAttributes {
		attrs[ReplayCountAttribute] = types.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(it.count))}
	} else {
		it.reason = "counter-dropped: message already has 10 attributes"
	}
	e := types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: it.msg.Body, MessageAttributes: attrs}
	if q.fifo {
		group := it.msg.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]
		if group == "" {
			group = it.id()
		}
		// The source message ID stays the same however often the message
		// is received, so a replay repeated after a crash within SQS's
		// five-minute deduplication window is dropped by the target.
		e.MessageGroupId = aws.String(group)
		e.MessageDeduplicationId = aws.String(it.id() + "-" + strconv.Itoa(it.count))
	}
	return e
}

func entrySize(e types.SendMessageBatchRequestEntry) int {
	n := len(aws.ToString(e.MessageBody))
	for k, v := range e.MessageAttributes {
		n += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
	}
	return n
}

// invoke re-sends one event to its function asynchronously. Only a 202
// answer is acceptance. It returns the number of throttled attempts.
func (r *run) invoke(ctx context.Context, it *item) (throttled int32) {
	out, err := r.e.lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(it.fn.Function),
		Qualifier:      optString(it.fn.Qualifier),
		InvocationType: lambdatypes.InvocationTypeEvent,
		Payload:        it.dec.Payload,
	}, r.e.fnRetries.lambda)
	if err == nil {
		throttled = int32(retriedThrottles(out.ResultMetadata))
	}
	switch {
	case err != nil:
		it.err = fmt.Errorf("invoke %s: %w", it.fn.ARN, err)
		if code := throttleCode(err); code != "" {
			// The reason (reserved concurrency, account concurrency,
			// invocation rate) is not in the error's message.
			it.err = fmt.Errorf("invoke %s: throttled (%s): %w", it.fn.ARN, code, err)
			it.throttled = true
			throttled++
		}
	case out.StatusCode != 202:
		it.err = fmt.Errorf("invoke %s: status %d, want 202", it.fn.ARN, out.StatusCode)
	default:
		it.accepted = true
		r.e.ledger.add(ledgerKey(it.fn, it.dec.Payload), it.count)
	}
	return throttled
}

// deleteAccepted removes delivered messages from the DLQ. A failed delete
// means the message comes back and is delivered again: a duplicate, which
// is logged, never a loss. It returns the number of throttled attempts.
func (r *run) deleteAccepted(ctx context.Context, items []*item) (throttled int32) {
	if len(items) == 0 {
		return 0
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, len(items))
	for i, it := range items {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: it.msg.ReceiptHandle}
	}
	// Deleting what was delivered matters more than the deadline: use a
	// context that survives the work context's cut-off for a few seconds.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	out, err := r.e.sqs.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(r.p.source.url), Entries: entries}, r.e.sqsRetries.sqs)
	if err != nil {
		for _, it := range items {
			it.deleteErr = fmt.Errorf("delete from %s: %w", r.p.source.url, err)
		}
		if throttleCode(err) != "" {
			return 1
		}
		return 0
	}
	throttled = int32(retriedThrottles(out.ResultMetadata))
	for _, f := range out.Failed {
		if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= 0 && i < len(items) {
			items[i].deleteErr = fmt.Errorf("delete from %s rejected: %s: %s", r.p.source.url, aws.ToString(f.Code), aws.ToString(f.Message))
			if isThrottleCode(aws.ToString(f.Code)) {
				throttled++
			}
		}
	}
	return throttled
}

// account adds a batch to the result and writes one log line per message.
func (r *run) account(ctx context.Context, items []*item) {
	log := zerolog.Ctx(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, it := range items {
		if it.act == actRepeat {
			continue
		}
		outcome := outSkipped
		switch it.act {
		case actLook:
			outcome = outDryRun
		case actSkip:
			r.res.Skipped++
		case actQueue, actLambda, actPark:
			switch {
			case !it.accepted:
				outcome = outFailed
				r.res.Failed++
				r.seen[it.id()] = seenFailed
			case it.act == actPark:
				outcome = outParked
				r.res.Parked++
			default:
				outcome = outReplayed
				r.res.Replayed++
			}
		}
		ev := log.Info()
		if outcome == outFailed || it.deleteErr != nil {
			ev = log.Warn()
		}
		ev = ev.Str("messageId", it.id()).
			Str("failedRequestId", it.dec.RequestID).
			Str("kind", string(it.dec.Kind)).
			Str("target", it.dest).
			Str("outcome", outcome).
			Int("attempt", it.count).
			Str("errorCode", it.dec.ErrorCode).
			Int("sizeBytes", len(aws.ToString(it.msg.Body)))
		if it.reason != "" {
			ev = ev.Str("reason", it.reason)
		}
		if it.err != nil {
			ev = ev.AnErr("error", it.err)
		}
		if it.deleteErr != nil {
			ev = ev.AnErr("deleteError", it.deleteErr)
		}
		ev.Msg("dlq message")
	}
}
