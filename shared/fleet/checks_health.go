package fleet

import (
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// How the function fares in production: LMB117 to LMB119.

// LMB117: error rate above threshold; raised by errorRate.
var LMB117 = register(checks.Check{ID: "LMB117", Severity: findings.Medium,
	Title:       "error rate above threshold",
	Description: "More than the configured share (5% by default) of the function's invocations failed in the lookback window, with at least 100 invocations.",
	Remediation: "Look at the errors in the function's logs and traces.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"}},
})

// LMB118: invocations throttled; raised by throttles.
var LMB118 = register(checks.Check{ID: "LMB118", Severity: findings.Medium,
	Title:       "invocations throttled",
	Description: "Invocations of the function were throttled in the lookback window: callers were refused for lack of concurrency, and throttled asynchronous events may be dropped.",
	Remediation: "Raise reserved concurrency (or the account's limit), or smooth the callers; throttled asynchronous events are retried and may be dropped.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html", "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"}},
})

// LMB119: not invoked in the lookback window; raised by dead.
var LMB119 = register(checks.Check{ID: "LMB119", Severity: findings.Low,
	Title:       "not invoked in the lookback window",
	Description: "The function received no invocation and no asynchronous event in the lookback window and was last changed before it: it is dead code, or its trigger is broken.",
	Remediation: "Delete the function if nothing needs it, or check that its trigger still works.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"}},
})

func (e evaluator) errorRate(fn *Function) []findings.Finding {
	m := fn.Metrics
	if m.Invocations < e.cfg.MinInvocations {
		return nil
	}
	rate := m.Errors / m.Invocations
	if rate <= e.cfg.ErrorRate {
		return nil
	}
	return []findings.Finding{e.finding(LMB117, fn, "", map[string]any{
		"errors": m.Errors, "invocations": m.Invocations, "errorRate": math.Round(rate*10000) / 10000,
		"threshold": e.cfg.ErrorRate, "windowDays": e.cfg.lookbackDays(),
	})}
}

func (e evaluator) throttles(fn *Function) []findings.Finding {
	m := fn.Metrics
	if m.Throttles <= 0 {
		return nil
	}
	return []findings.Finding{e.finding(LMB118, fn, "", map[string]any{
		"throttles": m.Throttles, "invocations": m.Invocations, "windowDays": e.cfg.lookbackDays(),
	})}
}

func (e evaluator) dead(fn *Function) []findings.Finding {
	if fn.Metrics.Invocations > 0 || fn.Metrics.AsyncEvents > 0 {
		return nil
	}
	// A function created or changed inside the window may simply be new.
	if t, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(fn.Latest.LastModified)); err == nil && e.now.Sub(t) < e.cfg.Lookback {
		return nil
	}
	return []findings.Finding{e.finding(LMB119, fn, "", map[string]any{
		"invocations": 0, "windowDays": e.cfg.lookbackDays(), "lastModified": aws.ToString(fn.Latest.LastModified),
	})}
}
