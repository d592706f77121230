// Package iameval decides whether AWS would allow a request, given every
// policy in force: identity-based policies, the resource's policy, a
// permissions boundary, a session policy, and service and resource control
// policies by level of the organization. It reuses shared/iampolicy's
// parsed documents; it judges requests, where iampolicy judges statements.
//
// # Order of evaluation
//
// Evaluate follows AWS's policy evaluation logic
// (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// and the pages it links; file names below are on that site):
//
//  1. An explicit Deny that matches in any policy decides
//     (reference_policies_evaluation-logic_policy-eval-denyallow.html),
//     except an SCP's for a service principal (see 2).
//     A resource policy's Deny applies when its Principal names the caller,
//     its session's role or its account; a Deny with NotPrincipal applies
//     to every principal that has a permissions boundary
//     (access_policies_boundaries.html).
//  2. Every level of RCPs must have an Allow that matches. A service
//     principal (sns.amazonaws.com) is then allowed by the resource policy
//     alone: SCPs govern the organization's IAM users and roles
//     (orgs_manage_policies_scps.html), not services. An anonymous caller
//     is allowed only by a resource policy open to Principal "*".
//  3. Every level of SCPs must have an Allow that matches.
//  4. A session policy must allow, except for a grant a resource policy
//     makes to the session's own ARN (access_policies.html, "Session
//     policies").
//  5. Within one account, an Allow in an identity policy (with the
//     permissions boundary, when there is one, also allowing) or in a
//     resource policy that names the caller suffices
//     (reference_policies_evaluation-logic_policy-eval-basics.html); a
//     resource policy that names only the account delegates to the
//     identity policies. An implicit deny in the boundary does not limit a
//     resource policy that names a user or a role session by its ARN, but
//     does limit one that names the role. Across accounts the resource
//     policy and the identity policies must both allow
//     (reference_policies_evaluation-logic-cross-account.html).
//
// # Matching
//
// Action names ignore case and take * and ? in the part after the colon.
// ARNs match field by field: partition, service, region and account ignore
// case, the resource part does not (reference_policies_elements_resource.html),
// and its resource type ("function:", "table/") is literal. Resource
// entries and condition values take policy variables
// (reference_policies_variables.html): ${aws:username},
// ${aws:PrincipalTag/team}, ${key, 'default'}, and ${*}, ${?}, ${$} for the
// literal characters. A variable without a value and without a default
// matches nothing, and a NotResource entry that holds one makes its
// statement not apply.
//
// Condition keys ignore case. Every operator of
// reference_policies_elements_condition_operators.html is implemented:
// String* (StringLike with wildcards, the IgnoreCase forms), Numeric*,
// Date* (ISO 8601 or epoch seconds), Bool, BinaryEquals, IpAddress and
// NotIpAddress (IPv4 and IPv6 CIDR), Arn*, each with ...IfExists, plus
// Null and the ForAllValues: and ForAnyValue: set operators. An absent key
// fails a positive operator and satisfies ...IfExists and the negated
// operators; a multivalued key fails every operator without a set
// operator; ForAllValues holds for an absent key, ForAnyValue does not.
//
// # The reference
//
// Tests compare Evaluate with @cloud-copilot/iam-simulate on thousands of
// generated requests (README.md beside this file lists the features
// covered and the documented differences, each with its own test).
//
// # Not modelled
//
// The account root user's implicit full access, service-specific rules
// (S3 ACLs and Block Public Access, KMS key policies that must trust the
// account, IAM role trust policies), VPC endpoint policies, and the
// principal's own tags or attributes beyond what Request.Context carries.
package iameval
