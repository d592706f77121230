package gctune

import (
	"math"
	"runtime/debug"
	"testing"
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
			got := AfterInit(func(k string) string { return tc.env[k] })
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
