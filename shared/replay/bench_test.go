package replay_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/shared/replay"
)

// countingTransport counts SQS calls by operation, to report calls per
// message: the figure that carries over from fauxqs to real AWS latencies.
// It also counts the SDK's retries, which tests use to tell a duplicate
// the engine caused from one a lost answer did.
type countingTransport struct {
	next    http.RoundTripper
	mu      sync.Mutex
	calls   map[string]int
	total   atomic.Int64
	retries atomic.Int64
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if awsfake.IsSDKRetry(req) {
		c.retries.Add(1)
	}
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "AmazonSQS.")
	c.mu.Lock()
	c.calls[op]++
	c.mu.Unlock()
	c.total.Add(1)
	return c.next.RoundTrip(req)
}

func (c *countingTransport) reset() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.calls
	c.calls = map[string]int{}
	c.total.Store(0)
	return old
}

// fillFast fills a queue with n messages using parallel batch sends.
func fillFast(tb testing.TB, c *sqs.Client, url string, n int) {
	tb.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := w * 10; start < n; start += 80 {
				var entries []types.SendMessageBatchRequestEntry
				for i := start; i < min(start+10, n); i++ {
					entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(fmt.Sprintf(`{"order":%d,"pad":"%s"}`, i, strings.Repeat("x", 200)))})
				}
				if _, err := c.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// oneAtATime is the loop the engine is measured against, as scripts
// commonly do it: receive one, send one, delete one.
func oneAtATime(ctx context.Context, c *sqs.Client, dlq, target string) (int, error) {
	moved := 0
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 1, MessageAttributeNames: []string{"All"}})
		if err != nil {
			return moved, err
		}
		if len(out.Messages) == 0 {
			return moved, nil
		}
		m := out.Messages[0]
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(target), MessageBody: m.Body, MessageAttributes: m.MessageAttributes}); err != nil {
			return moved, err
		}
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlq), ReceiptHandle: m.ReceiptHandle}); err != nil {
			return moved, err
		}
		moved++
	}
}

// benchMessages is 5,000 unless SELFAUDIT_BENCH_MESSAGES says otherwise.
func benchMessages() int {
	if n, err := strconv.Atoi(os.Getenv("SELFAUDIT_BENCH_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 5000
}

// BenchmarkReplay measures messages per second of the engine and of the
// one-at-a-time loop on the same fauxqs in the same run, and the SQS calls
// each needs per message. Figures are in README.md.
func BenchmarkReplay(b *testing.B) {
	n := benchMessages()
	ct := &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone(), calls: map[string]int{}}
	c := fauxqs(b, ct)
	run := func(b *testing.B, move func(ctx context.Context, dlq, target string) (int, error)) {
		var elapsed time.Duration
		var calls int64
		for range b.N {
			b.StopTimer()
			dlq := newQueue(b, c, "bench-dlq", false)
			target := newQueue(b, c, "bench-target", false)
			fillFast(b, c, dlq, n)
			ct.reset()
			b.StartTimer()
			start := time.Now()
			moved, err := move(context.Background(), dlq, target)
			elapsed += time.Since(start)
			calls += ct.total.Load()
			b.StopTimer()
			if err != nil || moved != n {
				b.Fatalf("moved %d of %d: %v", moved, n, err)
			}
			b.Logf("calls by operation: %v", ct.reset())
		}
		b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(calls)/float64(n*b.N), "calls/msg")
		b.ReportMetric(0, "ns/op")
	}
	b.Run("engine", func(b *testing.B) {
		eng := replay.New(c, nil, replay.Options{ReceiveWait: -1})
		run(b, func(ctx context.Context, dlq, target string) (int, error) {
			res, err := eng.Run(ctx, replay.Request{QueueURL: dlq, Target: target, MaxMessages: n})
			return res.Replayed, err
		})
	})
	b.Run("one-at-a-time", func(b *testing.B) {
		run(b, func(ctx context.Context, dlq, target string) (int, error) { return oneAtATime(ctx, c, dlq, target) })
	})
}

// TestEngineAgainstLoop is the benchmark's small sibling for `make test`:
// both ways move every message, and the engine needs far fewer calls.
func TestEngineAgainstLoop(t *testing.T) {
	const n = 100
	ct := &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone(), calls: map[string]int{}}
	c := fauxqs(t, ct)
	measure := func(move func(dlq, target string) (int, error)) (time.Duration, float64) {
		dlq := newQueue(t, c, "cmp-dlq", false)
		target := newQueue(t, c, "cmp-target", false)
		fillFast(t, c, dlq, n)
		ct.reset()
		start := time.Now()
		moved, err := move(dlq, target)
		d := time.Since(start)
		if err != nil || moved != n {
			t.Fatalf("moved %d of %d: %v", moved, n, err)
		}
		return d, float64(ct.total.Load()) / n
	}
	eng := replay.New(c, nil, replay.Options{ReceiveWait: -1})
	de, ce := measure(func(dlq, target string) (int, error) {
		res, err := eng.Run(context.Background(), replay.Request{QueueURL: dlq, Target: target})
		return res.Replayed, err
	})
	dl, cl := measure(func(dlq, target string) (int, error) { return oneAtATime(context.Background(), c, dlq, target) })
	t.Logf("engine %v (%.2f calls/msg), one at a time %v (%.2f calls/msg), ratio %.1fx", de, ce, dl, cl, dl.Seconds()/de.Seconds())
	// 0.3 calls per message in steady state; the empty receives that end
	// a run of 100 messages add a few tenths. A third of the loop's calls
	// is the bound that still proves batching.
	if cl < 3 || ce > cl/3 {
		t.Errorf("calls per message: engine %.2f, loop %.2f; want batching (about 0.3 and 3)", ce, cl)
	}
}

// BenchmarkReplayLatency measures what the adaptive concurrency buys at a
// real endpoint's round trip: every SQS call goes through a transport that
// adds 20 ms (SELFAUDIT_BENCH_LATENCY changes it), and 3,000 messages
// (SELFAUDIT_BENCH_LATENCY_MESSAGES) are moved DLQ -> queue with the
// flags `selfaudit replay --max 3000` uses by default (adaptive workers up
// to 64, 1 s long polls), and beside it, on the same fauxqs in the same
// process, with 8 fixed workers, the engine's former default. Reported:
// msgs/s, and the workers the adaptive run ended at and peaked at. Figures
// are in README.md.
func BenchmarkReplayLatency(b *testing.B) {
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("SELFAUDIT_BENCH_LATENCY_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	delay := 20 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("SELFAUDIT_BENCH_LATENCY")); err == nil && d >= 0 {
		delay = d
	}
	clean := fauxqs(b, nil)
	slow := fauxqs(b, latencyTransport{next: http.DefaultTransport.(*http.Transport).Clone(), delay: delay})
	for _, mode := range []struct {
		name string
		opts replay.Options
	}{
		{"adaptive", replay.Options{}},
		{"fixed-8", replay.Options{Workers: 8}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			eng := replay.New(slow, nil, mode.opts)
			var elapsed time.Duration
			var settled, peak int
			for range b.N {
				b.StopTimer()
				dlq := newQueue(b, clean, "lat-dlq", false)
				target := newQueue(b, clean, "lat-target", false)
				fillFast(b, clean, dlq, n)
				b.StartTimer()
				start := time.Now()
				res, err := eng.Run(context.Background(), replay.Request{QueueURL: dlq, Target: target, MaxMessages: n})
				elapsed += time.Since(start)
				b.StopTimer()
				if err != nil || res.Replayed != n {
					b.Fatalf("replayed %d of %d: %v", res.Replayed, n, err)
				}
				settled += res.Concurrency
				peak = max(peak, res.PeakConcurrency)
				b.Logf("%s: %d messages in %v; workers ended at %d, peak %d, %d throttled", mode.name, n, time.Since(start).Round(time.Millisecond), res.Concurrency, res.PeakConcurrency, res.Throttled)
			}
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(settled)/float64(b.N), "workers")
			b.ReportMetric(float64(peak), "peak-workers")
			b.ReportMetric(0, "ns/op")
		})
	}
}
