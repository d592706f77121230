// Package gctune hands the Go garbage collector back its normal settings
// once a function's package initialisation is over.
//
// template.yaml starts every function with GOGC=off. Before main runs, the
// AWS SDK's service packages build their schema and endpoint tables:
// megabytes of allocations that all stay live, so the collections the
// default GOGC=100 triggers during that phase find nothing to free and
// only delay the first poll of the Runtime API (by 30-50% in
// BenchmarkInit). AfterInit, the first call of the functions' start-up
// (lambdamain.Start), turns the collector back on and adds a soft memory
// limit below the function's memory size, so that a function near its
// limit collects harder instead of being killed. The first collection
// waits until the heap has grown by GOGC percent over what initialisation
// left, as it would had a collection ended initialisation; the runtime's
// own first goal, 4 MiB, is below what a function with several SDK
// clients holds, and would collect before the first poll for nothing.
package gctune

import (
	"math"
	"runtime"
	"runtime/debug"
	"strconv"
)

// Settings is what AfterInit applied, for the start-up log line.
type Settings struct {
	// GCPercent is the GOGC value in force; -1 means off (left as the
	// environment set it because it was not "off").
	GCPercent int `json:"gcPercent"`
	// MemoryLimitBytes is the soft limit set, 0 when none was set.
	MemoryLimitBytes int64 `json:"memoryLimitBytes"`
	// FirstCyclePercent is the GOGC in force until the first collection
	// when it differs from GCPercent (see firstCyclePercent).
	FirstCyclePercent int `json:"firstCyclePercent,omitempty"`
}

// DefaultGCPercent is GOGC after initialisation unless SELFAUDIT_GOGC says
// otherwise: Go's own default.
const DefaultGCPercent = 100

// MemoryShare is the share of the function's memory used as the soft
// limit; the rest is headroom for the runtime, stacks and the OS.
const MemoryShare = 0.9

// AfterInit restores the collector if GOGC=off was only meant for
// initialisation, and sets a soft memory limit from
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE unless GOMEMLIMIT is set. getenv is
// os.Getenv in production.
func AfterInit(getenv func(string) string) Settings {
	return afterInit(getenv, heapBytes())
}

// afterInit is AfterInit with the heap's size given, for tests.
func afterInit(getenv func(string) string, heap uint64) Settings {
	var s Settings
	if getenv("GOGC") == "off" {
		pct := DefaultGCPercent
		if v, err := strconv.Atoi(getenv("SELFAUDIT_GOGC")); err == nil && v > 0 {
			pct = v
		}
		s.GCPercent = pct
		first := firstCyclePercent(pct, heap)
		debug.SetGCPercent(first)
		if first != pct {
			s.FirstCyclePercent = first
			// The first collection marks the live heap; from then on
			// the runtime paces by it, and pct is the operator's.
			sentinel := new(cycleSentinel)
			runtime.AddCleanup(sentinel, func(pct int) { debug.SetGCPercent(pct) }, pct)
		}
	} else {
		s.GCPercent = debug.SetGCPercent(-1)
		debug.SetGCPercent(s.GCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		if mb, err := strconv.Atoi(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")); err == nil && mb > 0 {
			s.MemoryLimitBytes = int64(math.Floor(float64(mb) * MemoryShare * (1 << 20)))
			debug.SetMemoryLimit(s.MemoryLimitBytes)
		}
	}
	return s
}

// defaultHeapMinimum is the Go runtime's smallest heap goal at GOGC=100,
// which it scales with GOGC: the goal of the first collection, when no
// collection has measured the live heap yet.
const defaultHeapMinimum = 4 << 20

// firstCyclePercent is the GOGC that puts the first collection where pct
// would put it had a collection at the end of initialisation found the
// whole heap live (heap grown by pct percent), instead of at the runtime's
// 4 MiB minimum. A function whose SDK clients leave more than about 3 MiB
// allocated would otherwise collect at once, before its first poll, and
// find nothing to free: 1-2 ms of every cold start of the fleet auditor.
func firstCyclePercent(pct int, heap uint64) int {
	want := float64(heap) * (1 + float64(pct)/100)
	first := int(math.Ceil(want / defaultHeapMinimum * 100))
	return max(pct, first)
}

// heapBytes is the memory of the heap's objects now, live or not yet
// swept: with the collector off during initialisation, all of it.
// ReadMemStats stops the world for a few microseconds on a heap this
// small; runtime/metrics would not, but its package initialisation costs
// every cold start 0.1 ms.
func heapBytes() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// cycleSentinel is unreachable from the start: its cleanup runs after the
// first collection.
type cycleSentinel struct{ _ [32]byte }
