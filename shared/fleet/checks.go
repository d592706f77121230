package fleet

import (
	"time"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// The operations checklist, LMB101 onward, one file per family:
// checks_failures.go (failed events kept: LMB101, LMB102), checks_alarms.go
// (alarms: LMB103 to LMB107), checks_observability.go (tracing and logs:
// LMB108, LMB109, LMB120), checks_release.go (runtime, aliases and
// versions: LMB110 to LMB112), checks_secrets.go (LMB113), checks_sizing.go
// (memory and timeout: LMB114 to LMB116) and checks_health.go (errors,
// throttles, idleness: LMB117 to LMB119). Each check's metadata lives in the
// check registry (package checks; see docs/architecture.md, "Check
// registry"), beside the code that raises it; IDs are never reused or
// renumbered. README.md lists each trigger.

// register enters one of the fleet's checks in the check registry: every
// fleet check runs on the live Lambda fleet.
func register(c checks.Check) checks.Check {
	c.Engine = checks.EngineFleet
	c.Inputs = []checks.Input{checks.InputFleet}
	return checks.Register(c)
}

// evaluator applies the checks to one function's inventory.
type evaluator struct {
	cfg    Config
	alarms *alarmIndex
	now    time.Time
}

func (e evaluator) evaluate(fn *Function) []findings.Finding {
	var out []findings.Finding
	for _, check := range []func(*Function) []findings.Finding{
		e.asyncFailures, e.streamFailures, e.alarmsPresent, e.tracing, e.retention, e.runtime,
		e.latestTriggers, e.versions, e.secrets, e.memory, e.timeout, e.errorRate, e.throttles,
		e.dead, e.logCost,
	} {
		out = append(out, check(fn)...)
	}
	return out
}

func (e evaluator) finding(c checks.Check, fn *Function, key string, ev map[string]any) findings.Finding {
	return e.findingSev(c, c.Severity, fn, key, ev)
}

func (e evaluator) findingSev(c checks.Check, sev findings.Severity, fn *Function, key string, ev map[string]any) findings.Finding {
	ev["functionName"] = fn.Name
	return findings.Finding{
		ID:          findings.StableID(c.ID, fn.ARN, key),
		Check:       c.ID,
		Severity:    sev,
		Title:       fn.Name + ": " + c.Title,
		Resource:    fn.ARN,
		Evidence:    ev,
		Remediation: c.Remediation,
		Source:      e.cfg.Source,
		ObservedAt:  e.now,
	}
}
