package cost

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestDefaultPrices(t *testing.T) {
	t.Parallel()
	p, err := ParsePrices(pricesJSON)
	if err != nil {
		t.Fatal(err)
	}
	if p.Lambda.GBSecondUSD[X86_64] != 0.0000166667 || p.Lambda.GBSecondUSD[ARM64] != 0.0000133334 {
		t.Errorf("GB-second prices = %v", p.Lambda.GBSecondUSD)
	}
	if p.Lambda.RequestsPerMillionUSD != 0.20 || p.Logs.IngestionPerGBUSD != 0.50 || p.Logs.StoragePerGBMonthUSD != 0.03 {
		t.Errorf("request or logs prices wrong: %+v %+v", p.Lambda, p.Logs)
	}
	if _, err := time.Parse("2006-01-02", p.ReadOn); err != nil {
		t.Errorf("readOn %q is not a date: %v", p.ReadOn, err)
	}
}

func TestParsePricesRejectsIncomplete(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"not JSON":      `{`,
		"no date":       `{"lambda":{"gbSecondUSD":{"x86_64":1,"arm64":1}}}`,
		"no arm price":  `{"readOn":"2026-01-01","lambda":{"gbSecondUSD":{"x86_64":1}}}`,
		"no logs price": `{"readOn":"2026-01-01","lambda":{"gbSecondUSD":{"x86_64":1,"arm64":1},"requestsPerMillionUSD":0.2,"billingGranularityMs":1,"legacyBillingGranularityMs":100}}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParsePrices([]byte(doc)); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestEstimateHandComputed checks the model against figures worked out by
// hand from the prices in prices.json; the arithmetic is in each case.
func TestEstimateHandComputed(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		w    Workload
		opt  Options
		want Estimate // only the money fields and billed duration are compared
	}{
		// 512 MB = 0.5 GB; 800 ms billed as 800 ms.
		// GB-s = 0.5 * 0.8 * 3,000,000 = 1,200,000
		// compute = 1,200,000 * 0.0000166667 = 20.00004
		// requests = 3 * 0.20 = 0.60
		// logs = 2 KiB * 3,000,000 = 6,144,000,000 B = 5.7220458984375 GiB * 0.50 = 2.86102294921875
		// total = 20.00004 + 0.60 + 2.86102294921875 = 23.46106294921875
		"x86 month with logs": {
			w:    Workload{MemoryMB: 512, Duration: 800 * time.Millisecond, Invocations: 3e6, Arch: X86_64, LogBytes: 2 * KiB * 3e6},
			want: Estimate{BilledDurationMs: 800, ComputeUSD: 20.00004, RequestsUSD: 0.60, LogsIngestionUSD: 2.86102294921875, TotalUSD: 23.46106294921875},
		},
		// 128 MB = 0.125 GB; 12.3 ms billed as 13 ms; 10 TPS * 86,400 * 30 = 25,920,000 requests.
		// GB-s = 0.125 * 0.013 * 25,920,000 = 42,120
		// compute = 42,120 * 0.0000133334 = 0.561602808
		// requests = 25.92 * 0.20 = 5.184
		// total = 5.745602808
		"arm64 at 10 TPS": {
			w:    Workload{MemoryMB: 128, Duration: 12300 * time.Microsecond, Invocations: InvocationsForTPS(10, 30), Arch: ARM64},
			want: Estimate{BilledDurationMs: 13, ComputeUSD: 0.561602808, RequestsUSD: 5.184, TotalUSD: 5.745602808},
		},
		// As above but 12.3 ms is billed as 100 ms.
		// GB-s = 0.125 * 0.1 * 25,920,000 = 324,000; compute = 324,000 * 0.0000133334 = 4.3200216
		// total = 4.3200216 + 5.184 = 9.5040216
		"legacy 100 ms rounding": {
			w:    Workload{MemoryMB: 128, Duration: 12300 * time.Microsecond, Invocations: InvocationsForTPS(10, 30), Arch: ARM64},
			opt:  Options{Legacy100ms: true},
			want: Estimate{BilledDurationMs: 100, ComputeUSD: 4.3200216, RequestsUSD: 5.184, TotalUSD: 9.5040216},
		},
		// First case with the free tier: (1,200,000 - 400,000) * 0.0000166667 = 13.33336;
		// (3,000,000 - 1,000,000) / 1e6 * 0.20 = 0.40; total = 13.33336 + 0.40 + 2.86102294921875.
		"free tier": {
			w:    Workload{MemoryMB: 512, Duration: 800 * time.Millisecond, Invocations: 3e6, Arch: X86_64, LogBytes: 2 * KiB * 3e6},
			opt:  Options{FreeTier: true},
			want: Estimate{BilledDurationMs: 800, ComputeUSD: 13.33336, RequestsUSD: 0.40, LogsIngestionUSD: 2.86102294921875, TotalUSD: 16.59438294921875},
		},
		// 15 days gets half the monthly free tier: 200,000 GB-s and 500,000 requests.
		// GB-s = 1 * 0.1 * 1,000,000 = 100,000 -> all free; requests (1,000,000 - 500,000) * 0.20 / 1e6 = 0.10.
		"free tier prorated": {
			w:    Workload{MemoryMB: 1024, Duration: 100 * time.Millisecond, Invocations: 1e6, Days: 15},
			opt:  Options{FreeTier: true},
			want: Estimate{BilledDurationMs: 100, ComputeUSD: 0, RequestsUSD: 0.10, TotalUSD: 0.10},
		},
		// A sub-millisecond run is billed one millisecond: 10240 MB = 10 GB;
		// GB-s = 10 * 0.001 * 1,000 = 10; compute = 10 * 0.0000166667 = 0.000166667;
		// requests = 0.001 * 0.20 = 0.0002.
		"minimum one millisecond": {
			w:    Workload{MemoryMB: 10240, Duration: 200 * time.Microsecond, Invocations: 1000},
			want: Estimate{BilledDurationMs: 1, ComputeUSD: 0.000166667, RequestsUSD: 0.0002, TotalUSD: 0.000366667},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Default().Estimate(tc.w, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			for field, pair := range map[string][2]float64{
				"billedDurationMs": {got.BilledDurationMs, tc.want.BilledDurationMs},
				"computeUSD":       {got.ComputeUSD, tc.want.ComputeUSD},
				"requestsUSD":      {got.RequestsUSD, tc.want.RequestsUSD},
				"logsIngestionUSD": {got.LogsIngestionUSD, tc.want.LogsIngestionUSD},
				"totalUSD":         {got.TotalUSD, tc.want.TotalUSD},
			} {
				if !near(pair[0], pair[1]) {
					t.Errorf("%s = %.12f, want %.12f", field, pair[0], pair[1])
				}
			}
		})
	}
}

func TestEstimateRejectsImpossibleWorkloads(t *testing.T) {
	t.Parallel()
	tests := map[string]Workload{
		"memory below 128":     {MemoryMB: 64},
		"memory above 10240":   {MemoryMB: 20000},
		"negative duration":    {MemoryMB: 128, Duration: -time.Second},
		"negative invocations": {MemoryMB: 128, Invocations: -1},
		"NaN invocations":      {MemoryMB: 128, Invocations: math.NaN()},
		"unknown architecture": {MemoryMB: 128, Arch: "sparc"},
		"negative days":        {MemoryMB: 128, Days: -1},
	}
	for name, w := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := Default().Estimate(w, Options{}); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestOverScalesToMonth(t *testing.T) {
	t.Parallel()
	// 700,000 requests and 1 GiB of logs in 14 days are 1,500,000 requests
	// and 30/14 GiB in a 30-day month.
	w := Workload{MemoryMB: 128, Invocations: 700000, LogBytes: GiB, Days: 14}.Over(30)
	if !near(w.Invocations, 1.5e6) || !near(w.LogBytes, GiB*30/14) || w.Days != 30 {
		t.Errorf("Over(30) = %+v", w)
	}
}

func TestGridRowsByMemory(t *testing.T) {
	t.Parallel()
	g, err := Default().Grid(Workload{Invocations: 1e6}, []int{128, 256}, []time.Duration{100 * time.Millisecond, time.Second}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != 2 || len(g[0]) != 2 {
		t.Fatalf("grid shape %dx%d", len(g), len(g[0]))
	}
	// 256 MB for 1 s costs 20 times 128 MB for 100 ms in compute.
	if !near(g[1][1].ComputeUSD, 20*g[0][0].ComputeUSD) {
		t.Errorf("compute %v vs %v", g[1][1].ComputeUSD, g[0][0].ComputeUSD)
	}
}

func TestEstimateJSONFieldNames(t *testing.T) {
	t.Parallel()
	e, err := Default().Estimate(Workload{MemoryMB: 128, Duration: time.Millisecond, Invocations: 1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(e)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"requests", "computeUSD", "requestsUSD", "logsIngestionUSD", "totalUSD"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
}
