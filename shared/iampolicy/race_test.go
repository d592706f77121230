//go:build race

package iampolicy

// raceEnabled is true when tests run under the race detector, which slows
// the engine by an order of magnitude; timing bounds are skipped then.
const raceEnabled = true
