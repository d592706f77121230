package cost

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Arch is a Lambda instruction set architecture; it sets the GB-second price.
type Arch string

// The two architectures Lambda offers, spelt as the Lambda API spells them.
const (
	X86_64 Arch = "x86_64"
	ARM64  Arch = "arm64"
)

// ParseArch reads an architecture name; "" means x86_64, Lambda's default.
func ParseArch(s string) (Arch, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "x86_64", "x86-64", "amd64":
		return X86_64, nil
	case "arm64", "aarch64", "graviton":
		return ARM64, nil
	}
	return "", fmt.Errorf("unknown architecture %q (want x86_64 or arm64)", s)
}

// Byte units. CloudWatch Logs bills per GB of 1024^3 bytes.
const (
	KiB = 1024.0
	GiB = 1024.0 * 1024 * 1024
)

// DaysPerMonth is the month the model bills: 30 days, as the pricing pages
// assume in their examples.
const DaysPerMonth = 30.0

// Workload describes what a function does over a period.
type Workload struct {
	MemoryMB int
	// Duration is the mean run time of one invocation before Lambda
	// rounds it up to its billing granularity.
	Duration time.Duration
	// Invocations is the number of requests in the period.
	Invocations float64
	Arch        Arch
	// LogBytes is what the function writes to CloudWatch Logs in the
	// period (the log group's IncomingBytes).
	LogBytes float64
	// Days is the period's length; 0 means a 30-day month.
	Days float64
}

// Options change how the model bills.
type Options struct {
	// Legacy100ms rounds each invocation up to 100 ms, as Lambda billed
	// before December 2020, to compare with old estimates.
	Legacy100ms bool
	// FreeTier subtracts the monthly free requests and GB-seconds,
	// prorated to the period. The free tier is per account, so it is off
	// by default: one function's estimate should not spend the whole
	// account's allowance.
	FreeTier bool
}

// Estimate is the cost of a workload. Its JSON form is the output of
// `selfaudit cost --format json`; requests, computeUSD, requestsUSD,
// logsIngestionUSD and totalUSD are a contract.
type Estimate struct {
	MemoryMB         int     `json:"memoryMB"`
	DurationMs       float64 `json:"durationMs"`
	BilledDurationMs float64 `json:"billedDurationMs"`
	Arch             Arch    `json:"arch"`
	Days             float64 `json:"days"`
	Requests         float64 `json:"requests"`
	GBSeconds        float64 `json:"gbSeconds"`
	LogsGB           float64 `json:"logsGB"`
	ComputeUSD       float64 `json:"computeUSD"`
	RequestsUSD      float64 `json:"requestsUSD"`
	LogsIngestionUSD float64 `json:"logsIngestionUSD"`
	// LogsStorageUSDPerMonth is what keeping the period's logs costs per
	// month they are retained. It depends on the retention setting, so it
	// is not part of TotalUSD. CloudWatch bills storage on compressed
	// bytes, so this is an upper bound.
	LogsStorageUSDPerMonth float64 `json:"logsStorageUSDPerMonth"`
	// TotalUSD is compute + requests + logs ingestion.
	TotalUSD     float64 `json:"totalUSD"`
	FreeTier     bool    `json:"freeTier"`
	Legacy100ms  bool    `json:"legacy100ms"`
	PricesReadOn string  `json:"pricesReadOn"`
}

// LambdaUSD is what Lambda itself bills: compute and requests.
func (e Estimate) LambdaUSD() float64 { return e.ComputeUSD + e.RequestsUSD }

// Validate rejects workloads the model cannot price.
func (w Workload) Validate() error {
	switch {
	case w.MemoryMB < 128 || w.MemoryMB > 10240:
		return fmt.Errorf("memory %d MB is outside Lambda's 128-10240 MB", w.MemoryMB)
	case w.Duration < 0:
		return fmt.Errorf("duration %s is negative", w.Duration)
	case w.Invocations < 0 || math.IsNaN(w.Invocations) || math.IsInf(w.Invocations, 0):
		return fmt.Errorf("invocations %v is not a non-negative number", w.Invocations)
	case w.LogBytes < 0 || math.IsNaN(w.LogBytes) || math.IsInf(w.LogBytes, 0):
		return fmt.Errorf("log bytes %v is not a non-negative number", w.LogBytes)
	case w.Days < 0 || math.IsNaN(w.Days) || math.IsInf(w.Days, 0):
		return fmt.Errorf("days %v is not a non-negative number", w.Days)
	}
	if _, err := ParseArch(string(w.Arch)); err != nil {
		return err
	}
	return nil
}

// Over returns the workload scaled to a period of days at the same rate,
// for example 14 days of metrics projected onto a 30-day month.
func (w Workload) Over(days float64) Workload {
	from := w.Days
	if from == 0 {
		from = DaysPerMonth
	}
	f := days / from
	w.Invocations *= f
	w.LogBytes *= f
	w.Days = days
	return w
}

// BilledDuration rounds one invocation's duration up the way Lambda bills
// it: to the next millisecond (or 100 ms in legacy mode), never below one
// unit.
func (p Prices) BilledDuration(d time.Duration, opt Options) float64 {
	gran := p.Lambda.BillingGranularityMs
	if opt.Legacy100ms {
		gran = p.Lambda.LegacyBillingGranularityMs
	}
	ms := float64(d) / float64(time.Millisecond)
	// The small epsilon keeps 800ms from becoming 801 through float error.
	units := math.Ceil(ms/gran - 1e-9)
	if units < 1 {
		units = 1
	}
	return units * gran
}

// Estimate prices a workload. It returns an error for a workload outside
// what Lambda allows rather than a meaningless figure.
func (p Prices) Estimate(w Workload, opt Options) (Estimate, error) {
	if err := w.Validate(); err != nil {
		return Estimate{}, err
	}
	arch, _ := ParseArch(string(w.Arch))
	days := w.Days
	if days == 0 {
		days = DaysPerMonth
	}
	billedMs := p.BilledDuration(w.Duration, opt)
	gbSeconds := float64(w.MemoryMB) / 1024 * billedMs / 1000 * w.Invocations
	chargedGBs, chargedReq := gbSeconds, w.Invocations
	if opt.FreeTier {
		share := days / DaysPerMonth
		chargedGBs = math.Max(0, gbSeconds-p.Lambda.FreeTier.GBSecondsPerMonth*share)
		chargedReq = math.Max(0, w.Invocations-p.Lambda.FreeTier.RequestsPerMonth*share)
	}
	logsGB := w.LogBytes / GiB
	e := Estimate{
		MemoryMB:               w.MemoryMB,
		DurationMs:             float64(w.Duration) / float64(time.Millisecond),
		BilledDurationMs:       billedMs,
		Arch:                   arch,
		Days:                   days,
		Requests:               w.Invocations,
		GBSeconds:              gbSeconds,
		LogsGB:                 logsGB,
		ComputeUSD:             chargedGBs * p.Lambda.GBSecondUSD[arch],
		RequestsUSD:            chargedReq / 1e6 * p.Lambda.RequestsPerMillionUSD,
		LogsIngestionUSD:       logsGB * p.Logs.IngestionPerGBUSD,
		LogsStorageUSDPerMonth: logsGB * p.Logs.StoragePerGBMonthUSD,
		FreeTier:               opt.FreeTier,
		Legacy100ms:            opt.Legacy100ms,
		PricesReadOn:           p.ReadOn,
	}
	e.TotalUSD = e.ComputeUSD + e.RequestsUSD + e.LogsIngestionUSD
	return e, nil
}

// Grid prices base at every memory size and duration, rows by memory and
// columns by duration, like the table on a pricing page.
func (p Prices) Grid(base Workload, memories []int, durations []time.Duration, opt Options) ([][]Estimate, error) {
	out := make([][]Estimate, 0, len(memories))
	for _, m := range memories {
		row := make([]Estimate, 0, len(durations))
		for _, d := range durations {
			w := base
			w.MemoryMB, w.Duration = m, d
			e, err := p.Estimate(w, opt)
			if err != nil {
				return nil, err
			}
			row = append(row, e)
		}
		out = append(out, row)
	}
	return out, nil
}

// InvocationsForTPS is the number of requests at a steady rate over days.
func InvocationsForTPS(tps, days float64) float64 {
	if days == 0 {
		days = DaysPerMonth
	}
	return tps * 86400 * days
}
