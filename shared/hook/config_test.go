package hook

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		"defaults": {check: func(t *testing.T, c Config) {
			d := DefaultConfig()
			if c.TimeoutMax != d.TimeoutMax || c.LatencyShare != 0.5 || !slices.Equal(c.Runtimes, []string{"provided.al2023"}) || len(c.Disabled) != 0 {
				t.Errorf("config = %+v", c)
			}
		}},
		"disable by ID and name": {env: map[string]string{EnvDisabledChecks: "HOOK001, architecture"}, check: func(t *testing.T, c Config) {
			if !c.Disabled["HOOK001"] || !c.Disabled["HOOK007"] || c.enabled("HOOK001") {
				t.Errorf("disabled = %v", c.Disabled)
			}
		}},
		"disabling smoke disables its checks": {env: map[string]string{EnvDisabledChecks: "smoke"}, check: func(t *testing.T, c Config) {
			if c.enabled(CheckSmokeLatency.ID) || c.enabled(CheckSmokeResponse.ID) {
				t.Errorf("disabled = %v", c.Disabled)
			}
		}},
		"bounds and lists": {env: map[string]string{EnvTimeoutMax: "900", EnvMemoryMin: "256", EnvRuntimes: "*", EnvArchitectures: "arm64,x86_64", EnvAsyncFunctions: "a b", EnvLatencyShare: "0.25", EnvReportMargin: "5s", EnvReportAttempts: "3"},
			check: func(t *testing.T, c Config) {
				if c.TimeoutMax != 900 || c.MemoryMin != 256 || c.Runtimes != nil || len(c.Architectures) != 2 ||
					!slices.Equal(c.AsyncFunctions, []string{"a", "b"}) || c.LatencyShare != 0.25 || c.ReportMargin != 5*time.Second || c.ReportAttempts != 3 {
					t.Errorf("config = %+v", c)
				}
			}},
		"smoke sources": {env: map[string]string{EnvSmokeParameter: "/s/{function}", EnvSmokeFile: "smoke/default.json"}, check: func(t *testing.T, c Config) {
			if c.SmokeParameter != "/s/{function}" || c.SmokeFile != "smoke/default.json" {
				t.Errorf("config = %+v", c)
			}
		}},
		"test panic switch": {env: map[string]string{EnvTestPanic: "env-secrets"}, check: func(t *testing.T, c Config) {
			if c.PanicIn != "HOOK005" {
				t.Errorf("PanicIn = %q", c.PanicIn)
			}
		}},
		"unknown check":         {env: map[string]string{EnvDisabledChecks: "HOOK999"}, wantErr: "unknown check"},
		"internal check":        {env: map[string]string{EnvDisabledChecks: "HOOK092"}, wantErr: "unknown check"},
		"bad number":            {env: map[string]string{EnvTimeoutMin: "ten"}, wantErr: EnvTimeoutMin},
		"min above max":         {env: map[string]string{EnvMemoryMin: "4096", EnvMemoryMax: "1024"}, wantErr: "above"},
		"latency share too big": {env: map[string]string{EnvLatencyShare: "1.5"}, wantErr: EnvLatencyShare},
		"bad margin":            {env: map[string]string{EnvReportMargin: "soon"}, wantErr: EnvReportMargin},
		"every error reported":  {env: map[string]string{EnvReportAttempts: "0", EnvTestPanic: "nope"}, wantErr: EnvTestPanic},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestIsAsync(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		list []string
		env  map[string]string
		want bool
	}{
		"not declared": {want: false},
		"listed":       {list: []string{"fn"}, want: true},
		"other listed": {list: []string{"other"}, want: false},
		"wildcard":     {list: []string{"*"}, want: true},
		"marker":       {env: map[string]string{AsyncMarkerVariable: "TRUE"}, want: true},
		"marker false": {env: map[string]string{AsyncMarkerVariable: "false"}, want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := DefaultConfig()
			c.AsyncFunctions = tc.list
			if got := c.isAsync("fn", tc.env); got != tc.want {
				t.Errorf("isAsync = %v, want %v", got, tc.want)
			}
		})
	}
}
