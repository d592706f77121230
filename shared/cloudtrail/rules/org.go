package rules

import (
	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// CT012 reports the account leaving its organisation, or the guard rails
// the organisation puts on it (service control policies) being detached or
// switched off: outside the organisation, or without its SCPs, nothing the
// organisation denies is denied any more, its CloudTrail and GuardDuty
// stop covering the account, and an intruder may keep it.
var CT012 = register(&Rule{
	Check: checks.Check{
		ID:          "CT012",
		Severity:    findings.High,
		Title:       "Account left its organisation or its service control policies were removed",
		Description: "The account left its AWS organisation (CRITICAL; a refused attempt is HIGH, since only an intruder or a mistake tries it), was removed from it, or a policy was detached from an account or organisational unit or the service control policy type disabled for a root (HIGH): the organisation's guard rails, its trail and its detectors no longer cover the account.",
		Remediation: "Find out who made the call and why; invite the account back, re-attach the policy or re-enable the SERVICE_CONTROL_POLICY type, and deny organizations:LeaveOrganization in an SCP on every member account.",
		References: checks.References{Docs: []string{
			"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_remove.html",
			"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html",
		}},
		Techniques: []string{"T1666", "T1484", "T1562"},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		if r.EventSource != "organizations.amazonaws.com" {
			return nil
		}
		p := func() map[string]any { return params(r) }
		orgARN := "arn:" + awsid.PartitionOf(r.AWSRegion) + ":organizations::" + r.Account() + ":account"
		switch r.Action() {
		case "LeaveOrganization":
			acct := "arn:" + awsid.PartitionOf(r.AWSRegion) + ":organizations::" + r.Account() + ":account/" + r.Account()
			if r.Failed() {
				return []Hit{{Resource: acct, Severity: findings.High, Title: "Refused attempt to leave the organisation",
					Evidence: map[string]any{"api": r.Action(), "change": "attempt to leave the organisation refused"}}}
			}
			return []Hit{{Resource: acct, Severity: findings.Critical, Title: "Account left its organisation",
				Evidence: map[string]any{"api": r.Action(), "change": "left the organisation"}}}
		}
		if r.Failed() {
			return nil
		}
		switch r.Action() {
		case "RemoveAccountFromOrganization":
			id := pstr(p(), "accountId", "AccountId")
			return []Hit{{Resource: orgARN + "/" + id, Title: "Account removed from the organisation",
				Evidence: map[string]any{"api": r.Action(), "change": "account removed from the organisation", "removedAccount": id}}}
		case "DetachPolicy":
			pp := p()
			policy, target := pstr(pp, "policyId", "PolicyId"), pstr(pp, "targetId", "TargetId")
			return []Hit{{Resource: "arn:" + awsid.PartitionOf(r.AWSRegion) + ":organizations::" + r.Account() + ":policy/" + policy,
				Title:    "Organisation policy detached from an account or organisational unit",
				Evidence: map[string]any{"api": r.Action(), "change": "policy detached", "policyId": policy, "targetId": target}}}
		case "DisablePolicyType":
			pp := p()
			typ := pstr(pp, "policyType", "PolicyType")
			if typ != "" && typ != "SERVICE_CONTROL_POLICY" {
				return nil
			}
			root := pstr(pp, "rootId", "RootId")
			return []Hit{{Resource: "arn:" + awsid.PartitionOf(r.AWSRegion) + ":organizations::" + r.Account() + ":root/" + root,
				Title:    "Service control policies disabled",
				Evidence: map[string]any{"api": r.Action(), "change": "service control policy type disabled", "policyType": typ, "rootId": root}}}
		}
		return nil
	},
})
