// Package checks is the one registry of every check selfaudit runs: the IAM
// policy checks (IAM001 to IAM009, LMB001 to LMB003), the CloudTrail checks
// (CT001 to CT014), the fleet checklist (LMB101 onward) and the pre-traffic
// hook's checks (HOOK000 onward). See docs/architecture.md, "Check registry".
//
// Each engine registers its checks at package initialisation, beside the
// code that matches them, with Register. A check carries what people read
// (title, description, remediation), what it is worth (a default severity),
// where to learn more (an AWS documentation page and, where one really
// matches, an AWS Security Hub control), what it runs on (a template, the
// live account, CloudTrail events, the Lambda fleet or a deployment) and,
// for the checks that detect an attacker's moves, the MITRE ATT&CK
// technique IDs they map to (every CloudTrail check lists its own).
// Findings take their severity, title and remediation from here, so the
// wording lives in one place, and the command line's `selfaudit checks`,
// docs/checks.md and the SARIF rule list are all built from All.
//
// IDs and default severities are a contract: an ID is never reused or
// renumbered. A duplicate or malformed registration is a programming error,
// so Register panics during initialisation and the first test run of any
// package that links the engine fails.
//
// The dependency points one way: the engines import this package, and this
// package imports only package findings (for the severity type).
package checks
