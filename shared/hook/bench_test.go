package hook

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user plus system CPU time. Reported per
// operation it stays meaningful on a machine shared with other work,
// where wall-clock figures mostly measure the wait for a core.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHandleOverhead measures what the hook itself costs per
// deployment, without the smoke invocation: GetDeployment, the AppSpec
// parse, GetFunctionConfiguration, every configuration check, the status
// report and the findings publication, through the real SDK clients over
// loopback HTTP.
func BenchmarkHandleOverhead(b *testing.B) {
	for _, inline := range []bool{true, false} {
		b.Run(fmt.Sprintf("inlineAppSpec=%v", inline), func(b *testing.B) {
			e := newWireEnv(b)
			d := e.cd.Deployments[testDeployment]
			d.Inline = inline
			e.cd.Deployments[testDeployment] = d
			e.hook.Config.Disabled[CheckSmoke.ID] = true
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			for i := 0; i < b.N; i++ {
				res, err := e.hook.Handle(ctx, Event{DeploymentID: testDeployment, LifecycleEventHookExecutionID: fmt.Sprint("exec-", i)})
				if err != nil || res.Status != "Succeeded" {
					b.Fatalf("%s: %v %v", res.Status, err, res.Reasons)
				}
			}
			// Includes the fakes' share: an upper bound for the hook.
			b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// BenchmarkHandleWithSmoke is the same with one smoke invocation answered
// at once by the fake, for comparison.
func BenchmarkHandleWithSmoke(b *testing.B) {
	e := newWireEnv(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res, err := e.hook.Handle(ctx, Event{DeploymentID: testDeployment, LifecycleEventHookExecutionID: fmt.Sprint("exec-", i)}); err != nil || res.Status != "Succeeded" {
			b.Fatalf("%s: %v", res.Status, err)
		}
	}
}

func BenchmarkParseAppSpec(b *testing.B) {
	yml := readTestdata(b, "appspec/sam.yaml")
	js := readTestdata(b, "appspec/sam.json")
	b.Run("yaml", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := ParseAppSpec(yml); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := ParseAppSpec(js); err != nil {
				b.Fatal(err)
			}
		}
	})
}
