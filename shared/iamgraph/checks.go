package iamgraph

import (
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// CheckID is the escalation-path check. CRITICAL when one step reaches
// administrator-equivalent permissions, HIGH when it takes more.
const CheckID = "IAM009"

// Check is IAM009 as registered with the IAM engine's other checks in
// shared/iampolicy (so that every importer of the IAM registry, the SARIF
// rules and the ASFF catalog, knows it).
var Check = func() checks.Check {
	_ = iampolicy.Checks // the registration runs in iampolicy's init
	c, ok := checks.Lookup(CheckID)
	if !ok {
		panic("iamgraph: " + CheckID + " is not registered")
	}
	return c
}()
