package rules

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
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
		Description: "An IAM call changed who can do what: a policy attached or put, a trust policy opened, an access key created, a permissions boundary removed. Findings name the changed principal, so the IAM scanner rescans it within minutes.",
		Remediation: "Confirm the change was intended and reviewed; make IAM changes through the template, remove administrator policies, open trust policies and access keys nobody asked for, and keep permissions boundaries in place.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html", "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html"}, SecurityHub: []string{"CloudWatch.4"}},
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
			}
		case "CreateAccessKey":
			target := param(r, "userName")
			if target != "" && target != r.UserIdentity.UserName && !strings.HasSuffix(r.UserIdentity.ARN, "/"+target) {
				sev, title = findings.High, "Access key created for another user"
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

// IAMResourceARN names the role, user, group or policy an IAM call changed.
func IAMResourceARN(r *record.Record) string {
	acct := r.Account()
	pre := "arn:" + partition(r.AWSRegion) + ":iam::" + acct + ":"
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
