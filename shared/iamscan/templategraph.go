package iamscan

import (
	"fmt"
	"time"

	"github.com/selfaudit/selfaudit/shared/cfntemplate"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iamgraph"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// templateAccount stands for the stack's account in the ARNs of a
// template's roles, which are only named at deploy time.
const templateAccount = "123456789012"

// lambdaTrust is the trust policy SAM gives the role it creates for a
// function.
var lambdaTrust = &iampolicy.Document{Version: "2012-10-17", Statements: []iampolicy.Statement{{
	Pointer: "/Statement/0", Effect: "Allow", Action: []string{"sts:AssumeRole"},
	Principal: &iampolicy.Principal{Values: map[string][]string{"Service": {"lambda.amazonaws.com"}}},
}}}

// templateEscalations builds the principal graph of a template's roles
// (AWS::IAM::Role, and the role SAM creates for an AWS::Serverless::Function
// without Role), with the policies TemplateRolePolicies collects and the
// declared trust policies, and reports IAM009 on each role that reaches
// administrator-equivalent permissions. A role is named
// arn:aws:iam::123456789012:role/<LogicalId> in the path; the finding
// points at the resource.
func templateEscalations(f *cfntemplate.File, sources []cfntemplate.Source, roles func(string) (*RolePolicies, error), scps [][]iameval.Policy, now time.Time) ([]findings.Finding, []string) {
	trusts := map[string]*iampolicy.Document{}
	var notes []string
	for _, src := range sources {
		if src.Kind != cfntemplate.TrustPolicy || src.Policy == nil {
			continue
		}
		// Every branch of an Fn::If is included: either may deploy.
		doc, _ := documentOf(f.Name+"#"+src.Pointer, src)
		d, err := iampolicy.FromValue(substitutePseudo(doc, templateAccount))
		if err != nil {
			continue
		}
		if prev := trusts[src.LogicalID]; prev != nil {
			merged := *prev
			merged.Statements = append(append([]iampolicy.Statement(nil), prev.Statements...), d.Statements...)
			d = &merged
		}
		trusts[src.LogicalID] = d
	}
	var principals []iamgraph.Principal
	where := map[string]cfntemplate.Resource{}
	for _, r := range f.Resources {
		trust := trusts[r.LogicalID]
		switch r.Type {
		case "AWS::IAM::Role":
		case "AWS::Serverless::Function":
			if r.Properties != nil && cfntemplate.Value(r.Properties) != nil {
				if props, _ := cfntemplate.Value(r.Properties).(map[string]any); props["Role"] != nil {
					continue // judged through that role
				}
			}
			trust = lambdaTrust
		default:
			continue
		}
		rp, err := roles(r.LogicalID)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s#/Resources/%s: not in the escalation graph: %v", f.Name, r.LogicalID, err))
			continue
		}
		p := iamgraph.Principal{ARN: rp.ARN, Kind: iamgraph.Role, Trust: trust}
		for _, np := range rp.Identity {
			p.Identity = append(p.Identity, iameval.Policy{Name: np.Name, Doc: np.Document})
		}
		if rp.Boundary != nil {
			p.Boundary = &iameval.Policy{Name: rp.Boundary.Name, Doc: rp.Boundary.Document}
		}
		principals = append(principals, p)
		where[rp.ARN] = r
	}
	if len(principals) == 0 {
		return nil, notes
	}
	c := iamgraph.Check
	var out []findings.Finding
	for _, e := range iamgraph.Build(iamgraph.Input{Principals: principals, SCPs: scps, Now: now}).Escalations() {
		r, ok := where[e.Principal]
		if !ok {
			continue
		}
		sev := findings.Critical
		if len(e.Hops) > 1 {
			sev = findings.High
		}
		res := f.Name + "#" + cfntemplate.Pointer("/Resources", r.LogicalID)
		out = append(out, findings.Finding{
			ID: findings.StableID(c.ID, res, "escalation"), Check: c.ID, Severity: sev, Title: c.Title,
			Resource: res, Remediation: c.Remediation, Source: SourceTemplate, ObservedAt: now,
			Location: &findings.Location{File: f.Name, Line: r.Line},
			Evidence: map[string]any{"logicalId": r.LogicalID, "resourceType": r.Type, "principal": e.Principal,
				"reaches": e.Reaches, "steps": len(e.Hops), "path": e.Hops},
		})
	}
	return out, notes
}
