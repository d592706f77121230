package cost_test

import (
	"fmt"
	"time"

	"github.com/selfaudit/selfaudit/shared/cost"
)

// A 512 MB x86_64 function running 800 ms, 3 million times a month, writing
// 2 KB of logs per invocation.
func ExamplePrices_Estimate() {
	e, err := cost.Default().Estimate(cost.Workload{
		MemoryMB:    512,
		Duration:    800 * time.Millisecond,
		Invocations: 3e6,
		Arch:        cost.X86_64,
		LogBytes:    2 * cost.KiB * 3e6,
	}, cost.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("compute $%.2f, requests $%.2f, logs $%.2f, total $%.2f\n", e.ComputeUSD, e.RequestsUSD, e.LogsIngestionUSD, e.TotalUSD)
	// Output: compute $20.00, requests $0.60, logs $2.86, total $23.46
}
