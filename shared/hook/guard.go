package hook

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// A panic in a check must not cost the report to CodeDeploy: guard turns it
// into an error result for that check, and panicResult does the same for a
// panic anywhere else in the hook.

// guard runs one check, turning a panic into an error outcome so that the
// other checks still run and the verdict is Failed. It also holds the
// test-only panic switch.
func (h *Hook) guard(c Check, run func() outcome) (o outcome) {
	defer func() {
		if p := recover(); p != nil {
			o = outcome{err: &panicError{check: c.ID, value: p, stack: string(debug.Stack())}}
		}
	}()
	if h.Config.PanicIn == c.ID {
		panic("injected by " + EnvTestPanic + " in check " + c.ID)
	}
	return run()
}

type panicError struct {
	check string
	value any
	stack string
}

func (e *panicError) Error() string { return fmt.Sprintf("panic in check %s: %v", e.check, e.value) }

func panicResult(where string, p any) CheckResult {
	return CheckResult{ID: CheckPanic.ID, Name: CheckPanic.Name, Status: StatusError,
		Reason:   fmt.Sprintf("panic in %s: %v", where, p),
		Evidence: map[string]any{"where": where, "panic": fmt.Sprint(p), "stack": string(debug.Stack())}}
}

// resultOf turns an outcome into a result. Errors keep the check's ID in
// the result; the finding they produce is HOOK091 (AWS error) or HOOK092
// (panic), so that alarms can tell a bad version from a broken hook.
func resultOf(c Check, target, caseName, resource string, o outcome) CheckResult {
	r := CheckResult{ID: c.ID, Name: c.Name, Target: target, Case: caseName, Resource: resource, Evidence: o.evidence}
	switch {
	case o.err != nil:
		r.Status, r.Reason = StatusError, o.err.Error()
		var pe *panicError
		if errors.As(o.err, &pe) {
			r.Evidence = map[string]any{"check": c.ID, "panic": fmt.Sprint(pe.value), "stack": pe.stack}
		}
	case o.skipped != "":
		r.Status, r.Reason = StatusSkipped, o.skipped
	case o.reason != "":
		r.Status, r.Reason = StatusFailed, o.reason
	default:
		r.Status = StatusPassed
	}
	return r
}
