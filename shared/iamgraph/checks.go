package iamgraph

import (
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// CheckID is the escalation-path check. CRITICAL when one step reaches
// administrator-equivalent permissions, HIGH when it takes more.
const CheckID = "IAM009"

// Check is IAM009 as registered.
var Check = checks.Register(checks.Check{
	ID:       CheckID,
	Engine:   checks.EngineIAM,
	Severity: findings.Critical,
	Title:    "Principal can escalate to administrator-equivalent permissions",
	Description: "A user or role that is not an administrator can become one: it may assume a role that is " +
		"(or that reaches one), pass such a role to a service that runs its code (iam:PassRole with " +
		"lambda:CreateFunction, ec2:RunInstances, glue, sagemaker, codebuild, ecs, cloudformation...), take " +
		"over another user (iam:CreateAccessKey, iam:CreateLoginProfile), or write its own or another " +
		"principal's policies (iam:PutRolePolicy, iam:AttachUserPolicy, iam:CreatePolicyVersion, " +
		"iam:AddUserToGroup). The evidence is the shortest path, each hop with the permissions it uses and " +
		"the statements that grant them. CRITICAL for one step, HIGH for several.",
	Remediation: "Break the path at its first hop: scope iam:PassRole and sts:AssumeRole to the roles the " +
		"principal must use (and the trust policy of the administrator role to the principals that must " +
		"assume it), remove the IAM write actions on other principals, or deny them with a permissions " +
		"boundary or an SCP. Rerun the scan to confirm no other path remains.",
	References: checks.References{Docs: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
	}},
	Inputs:     []checks.Input{checks.InputTemplate, checks.InputAccount},
	Techniques: []string{"T1098.003", "T1078.004"},
})
