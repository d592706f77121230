package iamscan

import (
	"fmt"

	"github.com/selfaudit/selfaudit/shared/cfntemplate"
	"github.com/selfaudit/selfaudit/shared/iameffect"
	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// effective judges the identity issues of a policy a template declares on
// a role (an AWS::IAM::Role's Policies and ManagedPolicyArns, an
// AWS::Serverless::Function's Policies) by everything that role is given
// in the template (TemplateRolePolicies: its other policies, the
// AWS::IAM::Policy resources attached to it, its boundary) and the SCPs
// of the scan, as the account scan does (shared/iameffect). Issues of
// other resources (an AWS::IAM::Policy, which may attach to several
// roles, or a user or group) are returned unchanged. A dropped issue
// becomes a note.
func (j *judge) effective(src cfntemplate.Source, doc *iampolicy.Document, issues []iampolicy.Issue) []iampolicy.Issue {
	if len(issues) == 0 || (src.ResourceType != "AWS::IAM::Role" && src.ResourceType != "AWS::Serverless::Function") {
		return issues
	}
	if j.effect == nil {
		j.effect = map[string]*iameffect.Judge{}
	}
	ej, seen := j.effect[src.LogicalID]
	if !seen {
		if rp, err := j.rolePolicies(src.LogicalID); err == nil {
			set := iameffect.Set{SCPs: j.s.SCPs, Now: j.now,
				Known: map[string][]string{"aws:PrincipalArn": {rp.ARN}, "aws:PrincipalAccount": {templateAccount}}}
			for _, np := range rp.Identity {
				set.Identity = append(set.Identity, iameval.Policy{Name: np.Name, Doc: np.Document})
			}
			if rp.Boundary != nil {
				set.Boundary = &iameval.Policy{Name: rp.Boundary.Name, Doc: rp.Boundary.Document}
			}
			ej = iameffect.New(set)
		}
		j.effect[src.LogicalID] = ej
	}
	if ej == nil {
		return issues
	}
	kept, dropped := ej.Issues(src.Pointer, doc, issues)
	for _, d := range dropped {
		note := fmt.Sprintf("%s#%s: %s of %s not reported: %s", j.f.Name, src.Pointer, d.Issue.Check, src.LogicalID, d.Reason)
		for i, r := range d.By {
			if i == 0 {
				note += " ["
			} else {
				note += "; "
			}
			note += fmt.Sprintf("%s statement %d", r.Policy, r.Index)
			if r.Sid != "" {
				note += " (" + r.Sid + ")"
			}
			if i == len(d.By)-1 {
				note += "]"
			}
		}
		j.notes = append(j.notes, note)
	}
	return kept
}

// rolePolicies is TemplateRolePolicies for this file, once per role: the
// effective-permission judge and the escalation graph both need it.
func (j *judge) rolePolicies(logicalID string) (*RolePolicies, error) {
	if j.roles == nil {
		j.roles = map[string]rolePoliciesResult{}
	}
	if r, ok := j.roles[logicalID]; ok {
		return r.rp, r.err
	}
	rp, err := TemplateRolePolicies(j.f, logicalID, templateAccount)
	j.roles[logicalID] = rolePoliciesResult{rp, err}
	return rp, err
}

type rolePoliciesResult struct {
	rp  *RolePolicies
	err error
}
