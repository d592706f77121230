// Package iamscan finds over-broad IAM permissions in CloudFormation and SAM
// templates, in plain policy files, and in a live account, and reports them
// as findings of the one schema (shared/findings).
//
// The judging itself is shared/iampolicy's: this package decides which
// policies to look at, in which role (identity policy, trust policy, Lambda
// resource policy), and where a finding points. In the account scan a
// role's findings are then judged by its policies together
// (shared/iameffect: Deny, boundary and SCPs, unsatisfiable conditions),
// and the account's roles, users and groups form the principal graph whose
// escalation paths are IAM009 (shared/iamgraph). For templates that is
// file#/Resources/<LogicalId>/Properties/... with the statement's line; for
// the account it is the role or function ARN.
//
// In templates a policy that cannot be analysed (a statement IAM would
// reject, a value only known at deploy time) is reported as IAM000 and the
// rest of the file is judged: only files that are not templates or
// policies, or not YAML or JSON, are input errors. Findings raised under
// some Fn::If branches say which in evidence "when". LMB002 judges a
// literal account principal against FileScanner.Account, the stack's
// account, or reports it with the owner unknown.
//
// The live scan reads the account with one paginated
// GetAccountAuthorizationDetails pass, so its API calls grow with pages of
// IAM's answer, not with the number of roles; Lambda resource policies need
// one GetPolicy per function, which is the only way IAM and Lambda offer.
// The AWS clients are consumer-side interfaces with the SDK's exact method
// signatures: the SDK clients satisfy them, tests pass real clients pointed
// at httptest servers speaking the real wire formats.
//
// ParseEvent reads what an invocation of the Lambda function asks for: the
// scheduled account scan, the targeted scan a CT003/CT007 finding asks for,
// or a direct request for one role or function.
package iamscan
