package rules

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// adminPolicies are AWS managed policies that grant administrator or
// IAM-administrator power; attaching them is a privilege escalation.
var adminPolicies = map[string]bool{
	"AdministratorAccess": true, "IAMFullAccess": true, "PowerUserAccess": true,
	"AWSLambda_FullAccess": false, "AdministratorAccess-Amplify": true,
}

// privilegeChanges maps IAM APIs that change who can do what to their base
// severity. Removals are LOW: they rarely escalate, but the IAM scanner
// still wants to rescan the role.
var privilegeChanges = map[string]findings.Severity{
	"CreateAccessKey": findings.Medium, "UpdateAccessKey": findings.Medium,
	"CreateUser": findings.Medium, "CreateLoginProfile": findings.Medium, "UpdateLoginProfile": findings.Medium,
	"AddUserToGroup":   findings.Medium,
	"AttachUserPolicy": findings.Medium, "AttachRolePolicy": findings.Medium, "AttachGroupPolicy": findings.Medium,
	"PutUserPolicy": findings.Medium, "PutRolePolicy": findings.Medium, "PutGroupPolicy": findings.Medium,
	"CreatePolicyVersion": findings.Medium, "SetDefaultPolicyVersion": findings.Medium,
	"UpdateAssumeRolePolicy": findings.Medium, "CreateRole": findings.Low,
	"AddRoleToInstanceProfile":      findings.Medium,
	"DeleteRolePermissionsBoundary": findings.High, "DeleteUserPermissionsBoundary": findings.High,
	"PutRolePermissionsBoundary": findings.Low, "PutUserPermissionsBoundary": findings.Low,
	"DetachUserPolicy": findings.Low, "DetachRolePolicy": findings.Low, "DetachGroupPolicy": findings.Low,
	"DeleteUserPolicy": findings.Low, "DeleteRolePolicy": findings.Low, "DeleteGroupPolicy": findings.Low,
	"DeletePolicyVersion": findings.Low, "RemoveUserFromGroup": findings.Low,
}

// CT007 reports IAM privilege changes. Its findings carry the changed
// role, user, group or policy ARN in resource: the IAM scanner is
// triggered by them to rescan just that principal, so a new wildcard is
// reported minutes after it appears. Changes by the pipeline are reported
// one step lower, not dropped, for that same rescan.
var CT007 = register(&Rule{
	Check: checks.Check{
		ID:          "CT007",
		Severity:    findings.Medium,
		Title:       "IAM privilege change",
		Description: "An IAM call changed who can do what: a policy attached or put, a trust policy opened (CRITICAL to any principal, HIGH to an account outside the organisation and not in TRUSTED_ACCOUNTS), an access key or a console password created for another user (HIGH), a permissions boundary removed. An IAM user changing its own password is not a privilege change. Findings name the changed principal, so the IAM scanner rescans it within minutes.",
		Remediation: "Confirm the change was intended and reviewed; make IAM changes through the template, remove administrator policies, open trust policies and access keys nobody asked for, and keep permissions boundaries in place.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html", "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html"}, SecurityHub: []string{"CloudWatch.4"}},
		Techniques:  []string{"T1098", "T1098.001", "T1098.003", "T1136.003"},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		if r.EventSource != "iam.amazonaws.com" || r.Failed() {
			return nil
		}
		a := r.Action()
		sev, ok := privilegeChanges[a]
		if !ok {
			return nil
		}
		if a == "UpdateLoginProfile" && ownUser(r, param(r, "userName")) {
			return nil // a user changing their own password
		}
		ev := map[string]any{"api": a}
		title := ""
		switch a {
		case "AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy":
			pa := param(r, "policyArn")
			ev["policyArn"] = pa
			if i := strings.LastIndex(pa, "/"); i >= 0 && adminPolicies[pa[i+1:]] {
				sev, title = findings.High, "Administrator policy attached"
			}
		case "PutUserPolicy", "PutRolePolicy", "PutGroupPolicy", "CreatePolicyVersion":
			doc := param(r, "policyDocument")
			if w := wildcardActions(doc); len(w) > 0 {
				sev, title = findings.High, "Policy with wildcard actions put"
				ev["wildcardActions"] = w
			}
		case "UpdateAssumeRolePolicy", "CreateRole":
			doc := param(r, "policyDocument")
			if a == "CreateRole" {
				doc = param(r, "assumeRolePolicyDocument")
			}
			if open, conditioned := openTrust(doc); open {
				sev, title = findings.Critical, "Role trust policy open to any principal"
				if conditioned {
					sev = findings.High
					title += " (with a condition)"
				}
				ev["trustPolicy"] = doc
			} else if foreign := untrustedAccounts(c, r, doc); len(foreign) > 0 {
				sev, title = findings.High, "Role trust policy opened to an account outside the organisation"
				ev["trustPolicy"] = doc
				ev["untrustedAccounts"] = foreign
			}
		case "CreateAccessKey":
			if target := param(r, "userName"); !ownUser(r, target) {
				sev, title = findings.High, "Access key created for another user"
				ev["forUser"] = target
			}
		case "CreateLoginProfile", "UpdateLoginProfile":
			if target := param(r, "userName"); !ownUser(r, target) {
				sev, title = findings.High, "Console password set for another user"
				ev["forUser"] = target
			}
		case "UpdateAccessKey":
			if param(r, "status") != "Active" {
				return nil
			}
		}
		if c.ByPipeline(r) {
			sev = sev.Lower()
			ev["byPipeline"] = true
		}
		return []Hit{{Resource: IAMResourceARN(r), Severity: sev, Title: title, Evidence: ev}}
	},
})

// ownUser reports whether an IAM call on user target acts on the caller:
// no target (the API then acts on the caller), or an IAM user caller of
// that name. A role session is never the user, even one whose session
// name is the user's name: the caller of AssumeRole chooses that name, and
// an Identity Center user "alice" is not the IAM user alice either.
func ownUser(r *record.Record, target string) bool {
	if target == "" {
		return true
	}
	u := &r.UserIdentity
	if u.Type != "IAMUser" {
		return false
	}
	return target == u.UserName || strings.HasSuffix(u.ARN, "/"+target)
}

// untrustedAccounts lists the accounts an Allow statement of a trust
// policy names as principals (an account ID or an IAM/STS ARN in it) that
// are neither the record's own account nor in Config.TrustedAccounts, and
// that no aws:PrincipalOrgID or aws:PrincipalOrgPaths condition keeps
// inside the organisation. A policy that does not parse names none here
// (openTrust and the IAM scanner judge it).
func untrustedAccounts(c *Config, r *record.Record, doc string) []string {
	if doc == "" {
		return nil
	}
	if !strings.HasPrefix(strings.TrimSpace(doc), "{") {
		if d, err := url.QueryUnescape(doc); err == nil {
			doc = d
		}
	}
	p, err := iampolicy.Parse([]byte(doc))
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range p.Statements {
		if !strings.EqualFold(s.Effect, "Allow") || s.Principal == nil {
			continue
		}
		if keys := iampolicy.NarrowingKeys(s.Condition); slices.Contains(keys, "aws:principalorgid") || slices.Contains(keys, "aws:principalorgpaths") {
			continue
		}
		for _, v := range s.Principal.Values["AWS"] {
			if a := principalAccount(v); a != "" && !c.trusted(r, a) && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}

// principalAccount is the account an AWS principal value names: a bare
// 12-digit ID or the account field of an IAM or STS ARN; "" otherwise.
func principalAccount(v string) string {
	v = strings.TrimSpace(v)
	if awsid.IsAccountID(v) {
		return v
	}
	parts := strings.SplitN(v, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && (parts[2] == "iam" || parts[2] == "sts") && awsid.IsAccountID(parts[4]) {
		return parts[4]
	}
	return ""
}

// IAMResourceARN names the role, user, group or policy an IAM call changed.
func IAMResourceARN(r *record.Record) string {
	acct := r.Account()
	pre := "arn:" + awsid.PartitionOf(r.AWSRegion) + ":iam::" + acct + ":"
	for _, k := range []struct{ field, kind string }{{"roleName", "role/"}, {"userName", "user/"}, {"groupName", "group/"}} {
		if v := param(r, k.field); v != "" {
			return pre + k.kind + v
		}
	}
	if v := param(r, "policyArn"); v != "" {
		return v
	}
	if v := param(r, "instanceProfileName"); v != "" {
		return pre + "instance-profile/" + v
	}
	if v := param(r, "policyName"); v != "" {
		return pre + "policy/" + v
	}
	// Calls without a target act on the caller (CreateAccessKey for
	// oneself); a root caller is the account.
	if arn := r.UserIdentity.ARN; strings.HasPrefix(arn, "arn:") {
		return arn
	}
	return pre + "root"
}

// policyDoc is the part of an IAM policy the checks read.
type policyDoc struct {
	Statement oneOrMany[struct {
		Effect    string            `json:"Effect"`
		Action    oneOrMany[string] `json:"Action"`
		Principal json.RawMessage   `json:"Principal"`
		Condition json.RawMessage   `json:"Condition"`
	}] `json:"Statement"`
}

// oneOrMany reads a JSON value that IAM allows as one item or a list.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var list []T
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*o = list
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = []T{one}
	return nil
}

func parsePolicy(doc string) (policyDoc, bool) {
	var p policyDoc
	if doc == "" {
		return p, false
	}
	if !strings.HasPrefix(strings.TrimSpace(doc), "{") {
		if d, err := url.QueryUnescape(doc); err == nil {
			doc = d
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return p, false
	}
	return p, true
}

// wildcardActions lists Allow actions of the form "*", "*:*" or "svc:*".
func wildcardActions(doc string) []string {
	p, ok := parsePolicy(doc)
	if !ok {
		return nil
	}
	var out []string
	for _, s := range p.Statement {
		if !strings.EqualFold(s.Effect, "Allow") {
			continue
		}
		for _, a := range s.Action {
			if a == "*" || strings.HasSuffix(a, ":*") {
				out = append(out, a)
			}
		}
	}
	return out
}

// openTrust reports an Allow statement whose principal is anyone ("*" or
// {"AWS":"*"}), and whether every such statement carries a condition.
func openTrust(doc string) (open, conditioned bool) {
	p, ok := parsePolicy(doc)
	if !ok {
		return false, false
	}
	conditioned = true
	for _, s := range p.Statement {
		if !strings.EqualFold(s.Effect, "Allow") || !anyPrincipal(s.Principal) {
			continue
		}
		open = true
		if len(s.Condition) == 0 || string(s.Condition) == "null" || string(s.Condition) == "{}" {
			conditioned = false
		}
	}
	return open, open && conditioned
}

func anyPrincipal(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]oneOrMany[string]
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for _, v := range m["AWS"] {
		if v == "*" {
			return true
		}
	}
	return false
}
