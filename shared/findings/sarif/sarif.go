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
func Write(w io.Writer, fs []findings.Finding) error {
	rep := report.NewV210Report()
	run := gosarif.NewRunWithInformationURI("selfaudit", "https://github.com/selfaudit/selfaudit")
	checks := map[string]findings.Finding{}
	for _, f := range fs {
		if _, ok := checks[f.Check]; !ok {
			checks[f.Check] = f
		}
	}
	ids := make([]string, 0, len(checks))
	for id := range checks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		f := checks[id]
		pb := gosarif.NewPropertyBag()
		pb.Add("severity", f.Severity.String())
		run.AddRule(id).WithDescription(f.Title).WithMarkdownHelp(f.Remediation).WithProperties(pb)
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
	}
	rep.AddRun(run)
	return rep.Write(w)
}
