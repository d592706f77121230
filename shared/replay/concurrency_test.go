package replay

import (
	"container/heap"
	"testing"
	"time"
)

// endpoint models what a replay talks to, for the controller's tests on a
// simulated clock: each batch of ten takes at least base; past capacity
// messages per second, batches queue (they take longer, as a saturated
// endpoint's calls do); past throttleAbove, the share of batches beyond
// the rate is throttled; errShare of the deliveries fail.
type endpoint struct {
	base          time.Duration
	capacity      float64 // msgs/s; 0 unlimited
	throttleAbove float64 // msgs/s; 0 never
	errShare      float64
	// slowFrom..slowTo is a slow moment (another job on the machine):
	// batches that start then take slowBy times longer.
	slowFrom, slowTo time.Duration
	slowBy           float64
}

// simResult is what a simulated run did.
type simResult struct {
	final, peak    int
	batches        int
	throttled      int
	delivered      int
	limits         []int // limit after each second
	reached32At    time.Duration
	firstThrottle  time.Duration
	deliveredAfter map[time.Duration]int
}

type completion struct {
	at time.Time
	o  batchOutcome
}

type completions []completion

func (h completions) Len() int           { return len(h) }
func (h completions) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h completions) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *completions) Push(x any)        { *h = append(*h, x.(completion)) }
func (h *completions) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// simulate runs c against ep for d of simulated time: a closed loop in
// which every free place under the limit starts a batch at once, as the
// run's workers do.
func simulate(c *controller, ep endpoint, d time.Duration) simResult {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	var h completions
	res := simResult{deliveredAfter: map[time.Duration]int{}}
	var throttleDebt, errDebt float64
	start := func() {
		for len(h) < c.limit {
			offered := float64(c.limit) * 10 / ep.base.Seconds()
			took := ep.base
			if ep.capacity > 0 {
				// A saturated endpoint serves capacity in total.
				took = max(took, time.Duration(float64(c.limit)*10/ep.capacity*float64(time.Second)))
			}
			if at := now.Sub(t0); at >= ep.slowFrom && at < ep.slowTo {
				took = time.Duration(float64(took) * ep.slowBy)
			}
			o := batchOutcome{took: took}
			if ep.throttleAbove > 0 && offered > ep.throttleAbove {
				throttleDebt += 1 - ep.throttleAbove/offered
			}
			if throttleDebt >= 1 {
				throttleDebt--
				o.throttled = 1
				o.attempted = 10
			} else {
				errDebt += ep.errShare * 10
				failed := int(errDebt)
				errDebt -= float64(failed)
				o.attempted, o.failed, o.delivered = 10, failed, 10-failed
			}
			heap.Push(&h, completion{at: now.Add(took), o: o})
		}
	}
	start()
	nextSecond := time.Second
	for len(h) > 0 {
		next := heap.Pop(&h).(completion)
		now = next.at
		for now.Sub(t0) >= nextSecond {
			res.limits = append(res.limits, c.limit)
			res.deliveredAfter[nextSecond] = res.delivered
			nextSecond += time.Second
		}
		if now.Sub(t0) > d {
			break
		}
		c.observe(now, next.o)
		res.batches++
		res.delivered += next.o.delivered
		if next.o.throttled > 0 {
			res.throttled++
			if res.firstThrottle == 0 {
				res.firstThrottle = now.Sub(t0)
			}
		}
		if c.limit >= 32 && res.reached32At == 0 {
			res.reached32At = now.Sub(t0)
		}
		start()
	}
	res.final, res.peak = c.limit, c.peak
	return res
}

func TestControllerGrowsFast(t *testing.T) {
	t.Parallel()
	// 250 ms per batch and an endpoint that takes anything: the limit
	// doubles every round trip up to the maximum.
	c := newController(DefaultStartWorkers, DefaultMaxWorkers, false)
	res := simulate(c, endpoint{base: 250 * time.Millisecond}, 10*time.Second)
	t.Logf("reached 32 at %v; limits per second %v", res.reached32At, res.limits)
	if res.reached32At == 0 || res.reached32At > 2*time.Second {
		t.Errorf("reached 32 workers at %v, want within 2 s", res.reached32At)
	}
	if res.final != DefaultMaxWorkers || res.peak != DefaultMaxWorkers {
		t.Errorf("final %d, peak %d; want the maximum %d", res.final, res.peak, DefaultMaxWorkers)
	}
}

func TestControllerRidesOutASlowMoment(t *testing.T) {
	t.Parallel()
	// Batches that start between 0.5 and 0.7 s take twice as long, as
	// when another job takes the CPU: slow start must not end there.
	c := newController(DefaultStartWorkers, DefaultMaxWorkers, false)
	res := simulate(c, endpoint{base: 250 * time.Millisecond, slowFrom: 500 * time.Millisecond, slowTo: 700 * time.Millisecond, slowBy: 2}, 10*time.Second)
	t.Logf("reached 32 at %v; limits per second %v", res.reached32At, res.limits)
	if res.reached32At == 0 || res.reached32At > 3*time.Second || res.final != DefaultMaxWorkers {
		t.Errorf("reached 32 workers at %v, ended at %d; want within 3 s and the maximum at the end", res.reached32At, res.final)
	}
}

func TestControllerSettlesAtCapacity(t *testing.T) {
	t.Parallel()
	// 1,300 msgs/s at 250 ms a batch needs about 33 workers; more only
	// makes every call slower.
	c := newController(DefaultStartWorkers, DefaultMaxWorkers, false)
	res := simulate(c, endpoint{base: 250 * time.Millisecond, capacity: 1300}, 30*time.Second)
	t.Logf("limits per second %v; peak %d", res.limits, res.peak)
	if res.final < 24 || res.final > 48 {
		t.Errorf("settled at %d workers, want about 33 (24-48)", res.final)
	}
	// Over the last 20 s it moved at least 95 % of the capacity.
	if got := float64(res.delivered-res.deliveredAfter[10*time.Second]) / 20; got < 0.95*1300 {
		t.Errorf("%.0f msgs/s over the last 20 s, want at least %.0f", got, 0.95*1300)
	}
}

func TestControllerBacksOffOnThrottling(t *testing.T) {
	t.Parallel()
	// 100 ms a batch, throttled above 400 msgs/s: four workers are the
	// most the endpoint takes.
	c := newController(DefaultStartWorkers, DefaultMaxWorkers, false)
	res := simulate(c, endpoint{base: 100 * time.Millisecond, throttleAbove: 400}, 60*time.Second)
	t.Logf("limits per second %v; %d of %d batches throttled; %d throttle cuts", res.limits, res.throttled, res.batches, c.throttles)
	if res.final > 5 {
		t.Errorf("settled at %d workers, want at most 5 (400 msgs/s at 100 ms a batch of 10 is 4)", res.final)
	}
	// No retry storm: throttled batches are a small share, and the cuts
	// grow rarer (probes come at longer intervals after each).
	if share := float64(res.throttled) / float64(res.batches); share > 0.03 {
		t.Errorf("%.1f %% of batches throttled, want at most 3 %%", share*100)
	}
	late := 0
	for _, l := range res.limits[30:] {
		if l > 5 {
			late++
		}
	}
	if late > 3 {
		t.Errorf("over 5 workers in %d of the last 30 seconds: %v", late, res.limits[30:])
	}
	if rate := float64(res.delivered-res.deliveredAfter[30*time.Second]) / 30; rate < 250 || rate > 400 {
		t.Errorf("%.0f msgs/s over the last 30 s, want below the 400 the endpoint takes and not far below", rate)
	}
}

func TestControllerBacksOffOnErrors(t *testing.T) {
	t.Parallel()
	c := newController(32, DefaultMaxWorkers, false)
	res := simulate(c, endpoint{base: 100 * time.Millisecond, errShare: 0.3}, 10*time.Second)
	t.Logf("limits per second %v", res.limits)
	if res.final > 2 {
		t.Errorf("with 30 %% of deliveries failing: %d workers, want 1 or 2", res.final)
	}
}

func TestControllerBounds(t *testing.T) {
	t.Parallel()
	t.Run("max", func(t *testing.T) {
		c := newController(DefaultStartWorkers, 10, false)
		res := simulate(c, endpoint{base: 50 * time.Millisecond}, 5*time.Second)
		if res.peak != 10 || res.final != 10 {
			t.Errorf("peak %d, final %d; want 10", res.peak, res.final)
		}
	})
	t.Run("max below start", func(t *testing.T) {
		c := newController(DefaultStartWorkers, 2, false)
		res := simulate(c, endpoint{base: 50 * time.Millisecond}, 5*time.Second)
		if res.peak != 2 {
			t.Errorf("peak %d, want 2", res.peak)
		}
	})
	t.Run("fixed", func(t *testing.T) {
		c := newController(8, 8, true)
		res := simulate(c, endpoint{base: 50 * time.Millisecond, throttleAbove: 400}, 5*time.Second)
		if res.peak != 8 || res.final != 8 {
			t.Errorf("fixed 8: peak %d, final %d", res.peak, res.final)
		}
		if c.signals == 0 {
			t.Error("a fixed run still counts the throttles it saw")
		}
	})
	t.Run("never below one", func(t *testing.T) {
		c := newController(1, DefaultMaxWorkers, false)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 100 {
			c.observe(now.Add(time.Duration(i)*time.Second), batchOutcome{throttled: 1, took: time.Second})
		}
		if c.limit != 1 || c.throttles == 0 {
			t.Errorf("limit %d after 100 throttles (%d cuts), want 1", c.limit, c.throttles)
		}
	})
}
