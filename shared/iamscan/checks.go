package iamscan

import (
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// IAM000 is the template scan's own check: a policy it cannot analyse is
// reported, not a reason to stop, so that one odd policy neither fails a
// pipeline gate on a valid template nor hides the template's other
// resources. The reason is in the evidence ("reason").
var IAM000 = checks.Register(checks.Check{
	ID: "IAM000", Engine: checks.EngineIAM, Severity: findings.Medium,
	Title:       "Policy could not be analysed",
	Description: "A policy in a template or policy file could not be read as an IAM policy: a statement without Action, a principal only known at deploy time, a document string that is not JSON, a document written without Statement. Its permissions were not judged, so the file is only vouched for in part; IAM itself rejects most such policies when the stack is deployed.",
	Remediation: "Read the reason in the finding's evidence and correct the policy at the given line (IAM's grammar: Effect, Action or NotAction, Resource or NotResource, and for trust and resource policies a Principal that is \"*\" or a map of principal types); a value only known at deploy time can be written so the template says it, or the finding suppressed with a reason.",
	References: checks.References{
		Docs: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html", "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-role.html"},
	},
	Inputs: []checks.Input{checks.InputTemplate},
})
