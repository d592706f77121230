package fleet

import (
	"fmt"
	"strconv"
	"time"
)

// ConfigFromEnv reads the thresholds from environment variables (the
// function's configuration, documented in
// functions/lambda-fleet-auditor/README.md); unset variables keep their
// defaults. getenv is os.Getenv outside tests.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var c Config
	floats := []struct {
		name string
		dst  *float64
	}{
		{"ERROR_RATE_THRESHOLD", &c.ErrorRate},
		{"MIN_INVOCATIONS", &c.MinInvocations},
		{"TIMEOUT_RATIO", &c.TimeoutRatio},
		{"MEMORY_HEADROOM", &c.MemoryHeadroom},
		{"MEMORY_HIGH_RATIO", &c.MemoryHighRatio},
		{"MIN_LOGS_USD", &c.MinLogsUSD},
	}
	for _, f := range floats {
		if v := getenv(f.name); v != "" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n < 0 || n != n {
				return Config{}, fmt.Errorf("environment variable %s=%q is not a non-negative number", f.name, v)
			}
			*f.dst = n
		}
	}
	ints := []struct {
		name string
		dst  *int
	}{
		{"MIN_REPORTS", &c.MinReports},
		{"CONCURRENCY", &c.Concurrency},
		{"INSIGHTS_CONCURRENCY", &c.InsightsConcurrency},
		{"MAX_REPORT_EVENTS", &c.MaxEvents},
	}
	for _, f := range ints {
		if v := getenv(f.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return Config{}, fmt.Errorf("environment variable %s=%q is not a non-negative whole number", f.name, v)
			}
			*f.dst = n
		}
	}
	if v := getenv("LOOKBACK_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 63 {
			// CloudWatch keeps hourly datapoints for 63 days.
			return Config{}, fmt.Errorf("environment variable LOOKBACK_DAYS=%q is not a whole number of days from 1 to 63", v)
		}
		c.Lookback = time.Duration(n) * 24 * time.Hour
	}
	rs, err := ParseReportSource(getenv("REPORT_SOURCE"))
	if err != nil {
		return Config{}, fmt.Errorf("environment variable REPORT_SOURCE: %w", err)
	}
	c.Reports = rs
	return c, nil
}
