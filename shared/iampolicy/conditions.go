package iampolicy

import "strings"

// restrictiveKeys are the global and service condition keys that narrow a
// grant to particular callers, sources, networks, regions or resources. A
// Condition that tests one of them with a positive operator and a value
// other than "*" lowers a finding by one severity step. Lower-case.
var restrictiveKeys = map[string]bool{
	"aws:sourcearn": true, "aws:sourceaccount": true, "aws:sourceowner": true,
	"aws:sourceorgid": true, "aws:sourceorgpaths": true,
	"aws:principalorgid": true, "aws:principalorgpaths": true,
	"aws:principalarn": true, "aws:principalaccount": true, "aws:principalservicename": true,
	"aws:resourceaccount": true, "aws:resourceorgid": true, "aws:resourceorgpaths": true,
	"aws:requestedregion": true,
	"aws:sourcevpc":       true, "aws:sourcevpce": true, "aws:sourceip": true, "aws:vpcsourceip": true,
	"aws:calledvia": true, "aws:calledviafirst": true, "aws:calledvialast": true,
	"aws:userid": true, "aws:username": true,
	"iam:passedtoservice": true, "iam:associatedresourcearn": true, "iam:awsservicename": true,
	"iam:permissionsboundary": true, "iam:policyarn": true,
	"sts:externalid":     true,
	"lambda:functionarn": true,
	"kms:viaservice":     true, "kms:calleraccount": true,
	"s3:resourceaccount": true,
}

// restrictiveKeyPrefixes cover tag keys: aws:ResourceTag/Team and the
// service forms such as iam:ResourceTag/Team limit the grant to tagged
// resources; aws:PrincipalTag/x to tagged callers.
var restrictiveKeyPrefixes = []string{"aws:resourcetag/", "aws:principaltag/"}

func isRestrictiveKey(k string) bool {
	if restrictiveKeys[k] {
		return true
	}
	for _, p := range restrictiveKeyPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return strings.Contains(k, ":resourcetag/")
}

// Keys that bind a trust or resource policy to known identities.
var (
	// trustBoundKeys: with one of these, a trust policy's "*" principal is
	// limited to an organization, an account or named principals, so
	// IAM008 is not reported at all.
	trustBoundKeys = map[string]bool{
		"aws:principalorgid": true, "aws:principalorgpaths": true,
		"aws:principalaccount": true, "aws:principalarn": true, "aws:userid": true,
	}
	// lambdaBoundKeys: LMB001 is defined with aws:SourceArn,
	// aws:SourceAccount and aws:PrincipalOrgID (docs/architecture.md,
	// "Check registry"); aws:SourceOwner (the older form of
	// SourceAccount that S3 and SES still send), aws:PrincipalOrgPaths,
	// aws:PrincipalAccount and aws:PrincipalArn bind as tightly.
	lambdaBoundKeys = map[string]bool{
		"aws:sourcearn": true, "aws:sourceaccount": true, "aws:sourceowner": true,
		"aws:principalorgid": true, "aws:principalorgpaths": true,
		"aws:principalaccount": true, "aws:principalarn": true,
	}
	// deputyKeys: what AWS::Lambda::Permission's SourceArn and SourceAccount
	// become in the function policy.
	deputyKeys = map[string]bool{
		"aws:sourcearn": true, "aws:sourceaccount": true, "aws:sourceowner": true,
	}
)

// conditionTests reports the lower-case condition keys that a Condition
// tests in a way that actually narrows the grant: a positive operator
// (StringEquals, StringLike, ArnLike, IpAddress, ForAnyValue:...), not an
// ...IfExists form (which passes when the key is absent, as it is for most
// direct calls), not a negation (StringNotEquals excludes some values but
// allows all others), not ForAllValues (true for an empty set), not Null or
// Bool (presence or a flag, not a value), and with at least one value other
// than a bare "*".
func conditionTests(cond map[string]map[string][]string) map[string]bool {
	out := map[string]bool{}
	for op, keys := range cond {
		lop := strings.ToLower(op)
		if strings.HasSuffix(lop, "ifexists") || strings.HasPrefix(lop, "forallvalues:") {
			continue
		}
		lop = strings.TrimPrefix(lop, "foranyvalue:")
		if strings.Contains(lop, "not") || lop == "null" || lop == "bool" {
			continue
		}
		for k, vals := range keys {
			for _, v := range vals {
				if v != "" && v != "*" {
					out[strings.ToLower(k)] = true
					break
				}
			}
		}
	}
	return out
}

// restrictive reports whether a Condition narrows the grant enough to lower
// a finding one step, and the keys that did it.
func restrictive(cond map[string]map[string][]string) (bool, []string) {
	var keys []string
	for k := range conditionTests(cond) {
		if isRestrictiveKey(k) {
			keys = append(keys, k)
		}
	}
	sortStrings(keys)
	return len(keys) > 0, keys
}

func testsAny(cond map[string]map[string][]string, set map[string]bool) bool {
	for k := range conditionTests(cond) {
		if set[k] {
			return true
		}
	}
	return false
}
