package replay

import (
	"crypto/sha256"
	"sync"
)

// ledger remembers how often this engine delivered an event to a function.
// A function's DLQ message carries no attribute the replayer set (Lambda
// writes a new message), so for Lambda targets this is what stops a message
// that fails again and again from being replayed more than MaxReplays times
// by one long-lived engine.
type ledger struct {
	mu  sync.Mutex
	cap int
	m   map[[32]byte]int
}

// ledgerCapacity bounds the ledger's memory. A full ledger is cleared, after
// which an event it had counted may be replayed up to MaxReplays times again.
const ledgerCapacity = 100_000

func newLedger(capacity int) *ledger { return &ledger{cap: capacity, m: map[[32]byte]int{}} }

func ledgerKey(t Target, payload []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(t.String()))
	h.Write([]byte{0})
	h.Write(payload)
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

func (l *ledger) count(k [32]byte) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[k]
}

func (l *ledger) add(k [32]byte, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= l.cap {
		clear(l.m)
	}
	l.m[k] = max(l.m[k], n)
}
