package iampolicy

import (
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// The IAM engine's checks, registered in the one check registry. IDs and
// default severities are a contract (docs/architecture.md, "Check
// registry"); titles and remediations are what people read in findings and
// SARIF rules. The matching logic is in evaluate.go and privesc.go.

// policyInputs: every policy check runs on templates and policy files and
// on the live account's roles, managed policies and function policies.
var policyInputs = []checks.Input{checks.InputTemplate, checks.InputAccount}

const (
	docGrantLeastPrivilege = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"
	docLambdaResource      = "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html"
)

func init() {
	for _, c := range []checks.Check{
		{ID: "IAM001", Severity: findings.Critical,
			Title:       "Policy allows every action on every resource",
			Description: `An Allow statement grants Action "*" on Resource "*": whoever holds the policy is an administrator of the account, so one leaked credential or one bug in the workload is a full compromise.`,
			Remediation: `Replace Action "*" with the actions the workload calls and Resource "*" with the ARNs it uses; start from the access advisor's last-accessed data.`,
			References: checks.References{
				Docs:        []string{docGrantLeastPrivilege, "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html"},
				SecurityHub: []string{"IAM.1"},
			}},
		{ID: "IAM002", Severity: findings.High,
			Title:       "Policy allows every action of a service",
			Description: `An Allow statement grants "service:*", every action of a service, including its delete, permissions and configuration actions and any the service adds later.`,
			Remediation: `Replace "service:*" with the specific actions needed; a whole service includes its delete, permissions and configuration actions. On "*" this is HIGH, on scoped resources MEDIUM.`,
			References: checks.References{
				Docs:        []string{docGrantLeastPrivilege, "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"},
				SecurityHub: []string{"IAM.21"},
			}},
		{ID: "IAM003", Severity: findings.High,
			Title:       "Allow statement uses NotAction",
			Description: "An Allow statement with NotAction grants every action except the listed ones, so the grant silently widens whenever AWS adds an action or a service.",
			Remediation: "Allow with NotAction grants every action except those listed, including actions AWS adds later; list the allowed actions in Action instead.",
			References: checks.References{
				Docs: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"},
			}},
		{ID: "IAM004", Severity: findings.High,
			Title:       "iam:PassRole allowed on every role",
			Description: "iam:PassRole on every role lets the principal hand any role, including an administrator role, to a service such as Lambda or EC2 and act with that role's permissions.",
			Remediation: `Limit iam:PassRole to the ARNs of the roles this principal must hand to a service, and add a Condition on iam:PassedToService.`,
			References: checks.References{
				Docs: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"},
			}},
		{ID: "IAM005", Severity: findings.High,
			Title:       "Privilege-escalation actions allowed on every resource",
			Description: "The policy allows, on every resource, actions that change permissions or run code as another role (iam:CreatePolicyVersion, iam:AttachRolePolicy, lambda:UpdateFunctionCode and similar), so the principal can grant itself more than the policy says.",
			Remediation: "These actions let the principal change its own or another principal's permissions, or run code as a more privileged role; scope them to specific ARNs or remove them.",
			References: checks.References{
				Docs: []string{docGrantLeastPrivilege, "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"},
			}},
		{ID: "IAM006", Severity: findings.Medium,
			Title:       "Write actions allowed on every resource although the service supports resource-level permissions",
			Description: `Write actions are granted on Resource "*" although they accept resource ARNs, so the workload can change every resource of that type in the account instead of its own.`,
			Remediation: `Replace Resource "*" with the ARNs of the resources written to; these actions accept resource ARNs, so "*" is never required.`,
			References: checks.References{
				Docs: []string{"https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html", docGrantLeastPrivilege},
			}},
		{ID: "IAM007", Severity: findings.Medium,
			Title:       "Allow statement uses NotResource",
			Description: "An Allow statement with NotResource grants its actions on every resource except the listed ones, including resources created later.",
			Remediation: "Allow with NotResource grants the actions on every resource except those listed, including resources created later; list the allowed resources in Resource instead.",
			References: checks.References{
				Docs: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"},
			}},
		{ID: "IAM008", Severity: findings.Critical,
			Title:       "Role trust policy lets any principal assume the role",
			Description: `A role's trust policy allows Principal "*" (or uses NotPrincipal) without a condition that binds the caller's identity, so any AWS account can assume the role and use its permissions.`,
			Remediation: `Name the trusted principals (accounts, roles or services) instead of "*", or at least require aws:PrincipalOrgID or aws:PrincipalAccount in a Condition.`,
			References: checks.References{
				Docs: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html", "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html"},
			}},
		{ID: "IAM009", Severity: findings.Critical,
			Title: "Principal can escalate to administrator-equivalent permissions",
			Description: "A user or role that is not an administrator can become one: it may assume a role that is " +
				"(or that reaches one), pass such a role to a service that runs its code (iam:PassRole with " +
				"lambda:CreateFunction, ec2:RunInstances, glue, sagemaker, codebuild, ecs, cloudformation...), take " +
				"over another user (iam:CreateAccessKey, iam:CreateLoginProfile), or write its own or another " +
				"principal's policies (iam:PutRolePolicy, iam:AttachUserPolicy, iam:CreatePolicyVersion, " +
				"iam:AddUserToGroup). The evidence is the shortest path, each hop with the permissions it uses and " +
				"the statements that grant them. CRITICAL for one step, HIGH for several. The principal graph is " +
				"shared/iamgraph's.",
			Remediation: "Break the path at its first hop: scope iam:PassRole and sts:AssumeRole to the roles the " +
				"principal must use (and the trust policy of the administrator role to the principals that must " +
				"assume it), remove the IAM write actions on other principals, or deny them with a permissions " +
				"boundary or an SCP. Rerun the scan to confirm no other path remains.",
			References: checks.References{Docs: []string{
				"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
				"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
				"https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
			}},
			Techniques: []string{"T1098.003", "T1078.004"}},
		{ID: "LMB001", Severity: findings.Critical,
			Title:       "Lambda resource policy lets any principal invoke or manage the function",
			Description: `A function's resource policy allows Principal "*" without aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID, so anyone with AWS credentials can invoke or manage the function.`,
			Remediation: `Name the invoking principal instead of "*", or add a Condition on aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID.`,
			References: checks.References{
				Docs:        []string{docLambdaResource},
				SecurityHub: []string{"Lambda.1"},
			}},
		{ID: "LMB002", Severity: findings.Medium,
			Title:       "Lambda resource policy grants another AWS account",
			Description: "A function's resource policy names an AWS account other than the function's own; that account's principals can call the function, which is worth confirming.",
			Remediation: "Confirm the other account must call this function; otherwise remove the permission, or restrict it with aws:PrincipalOrgID.",
			References: checks.References{
				Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html", docLambdaResource},
			}},
		{ID: "LMB003", Severity: findings.Medium,
			Title:       "Lambda permission for an AWS service without SourceArn or SourceAccount",
			Description: "A function's resource policy lets an AWS service principal (S3, SNS, EventBridge...) invoke it without aws:SourceArn or aws:SourceAccount, so the service can be made to invoke it for another account's resource (the confused deputy problem).",
			Remediation: "Add SourceArn (the bucket, rule or topic) and SourceAccount to the permission so that the service cannot invoke the function on behalf of another account's resource (confused deputy).",
			References: checks.References{
				Docs: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html", docLambdaResource},
			}},
	} {
		c.Engine = checks.EngineIAM
		c.Inputs = policyInputs
		registered[c.ID] = checks.Register(c)
	}
}

// registered keeps the registered checks by ID for newIssue, which runs once
// per issue and should not pay for the registry's lock and copies.
var registered = map[string]checks.Check{}

// Checks returns the IAM engine's checks, in ID order, from the registry.
func Checks() []checks.Check { return checks.ByEngine(checks.EngineIAM) }

// checkInfo returns a registered check; an unknown ID (a programming
// error) still yields a usable INFO check named after itself.
func checkInfo(id string) checks.Check {
	if c, ok := registered[id]; ok {
		return c
	}
	return checks.Check{ID: id, Severity: findings.Info, Title: id}
}
