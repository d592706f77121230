package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/replay"
)

// TestReplayProgress: a run reports snapshots while it goes on and a last
// one, Done, that agrees with its result.
func TestReplayProgress(t *testing.T) {
	c := fauxqs(t, nil)
	dlq := newQueue(t, c, "progress-dlq", false)
	target := newQueue(t, c, "progress-target", false)
	const n = 40
	fill(t, c, dlq, n, nil)
	var mu sync.Mutex
	var got []replay.Progress
	eng := replay.New(c, nil, replay.Options{ReceiveWait: -1, ProgressEvery: 50 * time.Millisecond, Progress: func(_ context.Context, p replay.Progress) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, p)
	}})
	// 40 messages at 40/s take about a second.
	res, err := eng.Run(context.Background(), replay.Request{QueueURL: dlq, Target: target, RatePerSecond: 40})
	if err != nil || res.Replayed != n {
		t.Fatalf("result = %+v, %v", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 3 {
		t.Fatalf("%d progress reports in a run of about a second, want several: %+v", len(got), got)
	}
	for i, p := range got {
		if p.Total != n || (i > 0 && p.Received < got[i-1].Received) || p.Done != (i == len(got)-1) {
			t.Errorf("report %d of %d: %+v", i+1, len(got), p)
		}
	}
	last := got[len(got)-1]
	if last.Received != n || last.Replayed != n || last.Concurrency < 1 || last.Elapsed <= 0 {
		t.Errorf("last report %+v, result %+v", last, res)
	}
	if first := got[0]; first.Depth != n && first.Depth != -1 && first.Depth > n {
		t.Errorf("first report's queue depth %d, want at most %d", first.Depth, n)
	}
}

// TestLogProgress: the function's progress line carries the counts, and
// the last report logs nothing (the result line follows).
func TestLogProgress(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	ctx := zerolog.New(&buf).WithContext(context.Background())
	replay.LogProgress(ctx, replay.Progress{Received: 5000, Replayed: 4990, Failed: 4, Parked: 6, Total: 100000, Depth: 95000, Concurrency: 32, Elapsed: 10 * time.Second})
	replay.LogProgress(ctx, replay.Progress{Received: 100000, Done: true})
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("want one JSON line, got %q: %v", buf.String(), err)
	}
	for k, v := range map[string]float64{"received": 5000, "replayed": 4990, "failed": 4, "parked": 6, "total": 100000, "queueDepth": 95000, "concurrency": 32} {
		if line[k] != v {
			t.Errorf("%s = %v, want %v (line %s)", k, line[k], v, buf.String())
		}
	}
	if line["message"] != "replay progress" {
		t.Errorf("message = %v", line["message"])
	}
}
