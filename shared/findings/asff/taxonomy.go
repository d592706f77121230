package asff

import "strings"

// The finding types used, from the ASFF types taxonomy: namespace, then
// category, then (only in the first namespace) classifier.
const (
	typeBestPractice = "Software and Configuration Checks/AWS Security Best Practices"
	typeDataExposure = "Effects/Data Exposure"
	typeConsumption  = "Effects/Resource Consumption"
	typePasswords    = "Sensitive Data Identifications/Passwords"
	typeUnusualUser  = "Unusual Behaviors/User"
	typeTTPs         = "TTPs"
)

// checkTypes are the checks whose types differ from their engine's
// default. The CloudTrail checks name the ATT&CK tactic they watch for.
var checkTypes = map[string][]string{
	"LMB001":  {typeBestPractice, typeDataExposure},           // any principal may invoke
	"CT001":   {"TTPs/Persistence"},                           // function code changed from the console
	"CT002":   {"TTPs/Persistence"},                           // change outside CloudFormation
	"CT003":   {"TTPs/Persistence", typeDataExposure},         // resource made public
	"CT004":   {"TTPs/Defense Evasion"},                       // audit logging weakened
	"CT005":   {"TTPs/Discovery"},                             // AccessDenied burst
	"CT006":   {"TTPs/Privilege Escalation", typeUnusualUser}, // root activity
	"CT007":   {"TTPs/Privilege Escalation"},                  // IAM privilege change
	"CT008":   {"TTPs/Defense Evasion"},                       // dead-letter queue removed
	"CT009":   {"TTPs/Initial Access", typeUnusualUser},       // source never seen
	"CT010":   {typeUnusualUser},                              // rate anomaly
	"CT011":   {"TTPs/Persistence", typeDataExposure},         // foreign layer or public URL
	"CT012":   {"TTPs/Defense Evasion"},                       // left the organisation, SCPs removed
	"CT013":   {"TTPs/Persistence"},                           // long-lived or federated credentials
	"CT014":   {"TTPs/Initial Access", typeUnusualUser},       // console sign-in without MFA
	"LMB113":  {typeBestPractice, typePasswords},              // secret in the environment
	"LMB114":  {typeBestPractice, typeConsumption},            // over-provisioned memory
	"LMB120":  {typeBestPractice, typeConsumption},            // log ingestion cost
	"HOOK005": {typeBestPractice, typePasswords},              // secret in the environment
}

// findingTypes returns the ASFF types of a check: its own when listed,
// else its engine's default. A CloudTrail check not listed (added after
// this table) is plain "TTPs", a valid partial path.
func findingTypes(check, engine string) []string {
	if t, ok := checkTypes[check]; ok {
		return append([]string(nil), t...)
	}
	if engine == "cloudtrail" {
		return []string{typeTTPs}
	}
	return []string{typeBestPractice}
}

// engineOf names the engine of a check: the registry's (or the catalog's)
// answer, else what the ID's family says (docs/architecture.md, "Check
// registry"), so a check of an engine that was not linked still maps.
func engineOf(check string, info checkInfo, known bool) string {
	if known && info.Engine != "" {
		return info.Engine
	}
	switch {
	case strings.HasPrefix(check, "CT"):
		return "cloudtrail"
	case strings.HasPrefix(check, "HOOK"):
		return "hook"
	case strings.HasPrefix(check, "LMB1"):
		return "fleet"
	case strings.HasPrefix(check, "ORG"):
		return "org"
	}
	return "iam"
}
