// Package rules holds selfaudit's CloudTrail checks (CT001 to CT014; see
// docs/architecture.md, "Check registry") as data plus small functions:
// each Rule carries its entry in the check registry (ID, default severity,
// title, description, remediation, references) beside the function that
// matches records, and the labelled records that pin its behaviour live in
// testdata/, one file per family.
//
// The per-record rules here are pure: they see one record and the
// configuration, and return hits. Checks that need memory (the burst window
// of CT005, the baselines of CT009 and CT010) keep their metadata here and
// their state elsewhere (the analyzer's windows and package baseline), so
// that every finding of a check reads the same wherever it was raised.
//
// Families, one file each: lambda.go (CT001, CT008, CT011), change.go
// (CT002), public.go (CT003, with policy.go, which judges the resource
// policies written in events), trail.go and logging.go (CT004), access.go
// (CT005), root.go (CT006), iam.go (CT007), baseline.go (CT009, CT010
// metadata), org.go (CT012), credentials.go (CT013), signin.go (CT014).
//
// Every check lists the MITRE ATT&CK techniques it detects in the registry
// (checks.Check.Techniques), and every finding carries them in its
// evidence under "attack".
//
// The per-record rules run on every record, so each starts with a test on
// the event source and name (a map lookup for the families that span many
// services) and decodes requestParameters only for the calls it judges.
// What a rule cannot judge (a resource policy that does not parse) is a
// note for the report (Hit.Note), not a finding.
package rules
