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
// limit collects harder instead of being killed.
package gctune

import (
	"math"
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
	var s Settings
	if getenv("GOGC") == "off" {
		pct := DefaultGCPercent
		if v, err := strconv.Atoi(getenv("SELFAUDIT_GOGC")); err == nil && v > 0 {
			pct = v
		}
		debug.SetGCPercent(pct)
		s.GCPercent = pct
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
