package rules

import "github.com/selfaudit/selfaudit/shared/findings"

// CT009 reports a principal acting from a source (network, region or user
// agent family) never seen in its baseline. Evaluated by package baseline
// against DynamoDB; skipped offline.
var CT009 = register(&Rule{
	ID:          "CT009",
	Severity:    findings.Medium,
	Title:       "Principal acting from a source never seen in its baseline",
	Remediation: "Confirm with the owner of the principal that the new network, region or tool is theirs; if not, revoke its sessions and rotate its credentials.",
})

// CT010 reports an hour in which a principal's calls (or errors) to one API
// stand far outside its own history. Evaluated by package baseline.
var CT010 = register(&Rule{
	ID:          "CT010",
	Severity:    findings.Medium,
	Title:       "Call-rate or error-rate anomaly against the principal's baseline",
	Remediation: "Look at what the principal did in that hour (CloudTrail Lake or Athena on the trail bucket); a runaway loop, a broken deployment or misuse of its credentials are the usual causes.",
})
