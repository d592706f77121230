// Package suppress holds accepted risks: suppressions with a reason and an
// optional end date, read from a selfaudit.yaml file (the command line's
// --config, or the SSM parameter a function names in
// SUPPRESSIONS_PARAMETER) and from the Metadata of template resources, and
// the matcher that tells which of them applies to a finding.
//
// A suppressed finding is not hidden: it is still reported, with status
// SUPPRESSED and the suppression that matched (reason, end date, where it
// is written), so a reader sees what was accepted and by what argument. It
// never fails a run and is never announced on the findings bus. A
// suppression stops applying on its end date; the finding then counts
// again and the matcher notes which suppression expired, so that the
// exception is renewed or the problem fixed rather than forgotten.
//
// # The file
//
//	suppressions:
//	  - check: IAM006                               # an ID or a glob such as "IAM00*"
//	    resource: "arn:aws:iam::*:role/legacy-*"   # glob on the finding's resource; default "*"
//	    account: "123456789012"                     # optional
//	    reason: "SEC-42: vendor integration, until the Q2 migration"
//	    expires: 2027-03-31                         # optional; from that day on it no longer applies
//
// Parse is strict, since a suppression that silently does nothing is worse
// than none: a missing or empty reason, a check ID the registry does not
// know (a glob must match at least one registered check), a date that is
// not YYYY-MM-DD and an unknown key are errors naming the file and line.
// In a glob "*" matches any run of characters, "/" and ":" included, and
// "?" one character.
//
// # Template metadata
//
// A template resource may carry its own suppressions, which apply to the
// findings about that resource in that file:
//
//	Metadata:
//	  selfaudit:
//	    suppress:
//	      - check: IAM006
//	        reason: "..."
//	  cfn_nag:
//	    rules_to_suppress:
//	      - id: W11
//	        reason: "..."
//	  checkov:
//	    skip:
//	      - id: CKV_AWS_111
//	        comment: "..."
//
// cfn_nag and checkov entries count for the rules that mean the same as
// selfaudit checks (CfnNagRules, CheckovRules), so a team that migrates
// keeps the exceptions it already reviewed; entries for other rules are
// theirs and ignored. FromTemplate reads a parsed template through the
// narrow Template interface (*cfntemplate.File implements it), so that the
// functions, which never read a template, do not link the parser.
//
// # Matching
//
// Matcher answers, for a finding and a day, the suppression that applies
// (the first live rule that matches its check, resource and account; the
// account comes from the resource ARN or the evidence), or the expired one
// that would have. It remembers which rules matched, so a run can note the
// suppressions that expired and those that matched nothing; a rule mapped
// from cfn_nag or checkov is never called unused, since that tool may be
// what needs it.
//
// # Functions
//
// Loader reads the file from Parameter Store through a narrow interface
// (GetParameter), at the first use and again at most every five minutes,
// so that a changed parameter takes effect without a deployment and a
// scan does not pay a call per finding.
package suppress
