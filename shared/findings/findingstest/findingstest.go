// Package findingstest holds the one in-memory findings.Bus that tests of
// handlers and engines publish to, so that each does not write its own.
package findingstest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// Recorder is an in-memory findings.Bus: it records every finding it is
// asked to publish (as NEW, which is what the EventBridge publisher sends)
// or to announce, and fails every call with Err when that is set. It is
// safe for concurrent use.
type Recorder struct {
	// Err, when set, fails every call and records nothing.
	Err error
	// Require, when set, refuses an announcement of any other status: a
	// test of a function without a store holds it to announcing NEW only.
	Require findings.Status

	mu  sync.Mutex
	got []findings.Tracked
}

var _ findings.Bus = (*Recorder)(nil)

// Publish records fs as NEW.
func (r *Recorder) Publish(ctx context.Context, fs []findings.Finding) error {
	ts := make([]findings.Tracked, len(fs))
	for i, f := range fs {
		ts[i] = findings.Tracked{Finding: f, Status: findings.StatusNew}
	}
	return r.Announce(ctx, ts)
}

// Announce records ts.
func (r *Recorder) Announce(_ context.Context, ts []findings.Tracked) error {
	if r.Err != nil {
		return r.Err
	}
	for _, t := range ts {
		if r.Require != "" && t.Status != r.Require {
			return fmt.Errorf("announced %s %s, want only %s", t.ID, t.Status, r.Require)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, ts...)
	return nil
}

// Announced returns everything recorded so far.
func (r *Recorder) Announced() []findings.Tracked {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]findings.Tracked(nil), r.got...)
}

// Findings returns the findings recorded so far, in order.
func (r *Recorder) Findings() []findings.Finding {
	var fs []findings.Finding
	for _, t := range r.Announced() {
		fs = append(fs, t.Finding)
	}
	return fs
}

// Take returns everything recorded so far and forgets it, so a test can
// look at one run at a time.
func (r *Recorder) Take() []findings.Tracked {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = nil
	return got
}

// BrokenWriter is a metrics writer whose every write fails, as stdout does
// when it is closed: the findings must still be published.
type BrokenWriter struct{}

func (BrokenWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }
