// Package asff turns selfaudit findings into the AWS Security Finding
// Format (ASFF), the JSON that AWS Security Hub imports, so that findings
// reach the console where AWS teams already triage. Convert maps one
// findings.Tracked; Write writes a JSON array of them (the command line's
// `--format asff`); the securityhub-exporter function sends the same
// findings to BatchImportFindings (package shared/securityhub).
//
// # What Security Hub requires
//
// The required top-level attributes are AwsAccountId, CreatedAt,
// Description, GeneratorId, Id, ProductArn, Resources, SchemaVersion,
// Severity, Title, Types and UpdatedAt
// (https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html).
// The limits this package keeps to, from the AwsSecurityFinding API
// reference (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_AwsSecurityFinding.html)
// and the partner guide's mapping guidelines
// (https://docs.aws.amazon.com/securityhub/latest/partnerguide/guidelines-asff-mapping.html):
//
//   - SchemaVersion is always "2018-10-08";
//   - Id and GeneratorId are 1 to 512 characters; AwsAccountId is 12 digits;
//     ProductArn is 12 to 2,048 characters;
//   - Title is at most 256 characters and Description at most 1,024, both
//     with at least one character that is not a space; Remediation's
//     Recommendation.Text at most 512;
//   - Types holds at most 50 entries, each namespace[/category[/classifier]]
//     with one of the five namespaces "Software and Configuration Checks",
//     "TTPs", "Effects", "Unusual Behaviors" and "Sensitive Data
//     Identifications" (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format-type-taxonomy.html);
//   - Resources holds 1 to 32 resources, each with a Type (at most 256
//     characters; "Other" when no ASFF type fits) and an Id; Region is at
//     most 16 characters;
//   - ProductFields holds at most 50 pairs, keys up to 128 characters and
//     values up to 2,048;
//   - timestamps are RFC 3339 with at most 9 fractional digits.
//
// Longer strings are cut at a rune boundary and end in "…", so no finding
// is refused for its length. BatchImportFindings itself takes at most 100
// findings a call, at most 240 KB a finding and 6 MB a call, at 10 calls a
// second per account and Region with bursts of 30
// (https://docs.aws.amazon.com/securityhub/latest/partnerguide/guidelines-batchimportfindings.html);
// those limits belong to the exporter, which batches.
//
// # How a finding maps
//
//   - Id is the finding's stable id, so a finding imported again updates the
//     one Security Hub already holds; GeneratorId is the check ID.
//   - ProductArn is the account's default product,
//     arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default. The
//     account and Region come from Options, else from the finding's
//     resource ARN; a finding that names neither is an error that says which
//     value is missing. The partition comes from Options, else the ARN,
//     else the Region ("cn-" Regions are aws-cn, "us-gov-" ones aws-us-gov).
//   - Severity.Label is the severity (INFO becomes INFORMATIONAL) and
//     Severity.Original our name for it. Severity and Types are also sent as
//     FindingProviderFields, the only way a provider may change them after
//     the first import (a severity change on the bus).
//   - CreatedAt and FirstObservedAt are when the finding was first seen
//     (the finding store's firstSeen, else observedAt), LastObservedAt the
//     latest sighting, UpdatedAt Options.Now or, when that is zero, the
//     latest of lastSeen, observedAt and statusChangedAt. Security Hub
//     ignores an update that is not newer than the finding it holds: a
//     resolution decided after the last sighting is newer than it, and an
//     older change delivered late is ignored.
//   - Description is the check's description from the registry, then the
//     resource and the evidence as compact JSON; Remediation's text is the
//     finding's remediation and its Url the check's first documentation page.
//   - Resources has one resource whose Type follows from the ARN (AwsIamRole,
//     AwsIamPolicy, AwsIamUser, AwsIamGroup, AwsAccount for the root user,
//     AwsLambdaFunction, AwsLambdaLayerVersion, AwsCloudTrailTrail,
//     AwsSqsQueue, AwsSnsTopic, AwsS3Bucket, AwsS3Object, AwsDynamoDbTable,
//     AwsEventsEventbus, AwsKmsKey, AwsCloudFormationStack,
//     AwsSecretsManagerSecret) or is Other, as for a template path.
//   - Workflow.Status, RecordState and Compliance.Status follow the status:
//     NEW and REOPENED are NEW; OPEN and BASELINE (known and already
//     reported) are NOTIFIED; SUPPRESSED is SUPPRESSED; RESOLVED is RESOLVED
//     with RecordState ARCHIVED and Compliance PASSED. Every other finding is
//     ACTIVE and FAILED, except an INFO verdict without a remediation (the
//     pre-traffic hook's HOOK000), which PASSED. Security Hub keeps the
//     workflow status its users set once a finding exists.
//   - Compliance.SecurityControlId is the Security Hub control the registry
//     names for the check, and RelatedRequirements every one it names.
//   - ProductFields carry what ASFF has no place for, under "selfaudit/":
//     the check, source, status, previous status and severity, the
//     resource as written, and a suppression's reason, end date and source.
//
// Types follow the engine that ran the check (see findingTypes): IAM policy,
// fleet and hook checks are "Software and Configuration Checks/AWS Security
// Best Practices" (with "Effects/Data Exposure" for what opens a function
// to the world, "Sensitive Data Identifications/Passwords" for secrets in
// the environment and "Effects/Resource Consumption" for cost); CloudTrail
// checks are the TTPs category of the MITRE ATT&CK tactic they watch for,
// or "Unusual Behaviors/User" for the baseline anomalies.
//
// The check registry (shared/checks) knows a check only where its engine
// is linked; the exporter links none, so the registry's descriptions,
// documentation links and controls are also kept in catalog_gen.go, which
// TestCatalogIsCurrent holds to the registry (`make docs` rewrites it).
package asff
