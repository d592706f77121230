package fleet

import "github.com/selfaudit/selfaudit/shared/findingstore"

// StoreScanner is the scanner name of the fleet audit's scope in the
// finding store: the function's name, so that the daily run and `selfaudit
// lambda --state-table` agree on one table, whatever Source is configured.
const StoreScanner = "lambda-fleet-auditor"

// StoreScope is the scope of a fleet audit for the finding store: the
// functions of the account in the region. The audit fails as a whole when
// a read fails, so the one part it can leave unread is a function's
// memory: one invoked in the window whose REPORT lines were not read
// (reports off, a log group shared with other functions, no REPORT line
// found) cannot have its right-sizing judged, so its remembered findings
// are neither confirmed nor resolved.
func (r *Result) StoreScope(account, region string) findingstore.Scope {
	scope := findingstore.Scope{Scanner: StoreScanner, Account: account, Region: region}
	for _, fn := range r.Inventory {
		if fn.LogGroup == nil || fn.Metrics.Invocations == 0 || (fn.Reports != nil && fn.Reports.Count > 0) {
			continue
		}
		scope.Unreadable = append(scope.Unreadable, findingstore.Gap{Target: fn.ARN, Reason: "REPORT lines not read, so memory right-sizing was not judged"})
	}
	return scope
}
