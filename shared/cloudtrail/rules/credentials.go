package rules

import (
	"strings"

	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// federationAPIs are the IAM calls that add or change a way for someone
// outside IAM to sign in: an identity provider whose assertions the
// account accepts.
var federationAPIs = map[string]string{
	"CreateSAMLProvider":                    "SAML identity provider created",
	"UpdateSAMLProvider":                    "SAML identity provider's metadata replaced",
	"CreateOpenIDConnectProvider":           "OIDC identity provider created",
	"AddClientIDToOpenIDConnectProvider":    "client ID added to an OIDC identity provider",
	"UpdateOpenIDConnectProviderThumbprint": "OIDC identity provider's thumbprints replaced",
}

// rolesAnywhereAPIs are the IAM Roles Anywhere calls that let holders of
// certificates from a new authority obtain role credentials.
var rolesAnywhereAPIs = map[string]string{
	"CreateTrustAnchor": "Roles Anywhere trust anchor created",
	"UpdateTrustAnchor": "Roles Anywhere trust anchor changed",
	"EnableTrustAnchor": "Roles Anywhere trust anchor enabled",
	"CreateProfile":     "Roles Anywhere profile created",
	"UpdateProfile":     "Roles Anywhere profile changed",
}

// CT013 reports credentials that outlive a role session or an access-key
// rotation: a federation token (valid up to 36 hours, and not revoked by
// deleting the user's keys), a Roles Anywhere trust anchor or profile
// (certificates from an outside authority become role credentials), a new
// or changed SAML or OIDC identity provider (assertions from an outside
// identity provider become role sessions). Each is a classic way to stay
// in an account after the first credential is found and revoked.
var CT013 = register(&Rule{
	Check: checks.Check{
		ID:          "CT013",
		Severity:    findings.High,
		Title:       "Long-lived or federated credentials created",
		Description: "A federation token was issued (MEDIUM; HIGH when its session policy allows \"*\"), an IAM Roles Anywhere trust anchor or profile was created or changed, or a SAML or OIDC identity provider was added or changed (HIGH): credentials that survive revoking the session or rotating the keys that made them, the usual way an intruder keeps access.",
		Remediation: "Confirm the identity provider, trust anchor or federation token was intended; otherwise delete it (and for a federation token, deny the issuing user with an inline policy on aws:TokenIssueTime, since deleting the user's keys does not revoke it), and find out how the caller got the rights to create it.",
		References: checks.References{Docs: []string{
			"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html#api_getfederationtoken",
			"https://docs.aws.amazon.com/rolesanywhere/latest/userguide/introduction.html",
			"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers.html",
		}},
		Techniques: []string{"T1098.001", "T1484.002", "T1550.001"},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		if r.Failed() {
			return nil
		}
		switch r.EventSource {
		case "sts.amazonaws.com":
			if r.Action() == "GetFederationToken" {
				return federationToken(r)
			}
		case "iam.amazonaws.com":
			if what, ok := federationAPIs[r.Action()]; ok {
				return identityProvider(c, r, what)
			}
		case "rolesanywhere.amazonaws.com":
			if what, ok := rolesAnywhereAPIs[r.Action()]; ok {
				return rolesAnywhere(c, r, what)
			}
		}
		return nil
	},
})

// federationToken is GetFederationToken: MEDIUM, HIGH when the session
// policy (inline) allows every action. The finding names the IAM user
// whose permissions the token carries.
func federationToken(r *record.Record) []Hit {
	p := params(r)
	name := pstr(p, "name", "Name")
	ev := map[string]any{"api": r.Action(), "federatedUser": name}
	if d := pget(p, "durationSeconds", "DurationSeconds"); d != nil {
		ev["durationSeconds"] = d
	}
	h := Hit{Resource: IAMResourceARN(r), Severity: findings.Medium, Title: "Federation token issued", Evidence: ev}
	if doc := pstr(p, "policy", "Policy"); doc != "" && allowsEverything(doc) {
		h.Severity, h.Title = findings.High, "Federation token issued with a session policy that allows *"
		ev["sessionPolicyAllowsAll"] = true
	}
	if arns := pget(p, "policyArns", "PolicyArns"); arns != nil {
		ev["policyArns"] = arns
	}
	return []Hit{h}
}

// allowsEverything reports an Allow statement for action "*" (or "*:*").
func allowsEverything(doc string) bool {
	for _, a := range wildcardActions(doc) {
		if a == "*" || a == "*:*" {
			return true
		}
	}
	return false
}

// identityProvider is a SAML or OIDC provider created or changed. AWS IAM
// Identity Center manages its own SAML provider (AWSSSO_..._DO_NOT_DELETE)
// through its service role; that is the platform working. One deployed by
// the pipeline is reported one step lower, as CT007 does, not dropped: a
// template can add a backdoor provider as well as a console can.
func identityProvider(c *Config, r *record.Record, what string) []Hit {
	if r.UserIdentity.InvokedBy == "sso.amazonaws.com" {
		return nil
	}
	p := params(r)
	name := pstr(p, "name", "Name")
	if strings.HasPrefix(name, "AWSSSO_") || strings.Contains(r.UserIdentity.IssuerARN, "AWSServiceRoleForSSO") {
		return nil
	}
	res := pstr(response(r), "sAMLProviderArn", "SAMLProviderArn", "openIDConnectProviderArn", "OpenIDConnectProviderArn")
	if res == "" {
		res = pstr(p, "sAMLProviderArn", "SAMLProviderArn", "openIDConnectProviderArn", "OpenIDConnectProviderArn")
	}
	if res == "" {
		kind := "saml-provider/"
		if strings.Contains(r.Action(), "OpenIDConnect") {
			kind = "oidc-provider/" + strings.TrimPrefix(pstr(p, "url", "Url"), "https://")
			name = ""
		}
		res = "arn:" + awsid.PartitionOf(r.AWSRegion) + ":iam::" + r.Account() + ":" + kind + name
	}
	ev := map[string]any{"api": r.Action(), "change": what}
	if u := pstr(p, "url", "Url"); u != "" {
		ev["url"] = u
	}
	return []Hit{pipelineLowered(c, r, Hit{Resource: res, Title: strings.ToUpper(what[:1]) + what[1:], Evidence: ev})}
}

// pipelineLowered lowers a hit one step (from the check's default) when
// the pipeline made the call, and says so in the evidence.
func pipelineLowered(c *Config, r *record.Record, h Hit) Hit {
	if c.ByPipeline(r) {
		sev := h.Severity
		if sev == 0 {
			sev = findings.High // CT013's default
		}
		h.Severity = sev.Lower()
		h.Evidence["byPipeline"] = true
	}
	return h
}

func rolesAnywhere(c *Config, r *record.Record, what string) []Hit {
	resp := response(r)
	res := ""
	for _, k := range []string{"trustAnchor", "profile"} {
		if m := pmap(resp, k); m != nil {
			res = pstr(m, "trustAnchorArn", "profileArn")
		}
	}
	p := params(r)
	if res == "" {
		id := pstr(p, "trustAnchorId", "profileId")
		kind := "trust-anchor/"
		if strings.Contains(r.Action(), "Profile") {
			kind = "profile/"
		}
		if id == "" {
			id = pstr(p, "name")
		}
		res = arnIn(r, "rolesanywhere", kind+id)
	}
	ev := map[string]any{"api": r.Action(), "change": what}
	if n := pstr(p, "name"); n != "" {
		ev["name"] = n
	}
	if roles := pget(p, "roleArns"); roles != nil {
		ev["roleArns"] = roles
	}
	return []Hit{pipelineLowered(c, r, Hit{Resource: res, Title: what, Evidence: ev})}
}
