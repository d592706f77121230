// Package iamgraph finds privilege-escalation paths between the
// principals of an account (check IAM009), as PMapper's principal graph
// does, with the steps of pathfinding.cloud's catalogue
// (shared/iampolicy's data/privesc.tsv).
//
// # Nodes
//
// Users, roles and groups, each with every policy in force for it
// (inline, attached managed, a user's groups', the permissions boundary,
// SCP levels). What a node may do is decided by shared/iameval on the
// policies as iameffect.Judge.Possible gives them: an Allow whose
// Condition some request satisfies counts, one no request satisfies does
// not; a Deny counts only without a Condition. Facts about the caller
// (aws:PrincipalArn, aws:PrincipalAccount, aws:username, and for a pass
// iam:PassedToService) are known, so a grant limited to another principal
// or to another service does not count.
//
// A node is administrator-equivalent when it may write the permissions of
// every role and of every user of its account (iam:PutRolePolicy or
// iam:AttachRolePolicy on a role it has never heard of, and
// iam:PutUserPolicy or iam:AttachUserPolicy on such a user): it can give
// any principal, itself included, any permission. "*" on "*", iam:* and
// IAMFullAccess are; PowerUserAccess is not.
//
// # Edges
//
// A → B when A can act with B's permissions:
//   - sts-001: B's trust policy admits A (its ARN; its account's root ARN
//     or ID, which then needs A's own policies to allow sts:AssumeRole on
//     B; "*"; or a NotPrincipal that leaves A out) and iameval allows the
//     request with the trust policy as the resource policy;
//   - iam-012: iam:UpdateAssumeRolePolicy on B (A writes itself into B's
//     trust policy);
//   - new-passrole paths (lambda-001, ec2-001, glue-001, sagemaker-001,
//     codebuild-001, ecs-001, cloudformation-001, datapipeline-001 ...):
//     iam:PassRole on B to a service B's trust policy admits, and every
//     other permission of the path on "*" or on a fresh resource of the
//     service's type;
//   - lambda-003: lambda:UpdateFunctionCode on a function that runs as B
//     (when the functions are known);
//   - iam-002, iam-004, iam-006: iam:CreateAccessKey, CreateLoginProfile or
//     UpdateLoginProfile on user B;
//   - iam-013: iam:AddUserToGroup on group B (A a user).
//
// Writing permissions ends a path: A rewrites itself (iam-005, iam-009,
// iam-007, iam-008, iam-010, iam-011 on A or its groups, iam-001
// CreatePolicyVersion on a customer managed policy attached to A), or
// rewrites a B it can also act as (iam-014 to iam-021: for example
// iam:AttachRolePolicy + sts:AssumeRole on B).
//
// # Findings
//
// Every user and role that is not administrator-equivalent and reaches
// such permissions is reported once, with the shortest path (ties broken
// by ARN): CRITICAL for one hop, HIGH for more. Each hop says from, to,
// how (the path's ID and permissions), the permissions used with the
// resource judged, and the statements that grant them.
//
// Not modelled: paths that need resources the account data does not
// list (existing EC2 instances, CodeBuild projects, stacks: the
// existing-passrole paths other than lambda-003), resource policies
// other than trust policies, and cross-account hops.
package iamgraph
