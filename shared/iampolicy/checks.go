package iampolicy

import "github.com/selfaudit/selfaudit/shared/findings"

// The check catalog. IDs and default severities are a contract (DESIGN §4);
// titles and remediations are what people read in findings and SARIF rules.
var checkCatalog = []CheckInfo{
	{ID: "IAM001", Severity: findings.Critical,
		Title:       "Policy allows every action on every resource",
		Remediation: `Replace Action "*" with the actions the workload calls and Resource "*" with the ARNs it uses; start from the access advisor's last-accessed data.`},
	{ID: "IAM002", Severity: findings.High,
		Title:       "Policy allows every action of a service",
		Remediation: `Replace "service:*" with the specific actions needed; a whole service includes its delete, permissions and configuration actions. On "*" this is HIGH, on scoped resources MEDIUM.`},
	{ID: "IAM003", Severity: findings.High,
		Title:       "Allow statement uses NotAction",
		Remediation: "Allow with NotAction grants every action except those listed, including actions AWS adds later; list the allowed actions in Action instead.",
	},
	{ID: "IAM004", Severity: findings.High,
		Title:       "iam:PassRole allowed on every role",
		Remediation: `Limit iam:PassRole to the ARNs of the roles this principal must hand to a service, and add a Condition on iam:PassedToService.`},
	{ID: "IAM005", Severity: findings.High,
		Title:       "Privilege-escalation actions allowed on every resource",
		Remediation: "These actions let the principal change its own or another principal's permissions, or run code as a more privileged role; scope them to specific ARNs or remove them.",
	},
	{ID: "IAM006", Severity: findings.Medium,
		Title:       "Write actions allowed on every resource although the service supports resource-level permissions",
		Remediation: `Replace Resource "*" with the ARNs of the resources written to; these actions accept resource ARNs, so "*" is never required.`},
	{ID: "IAM007", Severity: findings.Medium,
		Title:       "Allow statement uses NotResource",
		Remediation: "Allow with NotResource grants the actions on every resource except those listed, including resources created later; list the allowed resources in Resource instead.",
	},
	{ID: "IAM008", Severity: findings.Critical,
		Title:       "Role trust policy lets any principal assume the role",
		Remediation: `Name the trusted principals (accounts, roles or services) instead of "*", or at least require aws:PrincipalOrgID or aws:PrincipalAccount in a Condition.`},
	{ID: "LMB001", Severity: findings.Critical,
		Title:       "Lambda resource policy lets any principal invoke or manage the function",
		Remediation: `Name the invoking principal instead of "*", or add a Condition on aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID.`},
	{ID: "LMB002", Severity: findings.Medium,
		Title:       "Lambda resource policy grants another AWS account",
		Remediation: "Confirm the other account must call this function; otherwise remove the permission, or restrict it with aws:PrincipalOrgID.",
	},
	{ID: "LMB003", Severity: findings.Medium,
		Title:       "Lambda permission for an AWS service without SourceArn or SourceAccount",
		Remediation: "Add SourceArn (the bucket, rule or topic) and SourceAccount to the permission so that the service cannot invoke the function on behalf of another account's resource (confused deputy).",
	},
}

// Checks returns the catalog of checks this package implements, in ID
// order, for documentation and SARIF rule lists. The slice is a copy.
func Checks() []CheckInfo {
	return append([]CheckInfo(nil), checkCatalog...)
}

func checkInfo(id string) CheckInfo {
	for _, c := range checkCatalog {
		if c.ID == id {
			return c
		}
	}
	return CheckInfo{ID: id, Severity: findings.Info, Title: id}
}
