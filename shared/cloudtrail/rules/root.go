package rules

import (
	"strings"

	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// CT006 reports use of the account's root user, which no day-to-day work
// needs and whose credentials cannot be scoped.
var CT006 = register(&Rule{
	Check: checks.Check{
		ID:          "CT006",
		Severity:    findings.High,
		Title:       "Root user activity",
		Description: "The account's root user acted: no day-to-day work needs it, its credentials cannot be scoped, and a console sign-in without MFA or a root access key is reported as CRITICAL.",
		Remediation: "Confirm with the account owner that the root user was used on purpose; otherwise rotate the root password, remove root access keys and check MFA. Use IAM Identity Center or roles for daily work.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html"}, SecurityHub: []string{"CloudWatch.1", "IAM.4"}},
		Techniques:  []string{"T1078.004"},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		u := &r.UserIdentity
		if u.Type != "Root" || r.Failed() || r.EventType == "AwsServiceEvent" {
			return nil
		}
		if u.InvokedBy != "" && u.InvokedBy != "signin.amazonaws.com" && strings.HasSuffix(u.InvokedBy, ".amazonaws.com") {
			return nil // a service acting for the account
		}
		if r.EventSource == "signin.amazonaws.com" && signInFailed(r) {
			return nil // a failed sign-in is not activity
		}
		res := "arn:" + awsid.PartitionOf(r.AWSRegion) + ":iam::" + r.Account() + ":root"
		h := Hit{Resource: res, Evidence: map[string]any{"api": r.Action()}}
		a := r.Action()
		switch {
		case a == "ConsoleLogin":
			add := map[string]any{}
			_ = record.Decode(r.AdditionalEventData, &add)
			if strField(add, "MFAUsed") == "No" {
				h.Severity = findings.Critical
				h.Title = "Root user signed in to the console without MFA"
			} else {
				h.Title = "Root user signed in to the console"
			}
		case a == "CreateAccessKey" && strField(params(r), "userName") == "":
			h.Severity = findings.Critical
			h.Title = "Access key created for the root user"
		case r.ReadOnly || strings.HasPrefix(a, "Get") || strings.HasPrefix(a, "List") || strings.HasPrefix(a, "Describe"):
			h.Severity = findings.Medium
		}
		return []Hit{h}
	},
})

// signInFailed reports a sign-in event whose outcome is Failure; sign-in
// events report failures in responseElements rather than errorCode.
func signInFailed(r *record.Record) bool {
	if r.ErrorMessage != "" {
		return true
	}
	for _, v := range response(r) {
		if v == "Failure" {
			return true
		}
	}
	return false
}
