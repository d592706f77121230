package fleet

import (
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env     map[string]string
		wantErr bool
		check   func(c Config) bool
	}{
		"defaults": {env: map[string]string{}, check: func(c Config) bool {
			d := c.withDefaults()
			return d.Lookback == 14*24*time.Hour && d.ErrorRate == 0.05 && d.Reports == ReportsAuto && d.MinLogsUSD == 1
		}},
		"overrides": {env: map[string]string{"LOOKBACK_DAYS": "7", "ERROR_RATE_THRESHOLD": "0.02", "REPORT_SOURCE": "events", "CONCURRENCY": "2", "MIN_LOGS_USD": "5"},
			check: func(c Config) bool {
				return c.Lookback == 7*24*time.Hour && c.ErrorRate == 0.02 && c.Reports == ReportsEvents && c.Concurrency == 2 && c.MinLogsUSD == 5
			}},
		"bad float":        {env: map[string]string{"TIMEOUT_RATIO": "most"}, wantErr: true},
		"negative int":     {env: map[string]string{"MIN_REPORTS": "-1"}, wantErr: true},
		"lookback too far": {env: map[string]string{"LOOKBACK_DAYS": "64"}, wantErr: true},
		"NaN":              {env: map[string]string{"MEMORY_HEADROOM": "NaN"}, wantErr: true},
		"unknown source":   {env: map[string]string{"REPORT_SOURCE": "xray"}, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && !tc.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}
