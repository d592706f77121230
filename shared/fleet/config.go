package fleet

import (
	"fmt"
	"time"

	"github.com/selfaudit/selfaudit/shared/progress"
)

// ReportSource says where right-sizing reads REPORT lines from.
type ReportSource string

// Report sources. Auto uses Logs Insights and falls back to reading log
// events when Insights refuses (not permitted, or not offered where the
// account runs).
const (
	ReportsAuto     ReportSource = "auto"
	ReportsInsights ReportSource = "insights"
	ReportsEvents   ReportSource = "events"
	ReportsOff      ReportSource = "off"
)

// ParseReportSource validates a report source name; "" means auto.
func ParseReportSource(s string) (ReportSource, error) {
	switch r := ReportSource(s); r {
	case "":
		return ReportsAuto, nil
	case ReportsAuto, ReportsInsights, ReportsEvents, ReportsOff:
		return r, nil
	}
	return "", fmt.Errorf("unknown report source %q (want auto, insights, events or off)", s)
}

// Config holds the thresholds of the checks. The zero value of a field
// means its default, so callers set only what they change.
type Config struct {
	// Source names the findings' origin (docs/architecture.md,
	// "Findings"); default
	// "lambda-fleet-auditor".
	Source string
	// Lookback is the window of metrics and REPORT lines; default 14 days.
	Lookback time.Duration
	// ErrorRate is the Errors/Invocations ratio above which LMB117
	// fires; default 0.05.
	ErrorRate float64
	// MinInvocations is how many invocations the window needs before an
	// error rate means anything; default 100.
	MinInvocations float64
	// TimeoutRatio is the share of the timeout the p99 duration may reach
	// before LMB116 fires; default 0.8.
	TimeoutRatio float64
	// MemoryHeadroom is the margin added to the peak memory used when
	// recommending a size; default 0.3 (30%).
	MemoryHeadroom float64
	// MemoryHighRatio is the share of the configured memory the peak may
	// reach before LMB115 fires; default 0.9.
	MemoryHighRatio float64
	// MinLogsUSD is the monthly log ingestion cost below which LMB120
	// stays quiet, however it compares with a tiny compute bill; default
	// $1.
	MinLogsUSD float64
	// MinReports is how many REPORT lines right-sizing needs; default 50.
	MinReports int
	// Reports selects where REPORT lines come from; default auto.
	Reports ReportSource
	// Concurrency bounds the per-function calls in flight; default 4,
	// which stays under Lambda's control-plane quota with the SDK's
	// adaptive retries absorbing the odd throttle.
	Concurrency int
	// InsightsConcurrency bounds the Logs Insights queries in flight;
	// default 4 (the account quota is 30 concurrent queries, shared with
	// people using the console).
	InsightsConcurrency int
	// PollInterval is the wait between GetQueryResults calls; default 1s.
	PollInterval time.Duration
	// QueryTimeout bounds one Insights query; default 5 minutes.
	QueryTimeout time.Duration
	// MaxEvents caps the REPORT events read per function when reading log
	// events instead of Insights; default 10,000.
	MaxEvents int
	// Progress hears which step of the audit runs (Done and Total count
	// steps; Detail names the number of functions); nil: nobody listens.
	Progress progress.Func
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// DefaultSource is the findings source of the auditor.
const DefaultSource = "lambda-fleet-auditor"

func (c Config) withDefaults() Config {
	if c.Source == "" {
		c.Source = DefaultSource
	}
	orDefault(&c.Lookback, 14*24*time.Hour)
	orDefault(&c.ErrorRate, 0.05)
	orDefault(&c.MinInvocations, 100)
	orDefault(&c.TimeoutRatio, 0.8)
	orDefault(&c.MemoryHeadroom, 0.3)
	orDefault(&c.MemoryHighRatio, 0.9)
	orDefault(&c.MinLogsUSD, 1)
	orDefault(&c.MinReports, 50)
	if c.Reports == "" {
		c.Reports = ReportsAuto
	}
	orDefault(&c.Concurrency, 4)
	orDefault(&c.InsightsConcurrency, 4)
	orDefault(&c.PollInterval, time.Second)
	orDefault(&c.QueryTimeout, 5*time.Minute)
	orDefault(&c.MaxEvents, 10000)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// orDefault gives a threshold its default when it is not positive: zero
// means unset, and no threshold makes sense negative.
func orDefault[T ~int | ~int64 | ~float64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// lookbackDays is the window in days, for the cost model.
func (c Config) lookbackDays() float64 { return c.Lookback.Hours() / 24 }
