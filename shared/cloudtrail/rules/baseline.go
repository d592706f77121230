package rules

import (
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// CT009 reports a principal acting from a source (network, region or user
// agent family) never seen in its baseline. Evaluated by package baseline
// against DynamoDB; skipped offline.
var CT009 = register(&Rule{
	Check: checks.Check{
		ID:          "CT009",
		Severity:    findings.Medium,
		Title:       "Principal acting from a source never seen in its baseline",
		Description: "A principal acted from a network, region or tool family never seen in its baseline: the usual sign of a credential used by someone else.",
		Remediation: "Confirm with the owner of the principal that the new network, region or tool is theirs; if not, revoke its sessions and rotate its credentials.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html", "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"}},
		Techniques:  []string{"T1078.004"},
	},
})

// CT010 reports an hour in which a principal's calls (or errors) to one API
// stand far outside its own history. Evaluated by package baseline.
var CT010 = register(&Rule{
	Check: checks.Check{
		ID:          "CT010",
		Severity:    findings.Medium,
		Title:       "Call-rate or error-rate anomaly against the principal's baseline",
		Description: "In one hour a principal's calls or errors to one API stood far outside its own history: a runaway loop, a broken deployment or misuse of its credentials.",
		Remediation: "Look at what the principal did in that hour (CloudTrail Lake or Athena on the trail bucket); a runaway loop, a broken deployment or misuse of its credentials are the usual causes.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-insights-events-with-cloudtrail.html"}},
		Techniques:  []string{"T1078.004", "T1526"},
	},
})
