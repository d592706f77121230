package record

import "sync/atomic"

// internSlots is a small lock-free cache of common short strings (event
// sources, names, regions, account IDs): a hit costs a hash and a compare
// and no allocation, which matters at millions of records. A collision just
// replaces the slot.
var internSlots [4096]atomic.Pointer[string]

func interned(b []byte) string {
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &internSlots[h&uint32(len(internSlots)-1)]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}
