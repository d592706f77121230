package fleet_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/shared/fleet"
)

// TestBatchingAtScale holds the auditor to its call budget on a generated
// fleet: account-wide listings once, GetMetricData by 500 queries, Logs
// Insights by 50 log groups, and per function only the policy calls and,
// for async functions without a DLQ, their invoke configs.
func TestBatchingAtScale(t *testing.T) {
	const n = 100
	srv := awsfake.StartFleet(t, awsfake.GenerateEstate(n))
	a := newWireAuditor(t, srv, fleet.Config{})
	res, err := a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Functions != n {
		t.Fatalf("audited %d functions, want %d", res.Functions, n)
	}
	calls := srv.Calls()
	// Generate(100): 80 functions with 3 versions and the alias "live", 20 without;
	// 20 + 80*4 = 340 configurations in pages of 50 = 7 pages. 7 metric queries a
	// function (6 of the function, 1 of its log group) = 700 queries = 2 calls.
	// 20 stream mappings fit one page; 66 alarmed functions x 2 alarms = 132 alarms in
	// pages of 100 = 2 calls; 100 log groups in pages of 50 = 2 calls; 100 groups / 50
	// = 2 Insights queries, each polled twice.
	want := map[string]int{
		"Lambda.ListFunctions": 7, "Lambda.ListEventSourceMappings": 1, "CloudWatch.DescribeAlarms": 2,
		"CloudWatch.GetMetricData": 2, "Logs.DescribeLogGroups": 2, "Logs.StartQuery": 2, "Logs.GetQueryResults": 4,
		"Lambda.ListAliases": 80, "Lambda.GetPolicy": 20 + 80*2,
		// i%5==0 (S3 on $LATEST, 20) and i%5==1 (EventBridge with a destination, 20).
		"Lambda.ListFunctionEventInvokeConfigs": 40,
	}
	for op, w := range want {
		if calls[op] != w {
			t.Errorf("%s: %d calls, want %d", op, calls[op], w)
		}
	}
	perFn := float64(srv.TotalCalls("EventBridge")) / n
	t.Logf("%d calls for %d functions: %.2f per function", srv.TotalCalls("EventBridge"), n, perFn)
	if perFn > 3.5 {
		t.Errorf("%.2f calls per function, budget 3.5", perFn)
	}
}

// BenchmarkAuditFleet audits 2,000 generated functions through the wire
// fakes with the real SDK clients and reports API calls per function.
func BenchmarkAuditFleet(b *testing.B) {
	const n = 2000
	srv := awsfake.StartFleet(b, awsfake.GenerateEstate(n))
	a := newWireAuditor(b, srv, fleet.Config{Concurrency: 8})
	b.ResetTimer()
	var runs int
	start := time.Now()
	for b.Loop() {
		if _, err := a.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		runs++
	}
	elapsed := time.Since(start)
	calls := srv.Calls()
	total := 0
	ops := make([]string, 0, len(calls))
	for op, c := range calls {
		total += c
		ops = append(ops, op)
	}
	sort.Strings(ops)
	b.ReportMetric(float64(total)/float64(runs*n), "calls/function")
	b.ReportMetric(elapsed.Seconds()/float64(runs), "s/run")
	for _, op := range ops {
		b.Logf("%-40s %6d per run", op, calls[op]/runs)
	}
}
