package rules

import (
	"strings"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// iamWritePrefixes start the names of IAM APIs that change something.
var iamWritePrefixes = []string{"Create", "Delete", "Update", "Put", "Attach", "Detach", "Add", "Remove", "Set", "Tag", "Untag", "Upload", "Enable", "Deactivate", "Reset", "Change"}

// iamSelfService are IAM writes people make for themselves (passwords and
// MFA devices); they are not infrastructure drift.
var iamSelfService = map[string]bool{
	"ChangePassword": true, "CreateVirtualMFADevice": true, "EnableMFADevice": true,
	"DeactivateMFADevice": true, "DeleteVirtualMFADevice": true, "ResyncMFADevice": true,
}

func isIAMChange(r *record.Record) bool {
	if r.EventSource != "iam.amazonaws.com" || r.Failed() {
		return false
	}
	a := r.Action()
	if iamSelfService[a] || a == "UpdateLoginProfile" && ownUser(r, param(r, "userName")) {
		return false
	}
	for _, p := range iamWritePrefixes {
		if strings.HasPrefix(a, p) {
			return true
		}
	}
	return false
}

// CT002 reports Lambda and IAM changes that did not come from the
// pipeline. Console edits of functions are CT001's and are not reported
// twice.
var CT002 = register(&Rule{
	Check: checks.Check{
		ID:          "CT002",
		Severity:    findings.Medium,
		Title:       "Lambda or IAM change made outside CloudFormation",
		Description: "A Lambda or IAM resource was changed by a principal that is not the deployment pipeline (CloudFormation or a configured deploy role): the change is unreviewed, and the template no longer describes what runs.",
		Remediation: "Make the change through the stack's template and pipeline so it is reviewed and reproducible; if the principal is a legitimate deployer, add it to the pipeline principals (PIPELINE_PRINCIPALS).",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html", "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html"}},
		Techniques:  []string{"T1648", "T1098"},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		lambdaChange := isLambdaChange(r)
		if !lambdaChange && !isIAMChange(r) {
			return nil
		}
		if actedByService(r) || c.ByPipeline(r) {
			return nil
		}
		if lambdaChange && fromConsole(r) {
			return nil // CT001
		}
		res := ""
		if lambdaChange {
			res = FunctionARN(r)
		} else {
			res = IAMResourceARN(r)
		}
		return []Hit{{Resource: res, Evidence: map[string]any{"api": r.Action()}}}
	},
})
