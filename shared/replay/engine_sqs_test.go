package replay_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfaudit/selfaudit/shared/replay"
)

func str(s string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
}

func num(s string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(s)}
}

// TestReplayToQueue moves a DLQ of Lambda async failures to another queue
// through fauxqs: everything arrives once, attributes survive, the counter
// is set, and the DLQ is empty afterwards.
func TestReplayToQueue(t *testing.T) {
	ct := &countingTransport{next: http.DefaultTransport, calls: map[string]int{}}
	c := fauxqs(t, ct)
	ctx := context.Background()
	dlq := newQueue(t, c, "dlq", false)
	target := newQueue(t, c, "target", false)
	const n = 45
	fill(t, c, dlq, n, map[string]types.MessageAttributeValue{
		"RequestID": str("8ea123e4-1db7-4aca-ad10-d9ca1234c1fd"), "ErrorCode": num("200"), "ErrorMessage": str("boom"),
	})

	eng := replay.New(c, nil, replay.Options{Workers: 4})
	res, err := eng.Run(ctx, replay.Request{QueueURL: dlq, Target: queueARN(t, c, target)})
	if err != nil {
		t.Fatal(err)
	}
	want := replay.Result{Received: n, Replayed: n, Concurrency: 4, PeakConcurrency: 4}
	if res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	got, msgs := drain(t, c, target)
	// A duplicate is allowed only where an answer was lost and the SDK
	// sent a batch again; the engine itself must not cause one.
	if d := checkAll(t, got, n); d != 0 && ct.retries.Load() == 0 {
		t.Errorf("%d duplicates", d)
	}
	m := msgs[0]
	if v := aws.ToString(m.MessageAttributes[replay.ReplayCountAttribute].StringValue); v != "1" {
		t.Errorf("replay counter = %q, want 1", v)
	}
	if v := aws.ToString(m.MessageAttributes["ErrorCode"].StringValue); v != "200" {
		t.Errorf("ErrorCode attribute = %q, want it preserved as 200", v)
	}
	if v, h := approx(t, c, dlq); v+h != 0 {
		t.Errorf("DLQ still holds %d visible + %d hidden messages", v, h)
	}
}

// TestReplayOptions covers filters, limits, dry run, FIFO and the replay
// counter against fauxqs.
func TestReplayOptions(t *testing.T) {
	ct := &countingTransport{next: http.DefaultTransport, calls: map[string]int{}}
	c := fauxqs(t, ct)
	ctx := context.Background()

	t.Run("dry run changes nothing", func(t *testing.T) {
		dlq := newQueue(t, c, "dlq", false)
		target := newQueue(t, c, "target", false)
		fill(t, c, dlq, 23, map[string]types.MessageAttributeValue{"RequestID": str("r"), "ErrorCode": num("429")})
		res, err := replay.New(c, nil, replay.Options{}).Run(ctx, replay.Request{QueueURL: dlq, Target: target, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Received != 23 || res.Replayed != 0 || !res.DryRun || res.DryRunReport == nil {
			t.Fatalf("result = %+v", res)
		}
		if r := res.DryRunReport; r.ByErrorCode["429"] != 23 || r.WouldReplay != 23 || r.ByTarget[target] != 23 || len(r.Samples) != 5 || r.Samples[0].SizeBytes == 0 {
			t.Errorf("report = %+v", r)
		}
		if res.RemainingApprox != 23 {
			t.Errorf("remainingApprox = %d, want 23", res.RemainingApprox)
		}
		if v, _ := approx(t, c, dlq); v != 23 {
			t.Errorf("%d messages visible after the dry run, want all 23 at once", v)
		}
		if v, h := approx(t, c, target); v+h != 0 {
			t.Errorf("dry run sent %d messages to the target", v+h)
		}
	})

	t.Run("filter and max", func(t *testing.T) {
		dlq := newQueue(t, c, "dlq", false)
		target := newQueue(t, c, "target", false)
		fill(t, c, dlq, 10, map[string]types.MessageAttributeValue{"RequestID": str("r"), "ErrorCode": num("500")})
		fill(t, c, dlq, 20, map[string]types.MessageAttributeValue{"RequestID": str("r"), "ErrorCode": num("429")})
		res, err := replay.New(c, nil, replay.Options{}).Run(ctx, replay.Request{QueueURL: dlq, Target: target, Filter: replay.Filter{ErrorCode: "429"}})
		if err != nil {
			t.Fatal(err)
		}
		// Bodies msg-0..msg-9 exist twice (both fills); 20 match.
		if res.Replayed != 20 || res.Skipped != 10 || res.Received != 30 {
			t.Errorf("result = %+v", res)
		}
		if v, _ := approx(t, c, dlq); v != 10 {
			t.Errorf("%d left visible in the DLQ, want the 10 filtered out", v)
		}
		res, err = replay.New(c, nil, replay.Options{Workers: 3}).Run(ctx, replay.Request{QueueURL: dlq, Target: target, MaxMessages: 4})
		if err != nil {
			t.Fatal(err)
		}
		if res.Received != 4 || res.Replayed != 4 || res.RemainingApprox != 6 {
			t.Errorf("with maxMessages 4: result = %+v", res)
		}
	})

	t.Run("body filter", func(t *testing.T) {
		dlq := newQueue(t, c, "dlq", false)
		target := newQueue(t, c, "target", false)
		fill(t, c, dlq, 12, nil)
		res, err := replay.New(c, nil, replay.Options{}).Run(ctx, replay.Request{QueueURL: dlq, Target: target, Filter: replay.Filter{BodyContains: "msg-1"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Replayed != 3 || res.Skipped != 9 { // msg-1, msg-10, msg-11
			t.Errorf("result = %+v", res)
		}
	})

	t.Run("counter parks past maxReplays", func(t *testing.T) {
		dlq := newQueue(t, c, "dlq", false)
		target := newQueue(t, c, "target", false)
		parking := newQueue(t, c, "parking", false)
		fill(t, c, dlq, 5, map[string]types.MessageAttributeValue{replay.ReplayCountAttribute: num("2")})
		fill(t, c, dlq, 3, map[string]types.MessageAttributeValue{replay.ReplayCountAttribute: num("1")})
		fill(t, c, dlq, 1, map[string]types.MessageAttributeValue{replay.ReplayCountAttribute: num("x")})
		res, err := replay.New(c, nil, replay.Options{ParkingQueue: parking}).Run(ctx, replay.Request{QueueURL: dlq, Target: target, MaxReplays: 2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Parked != 6 || res.Replayed != 3 {
			t.Errorf("result = %+v", res)
		}
		// More than 6 only where the SDK sent a batch again after its
		// answer was lost.
		_, parked := drain(t, c, parking)
		if len(parked) != 6 && (len(parked) < 6 || ct.retries.Load() == 0) {
			t.Errorf("parking queue holds %d, want 6", len(parked))
		}
		_, replayed := drain(t, c, target)
		for _, m := range replayed {
			if v := aws.ToString(m.MessageAttributes[replay.ReplayCountAttribute].StringValue); v != "2" {
				t.Errorf("counter on replayed message = %q, want 2", v)
			}
		}
	})

	t.Run("over maxReplays without parking stays", func(t *testing.T) {
		dlq := newQueue(t, c, "dlq", false)
		target := newQueue(t, c, "target", false)
		fill(t, c, dlq, 4, map[string]types.MessageAttributeValue{replay.ReplayCountAttribute: num("3")})
		res, err := replay.New(c, nil, replay.Options{}).Run(ctx, replay.Request{QueueURL: dlq, Target: target})
		if err != nil {
			t.Fatal(err)
		}
		if res.Skipped != 4 || res.Replayed != 0 || res.RemainingApprox != 4 {
			t.Errorf("result = %+v", res)
		}
	})

	t.Run("fifo to fifo", func(t *testing.T) {
		dlq := newQueue(t, c, "dlq", true)
		target := newQueue(t, c, "target", true)
		fill(t, c, dlq, 15, nil)
		res, err := replay.New(c, nil, replay.Options{}).Run(ctx, replay.Request{QueueURL: queueARN(t, c, dlq), Target: target})
		if err != nil {
			t.Fatal(err)
		}
		if res.Replayed != 15 {
			t.Errorf("result = %+v", res)
		}
		got, msgs := drain(t, c, target)
		checkAll(t, got, 15)
		for _, m := range msgs {
			if g := m.Attributes["MessageGroupId"]; !strings.HasPrefix(g, "g") {
				t.Errorf("group %q, want the source's group", g)
			}
		}
	})

	t.Run("standard to fifo", func(t *testing.T) {
		dlq := newQueue(t, c, "dlq", false)
		target := newQueue(t, c, "target", true)
		fill(t, c, dlq, 12, nil)
		res, err := replay.New(c, nil, replay.Options{}).Run(ctx, replay.Request{QueueURL: dlq, Target: target})
		if err != nil || res.Replayed != 12 {
			t.Fatalf("result = %+v, %v", res, err)
		}
		got, _ := drain(t, c, target)
		checkAll(t, got, 12)
	})

	t.Run("rate limit", func(t *testing.T) {
		dlq := newQueue(t, c, "dlq", false)
		target := newQueue(t, c, "target", false)
		fill(t, c, dlq, 30, nil)
		start := time.Now()
		res, err := replay.New(c, nil, replay.Options{}).Run(ctx, replay.Request{QueueURL: dlq, Target: target, RatePerSecond: 20})
		if err != nil || res.Replayed != 30 {
			t.Fatalf("result = %+v, %v", res, err)
		}
		// 30 messages at 20/s with a bucket of 10: at least 1 s.
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Errorf("30 messages at 20/s took %v", d)
		}
	})
}

// TestReplayStopsBeforeDeadline gives the engine a deadline it cannot meet:
// it must stop with its margin, without error, and report what is left.
func TestReplayStopsBeforeDeadline(t *testing.T) {
	c := fauxqs(t, nil)
	dlq := newQueue(t, c, "slow-dlq", false)
	target := newQueue(t, c, "slow-target", false)
	const n = 200
	fill(t, c, dlq, n, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	dl, _ := ctx.Deadline()
	res, err := replay.New(c, nil, replay.Options{SafetyMargin: time.Second}).Run(ctx, replay.Request{QueueURL: dlq, Target: target, RatePerSecond: 20})
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(dl); left < 300*time.Millisecond {
		t.Errorf("returned %v before the deadline; want most of the margin left", left)
	}
	if res.Replayed == 0 || res.Replayed >= n || res.RemainingApprox != n-res.Replayed || res.Failed != 0 {
		t.Errorf("result = %+v; want a partial replay with the rest reported", res)
	}
}
