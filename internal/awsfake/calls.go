package awsfake

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// IsSDKRetry reports whether the AWS SDK marked the request as a second or
// later attempt of one call (header amz-sdk-request: attempt=N; max=M).
// Fakes that count the calls a piece of code makes count these apart: on
// a loaded machine the SDK retries calls whose connection dropped
// mid-response, which says nothing about the code under test.
func IsSDKRetry(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("amz-sdk-request"), ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == "attempt" && v != "1" {
			return true
		}
	}
	return false
}

// CallCounter counts the calls a fake AWS server answered, per operation.
// A call is what the caller asked for: the SDK's retries of it
// (IsSDKRetry) are counted apart, in Retries, so that tests asserting how
// many calls the code makes do not depend on the transport's luck. The
// zero value is ready to use and safe for concurrent use.
type CallCounter struct {
	mu      sync.Mutex
	n       map[string]int
	retries int
}

// Add records one request for op.
func (c *CallCounter) Add(r *http.Request, op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if IsSDKRetry(r) {
		c.retries++
		return
	}
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op]++
}

// Count returns the calls of one operation.
func (c *CallCounter) Count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

// Total returns all calls.
func (c *CallCounter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := 0
	for _, v := range c.n {
		t += v
	}
	return t
}

// Retries returns the SDK retries answered, over all operations.
func (c *CallCounter) Retries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retries
}

// Snapshot returns a copy of the counts per operation.
func (c *CallCounter) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	maps.Copy(out, c.n)
	return out
}

// Reset zeroes the counts and the retries.
func (c *CallCounter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n, c.retries = nil, 0
}

// String lists the counts, for test logs.
func (c *CallCounter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ks := make([]string, 0, len(c.n))
	for k, v := range c.n {
		ks = append(ks, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(ks)
	if c.retries > 0 {
		ks = append(ks, fmt.Sprintf("(retries=%d)", c.retries))
	}
	return strings.Join(ks, " ")
}

// Resends tells a fake which requests are the SDK sending again a call it
// already recorded, so that what the caller asked for once is recorded
// once: a retry (IsSDKRetry) whose body matches a body seen before. A
// retry of a call that never reached the fake is new. The zero value is
// ready to use and safe for concurrent use.
type Resends struct {
	mu   sync.Mutex
	seen map[[32]byte]bool
}

// Seen remembers body and reports whether r resends it.
func (s *Resends) Seen(r *http.Request, body []byte) bool {
	sum := sha256.Sum256(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	again := IsSDKRetry(r) && s.seen[sum]
	if s.seen == nil {
		s.seen = map[[32]byte]bool{}
	}
	s.seen[sum] = true
	return again
}
