package rules

import (
	"strings"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// CT005 reports a burst of access errors from one principal within a
// window (Config.BurstThreshold in Config.BurstWindow). A single
// AccessDenied is normal life (a missing permission, a probe by the
// console); a burst is a broken deployment or someone enumerating what a
// stolen credential can do. The window state lives in the analyzer (memory
// offline, DynamoDB in the function), so Match is nil.
var CT005 = register(&Rule{
	Check: checks.Check{
		ID:          "CT005",
		Severity:    findings.Medium,
		Title:       "Burst of AccessDenied errors from one principal",
		Description: "One principal received many access errors (AccessDenied, UnauthorizedOperation...) within a short window: a broken deployment, or someone enumerating what a stolen credential can do.",
		Remediation: "Check whether the principal's permissions broke in a recent deployment (fix the policy in the template) or whether its credentials are being used to enumerate access (rotate or revoke them).",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html"}, SecurityHub: []string{"CloudWatch.2"}},
		Techniques:  []string{"T1580", "T1526", "T1087.004"},
	},
})

// accessErrorCodes are the errorCode values that mean "not allowed".
var accessErrorCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true,
	"Client.UnauthorizedOperation": true, "UnauthorizedAccess": true, "AuthorizationError": true,
	"AuthFailure": true, "Forbidden": true, "UnauthorizedException": true,
}

// IsAccessError reports whether r was refused for lack of permission.
func IsAccessError(r *record.Record) bool {
	if r.ErrorCode == "" {
		return false
	}
	return accessErrorCodes[r.ErrorCode] || strings.Contains(r.ErrorCode, "AccessDenied") || strings.Contains(r.ErrorCode, "Unauthorized")
}
