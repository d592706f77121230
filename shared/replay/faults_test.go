package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfaudit/selfaudit/shared/replay"
)

// faultKind is one way a call can go wrong.
type faultKind string

const (
	faultNone        faultKind = ""
	faultPartial     faultKind = "partial"      // some SendMessageBatch entries rejected
	fault500Before   faultKind = "500-before"   // 500 without doing the call
	fault500After    faultKind = "500-after"    // the call is done, the answer is a 500
	faultDropBefore  faultKind = "drop-before"  // connection reset before the call
	faultDropAfter   faultKind = "drop-after"   // the call is done, the connection drops
	faultSlowTimeout faultKind = "slow-timeout" // the call is done, the answer comes too late
)

// faultTransport sits between the SDK and fauxqs and breaks a share of the
// calls in every way above. It records how often each fault fired.
type faultTransport struct {
	next http.RoundTripper
	// ops are the X-Amz-Target operations to break, e.g. "SendMessageBatch".
	ops  map[string]bool
	rate float64

	mu    sync.Mutex
	rng   *rand.Rand
	fired map[faultKind]int
}

func newFaultTransport(seed uint64, rate float64, ops ...string) *faultTransport {
	f := &faultTransport{next: http.DefaultTransport.(*http.Transport).Clone(), ops: map[string]bool{}, rate: rate,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), fired: map[faultKind]int{}}
	for _, op := range ops {
		f.ops[op] = true
	}
	return f
}

func (f *faultTransport) pick(op string) faultKind {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.ops[op] || f.rng.Float64() >= f.rate {
		return faultNone
	}
	kinds := []faultKind{fault500Before, fault500After, faultDropBefore, faultDropAfter}
	if op == "SendMessageBatch" {
		kinds = append(kinds, faultPartial, faultPartial)
	}
	k := kinds[f.rng.IntN(len(kinds))]
	f.fired[k]++
	return k
}

func (f *faultTransport) Fired() map[faultKind]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[faultKind]int{}
	for k, v := range f.fired {
		out[k] = v
	}
	return out
}

var errReset = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}

func (f *faultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "AmazonSQS.")
	switch f.pick(op) {
	case fault500Before:
		return serverError(req), nil
	case faultDropBefore:
		return nil, errReset
	case fault500After:
		resp, err := f.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return serverError(req), nil
	case faultDropAfter:
		resp, err := f.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errReset
	case faultPartial:
		return f.partial(req)
	}
	return f.next.RoundTrip(req)
}

// partial forwards a SendMessageBatch with every other entry removed and
// answers with those entries in Failed, as SQS does when some entries of a
// batch fail.
func (f *faultTransport) partial(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	var in map[string]json.RawMessage
	var entries []map[string]any
	if json.Unmarshal(body, &in) != nil || json.Unmarshal(in["Entries"], &entries) != nil || len(entries) < 2 {
		req.Body = io.NopCloser(bytes.NewReader(body))
		return f.next.RoundTrip(req)
	}
	var keep []map[string]any
	var failed []map[string]any
	for i, e := range entries {
		if i%2 == 1 {
			failed = append(failed, map[string]any{"Id": e["Id"], "Code": "InternalError", "Message": "injected entry failure", "SenderFault": false})
		} else {
			keep = append(keep, e)
		}
	}
	in["Entries"], _ = json.Marshal(keep)
	nb, _ := json.Marshal(in)
	r2 := req.Clone(req.Context())
	r2.Body = io.NopCloser(bytes.NewReader(nb))
	r2.ContentLength = int64(len(nb))
	resp, err := f.next.RoundTrip(r2)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out map[string]json.RawMessage
	if resp.StatusCode != 200 || json.Unmarshal(rb, &out) != nil {
		resp.Body = io.NopCloser(bytes.NewReader(rb))
		return resp, nil
	}
	var realFailed []map[string]any
	_ = json.Unmarshal(out["Failed"], &realFailed)
	out["Failed"], _ = json.Marshal(append(realFailed, failed...))
	nb, _ = json.Marshal(out)
	resp.Body = io.NopCloser(bytes.NewReader(nb))
	resp.ContentLength = int64(len(nb))
	resp.Header.Del("Content-Length")
	return resp, nil
}

func serverError(req *http.Request) *http.Response {
	b := []byte(`{"__type":"com.amazonaws.sqs#InternalError","message":"injected failure"}`)
	return &http.Response{StatusCode: 500, Status: "500 Internal Server Error", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}}, Body: io.NopCloser(bytes.NewReader(b)),
		ContentLength: int64(len(b)), Request: req}
}

// TestReplayUnderFaults replays through a transport that breaks a share of
// every SQS call the engine makes, in every way: rejected entries, 500s
// before and after the work, dropped connections. Runs are repeated (as an
// operator would) until the DLQ is empty; then every message must be in
// the target. Duplicates are allowed and counted, losses are not.
func TestReplayUnderFaults(t *testing.T) {
	const n = 120
	ops := []string{"SendMessageBatch", "DeleteMessageBatch", "ReceiveMessage", "ChangeMessageVisibilityBatch"}
	tests := map[string]struct {
		rate float64
		ops  []string
		// noRetry turns the SDK's retries off so every fault reaches
		// the engine instead of being absorbed by a retry.
		noRetry bool
	}{
		"every call, no SDK retries": {rate: 0.3, ops: ops, noRetry: true},
		"sends only, often":          {rate: 0.5, ops: []string{"SendMessageBatch"}},
		"every call, often":          {rate: 0.3, ops: ops},
		"deletes only, most":         {rate: 0.7, ops: []string{"DeleteMessageBatch"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clean := fauxqs(t, nil)
			ft := newFaultTransport(uint64(len(name)), tc.rate, tc.ops...)
			faulty := fauxqs(t, ft)
			dlq := newQueue(t, clean, "dlq", false)
			target := newQueue(t, clean, "target", false)
			fill(t, clean, dlq, n, nil)

			var q replay.QueueAPI = faulty
			if tc.noRetry {
				q = sqs.New(faulty.Options(), func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
			}
			eng := replay.New(q, nil, replay.Options{Workers: 4, ReceiveWait: -1})
			total := replay.Result{}
			var runErrs []string
			for attempt := 1; ; attempt++ {
				if attempt > 12 {
					t.Fatalf("DLQ not empty after %d runs; errors: %v", attempt-1, runErrs)
				}
				res, err := eng.Run(context.Background(), replay.Request{QueueURL: dlq, Target: target, VisibilityTimeout: 1, MaxReplays: 100})
				if err != nil {
					runErrs = append(runErrs, err.Error())
				}
				total.Received += res.Received
				total.Replayed += res.Replayed
				total.Failed += res.Failed
				if v, h := approx(t, clean, dlq); v+h == 0 {
					break
				}
				time.Sleep(1100 * time.Millisecond) // hidden messages come back
			}
			got, _ := drain(t, clean, target)
			dups := checkAll(t, got, n)
			t.Logf("faults fired %v; totals over runs %+v; %d run errors; %d duplicates in the target", ft.Fired(), total, len(runErrs), dups)
			if total.Replayed < n {
				t.Errorf("runs reported %d replayed in total, want at least %d", total.Replayed, n)
			}
			if len(ft.Fired()) == 0 {
				t.Errorf("no fault was injected")
			}
		})
	}
}
