package replay

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/rs/zerolog"
)

// The end of a run: the messages it looked at and left in the dead-letter
// queue (skipped, or seen in a dry run) become visible again, and the
// result is completed with what remains in the queue.

// finish makes skipped and dry-run messages visible again, reads what
// remains and returns the result. It runs on a context detached from
// cancellation so an interrupted run still lets go of what it holds.
func (r *run) finish(ctx context.Context) Result {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	if dl, ok := ctx.Deadline(); ok {
		cancel()
		fctx, cancel = context.WithDeadline(context.WithoutCancel(ctx), dl)
	}
	defer cancel()

	r.mu.Lock()
	handles := make([]string, 0, len(r.release))
	for _, h := range r.release {
		handles = append(handles, h)
	}
	r.mu.Unlock()
	for start := 0; start < len(handles); start += batchSize {
		part := handles[start:min(start+batchSize, len(handles))]
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(part))
		for i, h := range part {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h), VisibilityTimeout: 0}
		}
		out, err := r.e.sqs.ChangeMessageVisibilityBatch(fctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(r.p.source.url), Entries: entries}, r.e.sqsRetries.sqs)
		if err == nil && len(out.Failed) > 0 {
			err = fmt.Errorf("%d entries rejected, first: %s", len(out.Failed), aws.ToString(out.Failed[0].Code))
		}
		if err != nil {
			// Not a loss: the messages become visible when their
			// visibility timeout ends.
			zerolog.Ctx(ctx).Warn().Err(err).Str("queue", r.p.source.url).Msg("could not make looked-at messages visible again")
		}
	}

	out, err := r.e.sqs.GetQueueAttributes(fctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(r.p.source.url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		v, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
		nv, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
		r.res.RemainingApprox = v + nv
	} else {
		r.res.RemainingApprox = -1
		zerolog.Ctx(ctx).Warn().Err(err).Str("queue", r.p.source.url).Msg("could not read the number of remaining messages")
	}
	res := r.res
	res.DryRunReport = r.report
	res.Concurrency, res.PeakConcurrency, res.Throttled = r.concurrency()
	return res
}
