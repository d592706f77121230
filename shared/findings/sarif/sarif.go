// Package sarif renders findings as a SARIF 2.1.0 log for code-scanning
// tools. It is apart from package findings because only the command-line
// tool writes SARIF; the functions would otherwise link the SARIF library
// (and its JSON-schema validator) for nothing.
package sarif

import (
	"io"
	"sort"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report"
	gosarif "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// level maps severities onto SARIF's three result levels.
func level(s findings.Severity) string {
	switch {
	case s >= findings.High:
		return "error"
	case s == findings.Medium:
		return "warning"
	default:
		return "note"
	}
}

// Write writes a SARIF 2.1.0 log with one run, one rule per check and
// one result per finding, so code-scanning UIs can annotate template lines.
// Each rule comes from the check registry (title, description, remediation,
// documentation link and default severity), so a rule reads the same in
// every log; a check the registry does not know (the engine was not linked)
// falls back to the wording of its first finding.
func Write(w io.Writer, fs []findings.Finding) error {
	return WriteAnnotated(w, fs, nil)
}

// Annotation is what a caller adds to one result: SARIF's baselineState
// ("new", "unchanged", "updated" or "absent") and properties, such as the
// status a finding store gave the finding.
type Annotation struct {
	BaselineState string
	Properties    map[string]any
	// Suppression, when set, marks the result suppressed: one SARIF
	// suppression of kind "external" (the accepted risk is written apart
	// from the code-scanning tool's own store) whose justification is
	// the reason, with the end date and where it is written as
	// properties. Code-scanning services show such a result as dismissed.
	Suppression *findings.Suppression
}

// WriteAnnotated writes the log Write writes, with annotate's answer for
// each finding added to its result; a nil annotate adds nothing.
func WriteAnnotated(w io.Writer, fs []findings.Finding, annotate func(findings.Finding) Annotation) error {
	rep := report.NewV210Report()
	run := gosarif.NewRunWithInformationURI("selfaudit", "https://github.com/selfaudit/selfaudit")
	seen := map[string]findings.Finding{}
	for _, f := range fs {
		if _, ok := seen[f.Check]; !ok {
			seen[f.Check] = f
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		addRule(run, id, seen[id])
	}
	for _, f := range fs {
		file, line := f.Resource, 0
		if f.Location != nil {
			file, line = f.Location.File, f.Location.Line
		} else if i := strings.Index(file, "#"); i >= 0 {
			file = file[:i]
		}
		res := run.CreateResultForRule(f.Check).
			WithLevel(level(f.Severity)).
			WithMessage(gosarif.NewTextMessage(f.Title + " (" + f.Resource + ")")).
			WithPartialFingerprints(map[string]string{"selfauditId": f.ID})
		phys := gosarif.NewPhysicalLocation().WithArtifactLocation(gosarif.NewSimpleArtifactLocation(file))
		if line > 0 {
			phys = phys.WithRegion(gosarif.NewSimpleRegion(line, line))
		}
		res.AddLocation(gosarif.NewLocationWithPhysicalLocation(phys))
		if annotate == nil {
			continue
		}
		a := annotate(f)
		if a.BaselineState != "" {
			res.WithBaselineState(a.BaselineState)
		}
		if sp := a.Suppression; sp != nil {
			pb := gosarif.NewPropertyBag()
			pb.Add("source", sp.Source)
			if sp.Expires != "" {
				pb.Add("expires", sp.Expires)
			}
			res.AddSuppression(gosarif.NewSuppression().WithKind("external").WithStatus("accepted").WithJustification(sp.Reason).WithProperties(pb))
		}
		if len(a.Properties) > 0 {
			pb := gosarif.NewPropertyBag()
			for k, v := range a.Properties {
				pb.Add(k, v)
			}
			res.WithProperties(pb)
		}
	}
	rep.AddRun(run)
	return rep.Write(w)
}

// addRule describes one check in the run's rule list.
func addRule(run *gosarif.Run, id string, first findings.Finding) {
	c, ok := checks.Lookup(id)
	if !ok {
		c = checks.Check{ID: id, Severity: first.Severity, Title: first.Title, Remediation: first.Remediation}
	}
	pb := gosarif.NewPropertyBag()
	pb.Add("severity", c.Severity.String())
	rule := run.AddRule(id).WithDescription(c.Title).WithMarkdownHelp(c.Remediation).WithProperties(pb)
	if c.Description != "" {
		rule.WithFullDescription(gosarif.NewMultiformatMessageString().WithText(c.Description))
	}
	if u := c.HelpURI(); u != "" {
		rule.WithHelpURI(u)
	}
}
