package testenv

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

var queueSeq atomic.Int64

// NewQueue creates a uniquely named queue and returns its URL.
func NewQueue(t testing.TB, c *sqs.Client, prefix string, fifo bool) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1_000_000_000, queueSeq.Add(1))
	attrs := map[string]string{}
	if fifo {
		name += ".fifo"
		attrs["FifoQueue"] = "true"
	}
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// QueueARN is the ARN of the queue at url.
func QueueARN(t testing.TB, c *sqs.Client, url string) string {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["QueueArn"]
}

// FillQueue sends n messages with bodies msg-0 .. msg-(n-1) and the given
// attributes.
func FillQueue(t testing.TB, c *sqs.Client, url string, n int, attrs map[string]types.MessageAttributeValue) {
	t.Helper()
	for start := 0; start < n; start += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for i := start; i < min(start+10, n); i++ {
			e := types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(fmt.Sprintf("msg-%d", i)), MessageAttributes: attrs}
			if strings.HasSuffix(url, ".fifo") {
				e.MessageGroupId = aws.String("g" + strconv.Itoa(i%3))
				e.MessageDeduplicationId = aws.String("d" + strconv.Itoa(i))
			}
			entries = append(entries, e)
		}
		out, err := c.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil {
			t.Fatalf("fill %s: %v", url, err)
		}
		if len(out.Failed) > 0 {
			t.Fatalf("fill %s: %d entries failed: %s", url, len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
	}
}

// DrainQueue receives and deletes everything in a queue and returns the
// messages received, keyed by body (a count above one is a duplicate).
// An empty receive ends it only when the queue also reports nothing in
// flight: a receive whose response was lost on the way (the SDK then
// retries it) leaves its messages hidden for DrainVisibility, and they
// are still in the queue.
func DrainQueue(t testing.TB, c *sqs.Client, url string) (map[string]int, []types.Message) {
	t.Helper()
	ctx := context.Background()
	got := map[string]int{}
	var all []types.Message
	deadline := time.Now().Add(6 * DrainVisibility)
	waited := false
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: int32(DrainVisibility / time.Second),
			MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("drain %s: %v", url, err)
		}
		if len(out.Messages) == 0 {
			visible, hidden := QueueDepth(t, c, url)
			if visible+hidden == 0 {
				return got, all
			}
			if time.Now().After(deadline) {
				t.Fatalf("drain %s: still %d visible and %d in flight after %v", url, visible, hidden, 6*DrainVisibility)
			}
			if !waited {
				t.Logf("drain %s: an empty receive with %d visible and %d in flight; waiting for them", url, visible, hidden)
				waited = true
			}
			time.Sleep(250 * time.Millisecond)
			continue
		}
		var del []types.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			got[aws.ToString(m.Body)]++
			all = append(all, m)
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del}); err != nil {
			t.Fatalf("drain %s: delete: %v", url, err)
		}
	}
}

// DrainVisibility hides what DrainQueue received while it deletes it; short,
// so that messages of a lost receive response come back soon.
const DrainVisibility = 5 * time.Second

// QueueDepth reads ApproximateNumberOfMessages + NotVisible.
func QueueDepth(t testing.TB, c *sqs.Client, url string) (visible, hidden int) {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{
		types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	visible, _ = strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	hidden, _ = strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return visible, hidden
}

// CheckAllBodies fails the test unless every body msg-0..msg-(n-1) is in got.
func CheckAllBodies(t testing.TB, got map[string]int, n int) (duplicates int) {
	t.Helper()
	missing := 0
	for i := range n {
		c := got[fmt.Sprintf("msg-%d", i)]
		if c == 0 {
			missing++
		}
		if c > 1 {
			duplicates += c - 1
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d messages missing from the target", missing, n)
	}
	if len(got) > n {
		t.Errorf("target holds %d distinct bodies, want %d", len(got), n)
	}
	return duplicates
}
