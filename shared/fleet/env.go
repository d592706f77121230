package fleet

import (
	"math"
	"time"

	"github.com/selfaudit/selfaudit/shared/lambdamain/env"
)

// ConfigFromEnv reads the thresholds from environment variables (the
// function's configuration, documented in
// functions/lambda-fleet-auditor/README.md); unset variables keep their
// defaults. getenv is os.Getenv outside tests. The error names every
// malformed variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := env.New(getenv)
	var c Config
	nonNegative := func(name string) float64 { return r.Float(name, 0, 0, math.Inf(1)) }
	c.ErrorRate = nonNegative("ERROR_RATE_THRESHOLD")
	c.MinInvocations = nonNegative("MIN_INVOCATIONS")
	c.TimeoutRatio = nonNegative("TIMEOUT_RATIO")
	c.MemoryHeadroom = nonNegative("MEMORY_HEADROOM")
	c.MemoryHighRatio = nonNegative("MEMORY_HIGH_RATIO")
	c.MinLogsUSD = nonNegative("MIN_LOGS_USD")
	wholeNonNegative := func(name string) int { return r.Int(name, 0, 0, math.MaxInt) }
	c.MinReports = wholeNonNegative("MIN_REPORTS")
	c.Concurrency = wholeNonNegative("CONCURRENCY")
	c.InsightsConcurrency = wholeNonNegative("INSIGHTS_CONCURRENCY")
	c.MaxEvents = wholeNonNegative("MAX_REPORT_EVENTS")
	// CloudWatch keeps hourly datapoints for 63 days.
	if days := r.Int("LOOKBACK_DAYS", 0, 1, 63); days > 0 {
		c.Lookback = time.Duration(days) * 24 * time.Hour
	}
	c.Reports = ReportSource(r.Enum("REPORT_SOURCE", string(ReportsAuto),
		string(ReportsAuto), string(ReportsInsights), string(ReportsEvents), string(ReportsOff)))
	return c, r.Err()
}
