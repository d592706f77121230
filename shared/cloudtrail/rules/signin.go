package rules

import (
	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// CT014 reports an IAM user signing in to the console without MFA: a
// password alone guards the account, and a phished or reused password is
// enough. Root sign-ins are CT006's (CRITICAL without MFA); federated
// sign-ins (SAML, Identity Center, assumed roles) carry their identity
// provider's MFA, which CloudTrail does not see, and are not reported.
var CT014 = register(&Rule{
	Check: checks.Check{
		ID:          "CT014",
		Severity:    findings.Medium,
		Title:       "Console sign-in by an IAM user without MFA",
		Description: "An IAM user signed in to the AWS console with a password and no MFA device (MEDIUM; HIGH for a user known to hold administrator policies). A password alone is one phishing e-mail from the account.",
		Remediation: "Require MFA for the user (assign a device and deny everything without aws:MultiFactorAuthPresent), or better, replace IAM users with IAM Identity Center; confirm with the user that the sign-in was theirs.",
		References: checks.References{Docs: []string{
			"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html",
		}, SecurityHub: []string{"IAM.5", "CloudWatch.3"}},
		Techniques: []string{"T1078.004", "T1110"},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		if r.EventSource != "signin.amazonaws.com" || r.Action() != "ConsoleLogin" || r.UserIdentity.Type != "IAMUser" {
			return nil
		}
		if r.Failed() || signInFailed(r) {
			return nil
		}
		add := map[string]any{}
		_ = record.Decode(r.AdditionalEventData, &add)
		if strField(add, "MFAUsed") != "No" || strField(add, "SamlProviderArn") != "" {
			return nil
		}
		user := r.UserIdentity.ARN
		if user == "" {
			user = "arn:" + awsid.PartitionOf(r.AWSRegion) + ":iam::" + r.Account() + ":user/" + r.UserIdentity.UserName
		}
		h := Hit{Resource: user, Evidence: map[string]any{"api": r.Action(), "mfaUsed": "No", "userName": r.UserIdentity.UserName}}
		if c.Admins != nil && c.Admins.IsAdmin(user) {
			h.Severity = findings.High
			h.Title = "Console sign-in by an administrator IAM user without MFA"
			h.Evidence["administrator"] = true
		}
		return []Hit{h}
	},
})
