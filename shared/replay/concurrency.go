package replay

import (
	"time"
)

// The concurrency controller: how many workers may hold a batch at once.
//
// A replay's speed is set by the endpoints' round trip, not by the
// engine: one worker moves one batch of ten per receive-send-delete round
// trip, so the right number of workers is the endpoints' latency times the
// rate they can take, which the engine cannot know in advance. The
// controller finds it the way TCP finds a path's capacity:
//
//   - slow start: from a small number, double the limit after every
//     window in which delivered messages per second rose by at least
//     slowStartGain; three windows in a row that do not rise end slow start
//     and the limit goes back to the one that gave (nearly) the same rate;
//   - probing: then, every probeEvery windows, try a quarter more (at
//     least one) and keep it only when the rate rose by probeGain;
//   - back-off: a throttled call (throttleCode) or a window with more than
//     maxErrorShare of failed deliveries halves the limit at once, from
//     the limit the throttled batch began at, but only for a batch that
//     began after the last cut: the batches already in flight were sent
//     at the old limit and their throttles say nothing new. After each
//     throttle, probes add one worker at a time and come twice as rarely,
//     so an endpoint that throttles above a rate is approached slowly
//     instead of hammered (no retry storm).
//
// In slow start a window lasts at least minWindow and until as many
// batches completed as the limit allows at once (about one round trip), or
// maxWindow; past it, steadyWindows round trips, since the differences to
// measure are small, and the window right after a change of limit is not
// measured (it mixes batches of both limits). The controller holds no lock
// and no clock of its own: the run calls observe under its lock with the
// time, which keeps it deterministic under a simulated clock in its tests.
type controller struct {
	fixed      bool
	min, max   int
	limit      int
	peak       int
	slowStart  bool
	strikes    int // slow-start windows in a row that did not rise
	windowFrom time.Time
	started    bool

	// current window
	delivered, attempted, failed, completions int

	// rate of the last window at prevLimit; baseRate is what a probe
	// must beat.
	prevLimit int
	prevRate  float64
	baseRate  float64
	probing   bool // the current window runs at a probe's limit
	// settling: the limit just changed and the window still mixes
	// batches of both limits; it is not measured.
	settling  bool
	baseN     int // settled windows averaged into baseRate
	preProbe  int // limit to return to when the probe fails
	calm      int // windows since the last change of limit
	probeGap  int // windows between probes
	lastCut   time.Time
	rtt       time.Duration // moving average of a batch's duration
	throttles int           // throttle events (cuts) over the run
	signals   int           // throttled calls seen over the run
}

// Tuning of the controller.
const (
	// DefaultStartWorkers is where an adaptive run starts.
	DefaultStartWorkers = 4
	// DefaultMaxWorkers bounds an adaptive run.
	DefaultMaxWorkers = 64

	minWindow     = 150 * time.Millisecond
	maxWindow     = 2 * time.Second
	slowStartGain = 1.15
	probeGain     = 1.05
	probeEvery    = 3
	maxProbeGap   = 24
	maxErrorShare = 0.10
	steadyWindows = 3
	// maxStrikes is how many slow-start windows in a row may fail to
	// rise before the next one that does not ends slow start.
	maxStrikes = 2
)

// batchOutcome is what one batch tells the controller.
type batchOutcome struct {
	// delivered: messages a target accepted (parked ones included);
	// attempted: messages the engine tried to deliver; failed: those
	// that were not accepted for another reason than throttling.
	delivered, attempted, failed int
	// throttled counts throttled calls or entries, the SDK's retries
	// included.
	throttled int
	took      time.Duration
	// began is the limit when the batch began; 0 unknown.
	began int
	// idle: the worker made no call (the budget was spent, the deadline
	// near); nothing to learn from.
	idle bool
}

// newController returns a controller that starts at start workers and
// stays within [1, max]; fixed keeps the limit at start.
func newController(start, most int, fixed bool) *controller {
	most = max(1, most)
	start = min(most, max(1, start))
	return &controller{fixed: fixed, min: 1, max: most, limit: start, peak: start, slowStart: !fixed, probeGap: probeEvery}
}

// observe adds one completed batch at time now and returns the limit.
func (c *controller) observe(now time.Time, o batchOutcome) int {
	if !c.started {
		c.started, c.windowFrom = true, now.Add(-o.took)
	}
	if o.took > 0 {
		if c.rtt == 0 {
			c.rtt = o.took
		} else {
			c.rtt = (c.rtt*7 + o.took) / 8
		}
	}
	c.signals += o.throttled
	if c.fixed {
		return c.limit
	}
	if o.throttled > 0 {
		// A batch that began before the last cut was sent at the old
		// limit: its throttle is not news.
		if c.lastCut.IsZero() || now.Add(-o.took).After(c.lastCut) {
			if o.began > 0 && o.began < c.limit {
				// The endpoint refused what began at a lower limit
				// (slow start has doubled since): that one was too
				// much already.
				c.limit = o.began
			}
			c.cut(now, true)
		}
		return c.limit
	}
	c.delivered += o.delivered
	c.attempted += o.attempted
	c.failed += o.failed
	c.completions++
	elapsed := now.Sub(c.windowFrom)
	span := c.rtt
	if !c.slowStart {
		// Past slow start the differences to measure are small: longer
		// windows average out batches that complete in bunches.
		span *= steadyWindows
	}
	if elapsed < max(minWindow, span) || (c.completions < c.limit && elapsed < maxWindow) {
		return c.limit
	}
	c.endWindow(now, elapsed)
	return c.limit
}

// cut halves the limit (3 becomes 2: rounding down from a small number
// would take more than half away).
func (c *controller) cut(now time.Time, throttled bool) {
	c.lastCut = now
	if throttled {
		c.throttles++
		// Each throttle spaces the probes further apart.
		c.probeGap = min(maxProbeGap, c.probeGap*2)
	}
	c.slowStart, c.probing = false, false
	c.setLimit(c.limit - c.limit/2)
	c.resetWindow(now)
}

func (c *controller) endWindow(now time.Time, elapsed time.Duration) {
	rate := float64(c.delivered) / elapsed.Seconds()
	errShare := 0.0
	if c.attempted > 0 {
		errShare = float64(c.failed) / float64(c.attempted)
	}
	if c.failed >= 2 && errShare > maxErrorShare {
		c.cut(now, false)
		return
	}
	switch {
	case c.settling:
		c.settling = false
	case c.slowStart:
		switch {
		case c.prevRate == 0 || rate >= c.prevRate*slowStartGain:
			c.strikes = 0
			if c.limit == c.max {
				c.slowStart = false
				break
			}
			c.prevLimit, c.prevRate = c.limit, rate
			c.setLimit(c.limit * 2)
		case c.strikes < maxStrikes:
			// The window right after a doubling mixes both limits,
			// and a busy endpoint has slow moments: more windows at
			// this limit decide.
			c.strikes++
		default:
			// Doubling did not pay: go back to the limit that gave
			// about this rate, and probe from there.
			c.slowStart = false
			c.setLimit(c.prevLimit)
		}
	case c.probing:
		c.probing = false
		if rate >= c.baseRate*probeGain {
			c.baseRate, c.baseN = rate, 1
		} else {
			c.setLimit(c.preProbe)
		}
	default:
		c.calm++
		// The rate at the current limit, averaged over its settled
		// windows, for the next probe to beat.
		if c.baseN == 0 {
			c.baseRate = rate
		} else {
			c.baseRate = (c.baseRate + rate) / 2
		}
		c.baseN++
		if c.calm >= c.probeGap && c.limit < c.max && rate > 0 {
			step := max(1, c.limit/4)
			if c.throttles > 0 {
				step = 1
			}
			c.preProbe, c.probing = c.limit, true
			c.setLimit(c.limit + step)
		}
	}
	c.resetWindow(now)
}

func (c *controller) setLimit(n int) {
	n = min(c.max, max(c.min, n))
	if n != c.limit {
		c.calm, c.baseN = 0, 0
		c.settling = !c.slowStart
	}
	c.limit = n
	c.peak = max(c.peak, n)
}

func (c *controller) resetWindow(now time.Time) {
	c.windowFrom = now
	c.delivered, c.attempted, c.failed, c.completions = 0, 0, 0, 0
}
