package fleet

import (
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cost"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// Memory and timeout sized from what the function really does: LMB114 to
// LMB116.

// LMB114: memory is over-provisioned; raised by memory.
var LMB114 = register(checks.Check{ID: "LMB114", Severity: findings.Low,
	Title:       "memory is over-provisioned",
	Description: "The function's peak memory use, from its REPORT lines over the lookback window, is far below its configured memory: it pays for memory it does not use. MEDIUM when the monthly saving is 50 USD or more.",
	Remediation: "Lower MemorySize to the recommended size and watch Duration: less memory also means less CPU.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html"}},
})

// LMB115: memory use is close to the configured size; raised by memory.
var LMB115 = register(checks.Check{ID: "LMB115", Severity: findings.Medium,
	Title:       "memory use is close to the configured size",
	Description: "The function's peak memory use is at least 90% of its configured memory: a slightly larger input makes invocations fail out of memory.",
	Remediation: "Raise MemorySize to the recommended size before invocations start failing out of memory.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html"}},
})

// LMB116: p99 duration is close to the timeout; raised by timeout.
var LMB116 = register(checks.Check{ID: "LMB116", Severity: findings.Medium,
	Title:       "p99 duration is close to the timeout",
	Description: "The function's p99 duration over the window is above 80% of its timeout: the slowest invocations are about to time out, fail and be retried. HIGH when p99 reaches the timeout.",
	Remediation: "Find out why the slow invocations are slow, or raise the timeout; invocations at the timeout fail and are retried.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html"}},
})

// monthly prices the function's observed workload over a 30-day month at
// the given memory size, with the one cost model of package cost.
func (e evaluator) monthly(fn *Function, memoryMB int) (cost.Estimate, error) {
	m := fn.Metrics
	avg := 0.0
	if m.Invocations > 0 {
		avg = m.DurationSumMs / m.Invocations
	}
	w := cost.Workload{
		MemoryMB:    memoryMB,
		Duration:    time.Duration(avg * float64(time.Millisecond)),
		Invocations: m.Invocations,
		Arch:        cost.Arch(fn.arch()),
		LogBytes:    m.LogBytes,
		Days:        e.cfg.lookbackDays(),
	}.Over(cost.DaysPerMonth)
	return cost.Default().Estimate(w, cost.Options{})
}

// roundUpMB rounds a memory figure up to a multiple of 64 MB within
// Lambda's 128-10240 MB.
func roundUpMB(mb float64) int {
	r := int(math.Ceil(mb/64)) * 64
	return max(128, min(10240, r))
}

func usd(v float64) float64 { return math.Round(v*10000) / 10000 }

func (e evaluator) memory(fn *Function) []findings.Finding {
	r := fn.Reports
	conf := fn.memoryMB()
	if r == nil || r.Count == 0 || conf == 0 {
		return nil
	}
	var c checks.Check
	var rec int
	switch {
	case r.PeakMB >= e.cfg.MemoryHighRatio*float64(conf):
		c = LMB115
		rec = max(roundUpMB(r.PeakMB*(1+e.cfg.MemoryHeadroom)), min(10240, conf+64))
	case r.Count >= e.cfg.MinReports && conf > 128:
		rec = roundUpMB(r.PeakMB * (1 + e.cfg.MemoryHeadroom))
		if float64(rec) > 0.75*float64(conf) {
			return nil
		}
		c = LMB114
	default:
		return nil
	}
	if rec == conf {
		return nil
	}
	now, err1 := e.monthly(fn, conf)
	then, err2 := e.monthly(fn, rec)
	if err1 != nil || err2 != nil {
		return nil
	}
	delta := then.TotalUSD - now.TotalUSD
	sev := c.Severity
	if c.ID == LMB114.ID && -delta >= 50 {
		sev = findings.Medium
	}
	return []findings.Finding{e.findingSev(c, sev, fn, "", map[string]any{
		"configuredMB": conf, "peakMaxMemoryUsedMB": r.PeakMB, "p99MaxMemoryUsedMB": r.P99MB,
		"reports": r.Count, "reportSource": r.Source, "recommendedMB": rec,
		"monthlyCostUSD": usd(now.TotalUSD), "recommendedMonthlyCostUSD": usd(then.TotalUSD),
		"monthlyDeltaUSD": usd(delta), "assumes": "the same duration at the recommended size",
	})}
}

func (e evaluator) timeout(fn *Function) []findings.Finding {
	m := fn.Metrics
	timeoutMs := float64(aws.ToInt32(fn.Latest.Timeout)) * 1000
	if !m.HasP99 || timeoutMs <= 0 || m.DurationP99Ms <= e.cfg.TimeoutRatio*timeoutMs {
		return nil
	}
	sev := LMB116.Severity
	if m.DurationP99Ms >= timeoutMs*0.999 {
		sev = findings.High // at least 1% of invocations time out
	}
	return []findings.Finding{e.findingSev(LMB116, sev, fn, "", map[string]any{
		"p99DurationMs": m.DurationP99Ms, "timeoutMs": timeoutMs, "ratio": math.Round(m.DurationP99Ms/timeoutMs*1000) / 1000,
		"threshold": e.cfg.TimeoutRatio,
	})}
}
