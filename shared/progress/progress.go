package progress

import (
	"sync"
	"time"
)

// Update says how far a job is.
type Update struct {
	// Stage names what the job does now ("reading roles", "function
	// policies"); jobs of one stage leave it empty.
	Stage string
	// Done and Total count Unit; Total is 0 while it is not known.
	Done, Total int64
	Unit        string
	// Detail is a short extra ("12,345 records").
	Detail string
}

// Func receives updates. Engines may call it from several goroutines at
// once, so it must be safe for that and quick.
type Func func(Update)

// Report passes u to f when f is set.
func (f Func) Report(u Update) {
	if f != nil {
		f(u)
	}
}

// Throttle returns a Func passing at most one update per interval to f,
// besides every update that changes the stage or completes it (Done ==
// Total), so the last word is never dropped. A nil f stays nil.
func (f Func) Throttle(every time.Duration) Func {
	if f == nil {
		return nil
	}
	var mu sync.Mutex
	var last time.Time
	var stage string
	return func(u Update) {
		mu.Lock()
		now := time.Now()
		pass := now.Sub(last) >= every || u.Stage != stage || (u.Total > 0 && u.Done >= u.Total)
		if pass {
			last, stage = now, u.Stage
		}
		mu.Unlock()
		if pass {
			f(u)
		}
	}
}
