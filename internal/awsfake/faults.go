package awsfake

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// APIError is an error answer in a service's own error shape: the HTTP
// status, the error code (the "__type" of the JSON protocols,
// X-Amzn-ErrorType of Lambda, <Code> of the Query protocols) and a message.
type APIError struct {
	Status  int
	Type    string
	Message string
	// Times limits an injected error to the first Times requests of its
	// operation (SDK retries included); 0 means every request.
	Times int
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message) }

func (e *APIError) message(op string) string {
	if e.Message != "" {
		return e.Message
	}
	return "injected error for " + op
}

// Call is one request as an Override sees it.
type Call struct {
	// Op is the operation's name (PutEvents, GetPolicy, ...).
	Op string
	// Resource is what the call is about, where the fake knows it: the
	// function name for Lambda, the role name for the per-role IAM calls.
	Resource string
	Request  *http.Request
	// Body is the request body, already read.
	Body []byte
}

// Faults holds the per-operation fault injection every fake embeds: a
// canned error, a function deciding per call, or a delay. The zero value
// injects nothing and is safe for concurrent use.
type Faults struct {
	mu        sync.Mutex
	errs      map[string]*APIError
	overrides map[string]func(Call) *APIError
	delays    map[string]time.Duration
	requests  map[string]int
}

// SetError answers every request of op (or its first e.Times) with e; nil
// clears it.
func (f *Faults) SetError(op string, e *APIError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.errs == nil {
		f.errs = map[string]*APIError{}
	}
	f.errs[op] = e
}

// Override lets fn decide each request of op: a non-nil error is the
// answer, nil lets the fake answer normally. nil clears it.
func (f *Faults) Override(op string, fn func(Call) *APIError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.overrides == nil {
		f.overrides = map[string]func(Call) *APIError{}
	}
	f.overrides[op] = fn
}

// SetDelay holds every request of op back by d before it is answered (or
// until the caller gives up), to test deadlines.
func (f *Faults) SetDelay(op string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.delays == nil {
		f.delays = map[string]time.Duration{}
	}
	f.delays[op] = d
}

// inject applies op's delay and returns the error to answer with, if any.
// ok is false when the caller went away during the delay.
func (f *Faults) inject(c Call) (e *APIError, ok bool) {
	f.mu.Lock()
	if f.requests == nil {
		f.requests = map[string]int{}
	}
	f.requests[c.Op]++
	n := f.requests[c.Op]
	canned, fn, delay := f.errs[c.Op], f.overrides[c.Op], f.delays[c.Op]
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-c.Request.Context().Done():
			return nil, false
		}
	}
	if canned != nil && (canned.Times == 0 || n <= canned.Times) {
		return canned, true
	}
	if fn != nil {
		return fn(c), true
	}
	return nil, true
}

// base is what every fake shares: its call counter, its faults and the
// request IDs it hands out.
type base struct {
	CallCounter
	Faults
	reqMu sync.Mutex
	reqN  int
}

// admit counts a call, stamps the answer with a request ID and applies the
// operation's faults. It returns false when an answer was written (an
// injected error, through writeErr) or the caller went away.
func (b *base) admit(w http.ResponseWriter, c Call, writeErr func(http.ResponseWriter, *APIError, string)) bool {
	b.Add(c.Request, c.Op)
	b.reqMu.Lock()
	b.reqN++
	id := fmt.Sprintf("req-%d", b.reqN)
	b.reqMu.Unlock()
	w.Header().Set("X-Amzn-RequestId", id)
	e, ok := b.inject(c)
	if !ok {
		return false
	}
	if e != nil {
		writeErr(w, e, c.Op)
		return false
	}
	return true
}

// Calls counts the calls the fake answered.
func (b *base) Calls() *CallCounter { return &b.CallCounter }
