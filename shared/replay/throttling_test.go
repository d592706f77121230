package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/replay"
)

// latencyTransport adds a fixed delay to every call before passing it on,
// as a real endpoint's round trip does (fauxqs on the loopback answers in
// about a millisecond, which no region does).
type latencyTransport struct {
	next  http.RoundTripper
	delay time.Duration
}

func (l latencyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t := time.NewTimer(l.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return l.next.RoundTrip(req)
}

// throttleTransport is an SQS endpoint that takes at most rate messages
// per second into SendMessageBatch (a token bucket holding a fifth of a
// second's worth) and answers every batch beyond it with RequestThrottled,
// as SQS does past a queue's limit. It counts what it let through and what
// it refused.
type throttleTransport struct {
	next  http.RoundTripper
	rate  float64
	burst float64

	mu        sync.Mutex
	tokens    float64
	last      time.Time
	sent      atomic.Int64 // messages let through
	batches   atomic.Int64 // SendMessageBatch calls let through
	throttled atomic.Int64 // SendMessageBatch calls refused
	// late counts the batches let through and refused once a third of
	// the messages went through: the steady state, after slow start.
	lateBatches, lateThrottled atomic.Int64
	third                      int64
}

func newThrottleTransport(next http.RoundTripper, rate float64) *throttleTransport {
	return &throttleTransport{next: next, rate: rate, burst: rate / 5, tokens: rate / 5, last: time.Now()}
}

func (tt *throttleTransport) admit(n int) bool {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	now := time.Now()
	tt.tokens = min(tt.burst, tt.tokens+now.Sub(tt.last).Seconds()*tt.rate)
	tt.last = now
	if tt.tokens < float64(n) {
		return false
	}
	tt.tokens -= float64(n)
	return true
}

func (tt *throttleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "AmazonSQS.") != "SendMessageBatch" {
		return tt.next.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	var in struct{ Entries []json.RawMessage }
	_ = json.Unmarshal(body, &in)
	late := tt.third > 0 && tt.sent.Load() >= tt.third
	if !tt.admit(len(in.Entries)) {
		tt.throttled.Add(1)
		if late {
			tt.lateThrottled.Add(1)
		}
		b := []byte(`{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Request is throttled."}`)
		return &http.Response{StatusCode: 400, Status: "400 Bad Request", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Query-Error": {"RequestThrottled;Sender"}},
			Body:   io.NopCloser(bytes.NewReader(b)), ContentLength: int64(len(b)), Request: req}, nil
	}
	tt.batches.Add(1)
	if late {
		tt.lateBatches.Add(1)
	}
	tt.sent.Add(int64(len(in.Entries)))
	req.Body = io.NopCloser(bytes.NewReader(body))
	return tt.next.RoundTrip(req)
}

// TestReplayBacksOffWhenThrottled replays through an endpoint that adds
// 20 ms to every call and throttles deliveries above 300 msgs/s. The
// adaptive run must settle below that rate (a few workers, not the 64 it
// may use), move every message without a loss, and make no retry storm:
// throttled calls stay a small share of the calls.
func TestReplayBacksOffWhenThrottled(t *testing.T) {
	const (
		n     = 1500
		limit = 300.0 // msgs/s the endpoint takes
	)
	clean := fauxqs(t, nil)
	tt := newThrottleTransport(latencyTransport{next: http.DefaultTransport.(*http.Transport).Clone(), delay: 20 * time.Millisecond}, limit)
	tt.third = n / 3
	c := fauxqs(t, tt)
	dlq := newQueue(t, clean, "throttle-dlq", false)
	target := newQueue(t, clean, "throttle-target", false)
	fill(t, clean, dlq, n, nil)

	eng := replay.New(c, nil, replay.Options{ReceiveWait: -1})
	start := time.Now()
	var runs []replay.Result
	for len(runs) < 5 {
		res, err := eng.Run(context.Background(), replay.Request{QueueURL: dlq, Target: target, MaxMessages: n, VisibilityTimeout: 5})
		if err != nil {
			t.Fatalf("run %d: %v", len(runs)+1, err)
		}
		runs = append(runs, res)
		if v, h := approx(t, clean, dlq); v+h == 0 {
			break
		}
		time.Sleep(5100 * time.Millisecond) // failed messages come back
	}
	took := time.Since(start)
	got, _ := drain(t, clean, target)
	dups := checkAll(t, got, n)
	first := runs[0]
	t.Logf("%d runs in %v (%.0f msgs/s); first run %+v; endpoint let %d messages through in %d batches and throttled %d batches (%d of %d after the first third); %d duplicates",
		len(runs), took.Round(time.Millisecond), float64(n)/took.Seconds(), first, tt.sent.Load(), tt.batches.Load(), tt.throttled.Load(),
		tt.lateThrottled.Load(), tt.lateBatches.Load(), dups)

	if first.Throttled == 0 || tt.throttled.Load() == 0 {
		t.Fatalf("nothing was throttled (engine saw %d, endpoint refused %d): the test did not test back-off", first.Throttled, tt.throttled.Load())
	}
	// 300 msgs/s at about 25 ms per call and three calls per batch of
	// ten is about three workers.
	if first.Concurrency > 6 {
		t.Errorf("settled at %d workers, want at most 6 for an endpoint taking %v msgs/s", first.Concurrency, limit)
	}
	// No retry storm: the refused batches (SDK retries included) are a
	// small share of those let through; most come from the overshoot at
	// the end of slow start (every batch then in flight, and its retries),
	// and once a third of the messages went through, few are refused.
	if refused, through := tt.throttled.Load(), tt.batches.Load(); float64(refused) > 0.25*float64(through) {
		t.Errorf("%d batches refused against %d let through: more than 25 %%", refused, through)
	}
	if refused, through := tt.lateThrottled.Load(), tt.lateBatches.Load(); float64(refused) > 0.08*float64(through) {
		t.Errorf("after the first third: %d batches refused against %d let through, more than 8 %%", refused, through)
	}
}

// throttlingFunction is a Lambda function that may run limit invocations
// at once and answers the others with TooManyRequestsException for its
// reserved concurrency, as Lambda does; each invocation takes 20 ms. It
// records the payloads it accepted.
type throttlingFunction struct {
	limit     int32
	inflight  atomic.Int32
	throttled atomic.Int64
	mu        sync.Mutex
	got       map[string]int
}

func (f *throttlingFunction) Invoke(ctx context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	if in.InvocationType == lambdatypes.InvocationTypeDryRun {
		return &lambda.InvokeOutput{StatusCode: 204}, nil
	}
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	if n > f.limit {
		f.throttled.Add(1)
		return nil, &smithy.OperationError{ServiceID: "Lambda", OperationName: "Invoke", Err: &lambdatypes.TooManyRequestsException{
			Message: aws.String("Rate Exceeded."), Reason: lambdatypes.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded}}
	}
	time.Sleep(20 * time.Millisecond)
	f.mu.Lock()
	f.got[string(in.Payload)]++
	f.mu.Unlock()
	return &lambda.InvokeOutput{StatusCode: 202}, nil
}

// TestReplayBacksOffWhenLambdaThrottles replays to a function that runs 25
// invocations at once (a batch invokes its ten at once, so two workers
// fit): the workers halve on TooManyRequestsException, throttled messages
// stay in the queue and reach the function in a later run, none is lost.
func TestReplayBacksOffWhenLambdaThrottles(t *testing.T) {
	const n = 300
	c := fauxqs(t, nil)
	dlq := newQueue(t, c, "fn-throttle-dlq", false)
	fill(t, c, dlq, n, nil)
	fn := &throttlingFunction{limit: 25, got: map[string]int{}}
	eng := replay.New(c, fn, replay.Options{ReceiveWait: -1})
	var logs bytes.Buffer
	ctx := zerolog.New(&logs).WithContext(context.Background())
	var runs []replay.Result
	for len(runs) < 8 {
		res, err := eng.Run(ctx, replay.Request{QueueURL: dlq, Target: "arn:aws:lambda:us-east-1:123456789012:function:capped", VisibilityTimeout: 1, MaxReplays: 100})
		if err != nil {
			t.Fatalf("run %d: %v", len(runs)+1, err)
		}
		runs = append(runs, res)
		if v, h := approx(t, c, dlq); v+h == 0 {
			break
		}
		time.Sleep(1100 * time.Millisecond) // throttled messages come back
	}
	delivered := 0
	for _, r := range runs {
		delivered += r.Replayed
	}
	t.Logf("%d runs %+v; the function refused %d invocations", len(runs), runs, fn.throttled.Load())
	if v, h := approx(t, c, dlq); v+h != 0 {
		t.Fatalf("DLQ still holds %d messages after %d runs", v+h, len(runs))
	}
	fn.mu.Lock()
	missing := 0
	for i := range n {
		if fn.got[fmt.Sprintf("msg-%d", i)] == 0 {
			missing++
		}
	}
	fn.mu.Unlock()
	if missing > 0 {
		t.Errorf("%d of %d messages never reached the function", missing, n)
	}
	first := runs[0]
	if first.Throttled == 0 || fn.throttled.Load() == 0 {
		t.Fatal("nothing was throttled: the test did not test back-off")
	}
	if first.Concurrency > 3 {
		t.Errorf("first run ended at %d workers; 25 invocations at once fit two batches of ten", first.Concurrency)
	}
	if refused := fn.throttled.Load(); refused > int64(n)/2 {
		t.Errorf("%d invocations refused for %d messages: a retry storm", refused, n)
	}
	if !strings.Contains(logs.String(), "throttled (TooManyRequestsException:ReservedFunctionConcurrentInvocationLimitExceeded)") {
		t.Error("no log line names the throttle's reason")
	}
}
