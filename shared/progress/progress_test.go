package progress

import (
	"sync"
	"testing"
	"time"
)

func TestNilFuncIsQuiet(t *testing.T) {
	t.Parallel()
	var f Func
	f.Report(Update{Done: 1})
	if f.Throttle(time.Second) != nil {
		t.Error("a throttled nil Func should stay nil")
	}
}

func TestThrottleKeepsStagesAndTheEnd(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []Update
	f := Func(func(u Update) { mu.Lock(); got = append(got, u); mu.Unlock() }).Throttle(time.Hour)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() { defer wg.Done(); f.Report(Update{Stage: "a", Done: int64(i), Total: 1000}) }()
	}
	wg.Wait()
	f.Report(Update{Stage: "b", Done: 1, Total: 2})
	f.Report(Update{Stage: "b", Done: 1, Total: 2})
	f.Report(Update{Stage: "b", Done: 2, Total: 2})
	if len(got) != 3 || got[0].Stage != "a" || got[1].Stage != "b" || got[2].Done != 2 {
		t.Errorf("passed %+v; want the first of stage a, the first of stage b and b's end", got)
	}
}
