// Package iameffect judges a principal's IAM findings by what its policies
// allow together, not statement by statement. Package iampolicy raises
// issues per Allow statement (IAM001 to IAM007); a Judge built from every
// policy in force for one principal (identity policies, permissions
// boundary, SCP levels) keeps the issues that still hold and says why the
// others do not:
//
//   - Deny: a grant every action of which an unconditional Deny covers, on
//     every resource the grant names, is dropped. Coverage is decided on
//     the wildcard patterns themselves (a Deny on "s3:*" covers an Allow of
//     "s3:Put*" on "*"; a Deny on one bucket does not cover "*"), so it
//     never depends on the action catalog's age. A Deny with a Condition
//     does not cancel: a request can avoid it (call with MFA, from another
//     address) and still use the grant; it is named in "partlyDeniedBy"
//     when it overlaps. IAM005 and IAM006 lose the actions a Deny covers.
//   - Boundary and SCPs cap: the boundary, and each SCP level, is judged as
//     an identity policy of its own; the identity issue keeps at most the
//     severity of the broadest issue the cap raises on overlapping actions,
//     and is dropped when the cap raises none (it lets through only what no
//     check reports, such as s3:GetObject). An SCP level made only of Deny
//     statements is taken with FullAWSAccess beside it, as AWS attaches it
//     to every level by default.
//   - Conditions: a grant whose Condition no request can satisfy is dropped
//     (Satisfiable: contradictory StringEquals on one key, a DateLessThan on
//     aws:CurrentTime in the past, IpAddress with an empty list, disjoint
//     numeric ranges). A Condition that only narrows still lowers the
//     severity one step, as iampolicy does.
//
// Kept issues carry "grantedBy" (policy, statement index, Sid) and, where
// they apply, "cancelledBy", "cancelledActions", "partlyDeniedBy",
// "cappedBy" and "uncappedSeverity". Issue keys never change, so a finding
// keeps its ID when its verdict does not.
//
// Possible gives the same policies to iameval in the form that answers
// "can some request of this principal be allowed", which the principal
// graph (shared/iamgraph, IAM009) asks for every escalation step:
// satisfiable conditions on Allow are taken as met, conditional Deny as
// avoidable.
//
// Satisfiable decides per condition key with a finite set of candidate
// values evaluated by iameval's own operators; its doc lists them. Keys
// are taken as independent, and set operators (ForAllValues:,
// ForAnyValue:) and policy variables as satisfiable.
//
// Inputs are parsed documents (iampolicy.Document), never SDK clients.
package iameffect
