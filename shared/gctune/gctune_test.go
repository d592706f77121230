package gctune

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestAfterInit(t *testing.T) {
	// The collector settings are process-wide: restore them afterwards.
	pct := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(pct); debug.SetMemoryLimit(limit) })

	tests := map[string]struct {
		env       map[string]string
		wantPct   int
		wantLimit int64
	}{
		"off during init":      {env: map[string]string{"GOGC": "off", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}, wantPct: 100, wantLimit: int64(math.Floor(256 * 0.9 * (1 << 20)))},
		"chosen percent":       {env: map[string]string{"GOGC": "off", "SELFAUDIT_GOGC": "200"}, wantPct: 200},
		"bad chosen percent":   {env: map[string]string{"GOGC": "off", "SELFAUDIT_GOGC": "lots"}, wantPct: 100},
		"operator's GOGC kept": {env: map[string]string{"GOGC": "50"}, wantPct: 50},
		"GOMEMLIMIT kept":      {env: map[string]string{"GOGC": "off", "GOMEMLIMIT": "100MiB", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}, wantPct: 100},
		"not in Lambda":        {env: map[string]string{}, wantPct: 100},
		"bad memory size":      {env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "-3"}, wantPct: 100},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			if tc.env["GOGC"] == "50" {
				debug.SetGCPercent(50) // as the runtime would have from GOGC=50
			} else if tc.env["GOGC"] == "off" {
				debug.SetGCPercent(-1)
			} else {
				debug.SetGCPercent(100)
			}
			got := afterInit(func(k string) string { return tc.env[k] }, 0)
			if got.GCPercent != tc.wantPct || got.MemoryLimitBytes != tc.wantLimit {
				t.Errorf("settings %+v, want percent %d limit %d", got, tc.wantPct, tc.wantLimit)
			}
			if now := debug.SetGCPercent(-1); now != tc.wantPct {
				t.Errorf("GOGC in force %d, want %d", now, tc.wantPct)
			}
			wantLimit := tc.wantLimit
			if wantLimit == 0 {
				wantLimit = math.MaxInt64
			}
			if now := debug.SetMemoryLimit(-1); now != wantLimit {
				t.Errorf("memory limit in force %d, want %d", now, wantLimit)
			}
		})
	}
}

func TestFirstCyclePercent(t *testing.T) {
	tests := map[string]struct {
		pct  int
		heap uint64
		want int
	}{
		"small heap keeps pct":       {pct: 100, heap: 1 << 20, want: 100},
		"empty heap keeps pct":       {pct: 100, heap: 0, want: 100},
		"heap at the minimum":        {pct: 100, heap: 2 << 20, want: 100},
		"6 MiB of clients":           {pct: 100, heap: 6 << 20, want: 300},
		"a chosen percent scales":    {pct: 50, heap: 8 << 20, want: 300},
		"just over half the minimum": {pct: 100, heap: 2<<20 + 1, want: 101},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := firstCyclePercent(tc.pct, tc.heap); got != tc.want {
				t.Errorf("firstCyclePercent(%d, %d) = %d, want %d", tc.pct, tc.heap, got, tc.want)
			}
		})
	}
}

// gogc reads the GOGC in force without changing it.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// TestFirstCycleThenPercent: with a heap over the runtime's minimum goal,
// GOGC is raised until the first collection, then set to the chosen
// percent.
func TestFirstCycleThenPercent(t *testing.T) {
	pct := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(pct) })
	got := afterInit(func(k string) string { return map[string]string{"GOGC": "off"}[k] }, 6<<20)
	if got.GCPercent != 100 || got.FirstCyclePercent != 300 {
		t.Fatalf("settings %+v, want percent 100 after a first cycle at 300", got)
	}
	if now := gogc(); now != 300 && now != 100 {
		t.Errorf("GOGC in force %d before the first collection, want 300", now)
	}
	runtime.GC()
	deadline := time.Now().Add(5 * time.Second)
	for gogc() != 100 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if now := gogc(); now != 100 {
		t.Errorf("GOGC in force %d after the first collection, want 100", now)
	}
}
