package suppress

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// DateLayout is the layout of an end date: a calendar day, UTC.
const DateLayout = "2006-01-02"

// Rule is one suppression: which findings it matches, why the risk is
// accepted and until when.
type Rule struct {
	// Check is a check ID or a glob over check IDs ("IAM00*").
	Check string
	// Resource is a glob over the finding's resource; "*" matches all.
	Resource string
	// Account, when set, is the account the finding must be about.
	Account string
	// Reason says why the risk is accepted; never empty.
	Reason string
	// Expires is the first day on which the rule no longer applies
	// (YYYY-MM-DD); empty when it does not end.
	Expires string
	// Source is where the rule is written, "file:line", so that a note or
	// a report names it.
	Source string

	// Template and LogicalID scope a template metadata rule to the
	// findings about one resource of one file.
	Template, LogicalID string
	// Part further scopes a rule mapped from a cfn_nag rule: only the
	// trust policy of a role, or only its permissions policies.
	Part Part
	// Tool names the other tool (cfn_nag, checkov) whose suppression this
	// rule was mapped from; such a rule also serves that tool, so it is
	// never reported as matching nothing.
	Tool string

	expires time.Time // zero when it does not end
}

// Part is the part of a resource a mapped rule is about.
type Part int

// The parts.
const (
	AnyPart Part = iota
	TrustPolicy
	PermissionsPolicy
)

// expired reports whether the rule no longer applies on day today.
func (r *Rule) expired(today time.Time) bool {
	end := r.expires
	if end.IsZero() && r.Expires != "" {
		// A rule built by hand rather than parsed; a bad date ends it
		// at once rather than never.
		var err error
		if end, err = time.Parse(DateLayout, r.Expires); err != nil {
			return true
		}
	}
	if end.IsZero() {
		return false
	}
	y, m, d := today.UTC().Date()
	return !time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Before(end)
}

// matches reports whether the rule is about f, whatever its end date.
func (r *Rule) matches(f findings.Finding) bool {
	if !Glob(r.Check, f.Check) {
		return false
	}
	if r.Template != "" && !inResource(f.Resource, r.Template, r.LogicalID) {
		return false
	}
	switch r.Part {
	case TrustPolicy:
		if !strings.Contains(f.Resource, "/AssumeRolePolicyDocument") {
			return false
		}
	case PermissionsPolicy:
		if strings.Contains(f.Resource, "/AssumeRolePolicyDocument") {
			return false
		}
	}
	if r.Resource != "" && r.Resource != "*" && !Glob(r.Resource, f.Resource) {
		return false
	}
	if r.Account != "" && AccountOf(f) != r.Account {
		return false
	}
	return true
}

// Suppression is the rule as a report shows it.
func (r *Rule) Suppression() *findings.Suppression {
	return &findings.Suppression{Reason: r.Reason, Expires: r.Expires, Source: r.Source}
}

// inResource reports whether a template finding's resource
// (file#/Resources/ID/...) is about the logical resource id of file.
func inResource(resource, file, id string) bool {
	prefix := file + "#/Resources/" + escapePointer(id)
	rest, ok := strings.CutPrefix(resource, prefix)
	return ok && (rest == "" || rest[0] == '/')
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// AccountOf is the account a finding is about: the resource ARN's, else
// the evidence's account, accountId or recipientAccountId; empty when
// neither says (a template finding).
func AccountOf(f findings.Finding) string {
	if a, err := arn.Parse(f.Resource); err == nil && a.AccountID != "" {
		return a.AccountID
	}
	for _, k := range []string{"account", "accountId", "recipientAccountId"} {
		if s, ok := f.Evidence[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// Glob reports whether s matches pattern, in which "*" matches any run of
// characters ("/" and ":" included, unlike path.Match, since resources are
// ARNs and JSON pointers) and "?" exactly one. Every other character
// matches itself.
func Glob(pattern, s string) bool {
	// Iterative matching with one backtrack point: linear in practice
	// and never exponential, whatever the pattern.
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]) && pattern[p] != '*':
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			starP, starI = p, i
			p++
		case starP >= 0:
			starI++
			p, i = starP+1, starI
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
