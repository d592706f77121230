package findings

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/owenrumney/go-sarif/v3/pkg/report"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// Format names an output format of the command-line tool.
type Format string

// The output formats of DESIGN §5.
const (
	FormatText  Format = "text"
	FormatJSON  Format = "json"
	FormatSARIF Format = "sarif"
)

// ParseFormat validates a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatText, FormatJSON, FormatSARIF:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, json or sarif)", s)
}

// Report is the JSON document printed by --format json.
type Report struct {
	Findings []Finding      `json:"findings"`
	Summary  Summary        `json:"summary"`
	Notes    []string       `json:"notes,omitempty"`
	Extra    map[string]any `json:"extra,omitempty"`
}

// Write renders findings in the given format. notes are sentences about the
// run itself (for example checks that were skipped) and appear in text and
// JSON output.
func Write(w io.Writer, format Format, fs []Finding, notes ...string) error {
	switch format {
	case FormatJSON:
		return WriteJSON(w, fs, notes...)
	case FormatSARIF:
		return WriteSARIF(w, fs)
	default:
		return WriteText(w, fs, notes...)
	}
}

// WriteJSON writes {"findings":[...],"summary":{...}}. An empty list is
// written as [] rather than null so that consumers can iterate blindly.
func WriteJSON(w io.Writer, fs []Finding, notes ...string) error {
	if fs == nil {
		fs = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(Report{Findings: fs, Summary: Summarize(fs), Notes: notes})
}

// WriteText writes one block per finding and a summary line, meant for a
// terminal or a CI log.
func WriteText(w io.Writer, fs []Finding, notes ...string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range fs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Severity, f.Check, f.Title)
		fmt.Fprintf(tw, "\tresource:\t%s\n", f.Resource)
		if f.Location != nil && f.Location.Line > 0 {
			fmt.Fprintf(tw, "\tat:\t%s:%d\n", f.Location.File, f.Location.Line)
		}
		if len(f.Evidence) > 0 {
			fmt.Fprintf(tw, "\tevidence:\t%s\n", compactEvidence(f.Evidence))
		}
		if f.Remediation != "" {
			fmt.Fprintf(tw, "\tfix:\t%s\n", f.Remediation)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		if _, err := fmt.Fprintf(w, "note: %s\n", n); err != nil {
			return err
		}
	}
	s := Summarize(fs)
	parts := make([]string, 0, len(Severities))
	for _, sev := range Severities {
		parts = append(parts, fmt.Sprintf("%s %d", sev, s[sev.String()]))
	}
	_, err := fmt.Fprintf(w, "%d findings: %s\n", len(fs), strings.Join(parts, ", "))
	return err
}

func compactEvidence(ev map[string]any) string {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Sprint(ev)
	}
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// sarifLevel maps severities onto SARIF's three result levels.
func sarifLevel(s Severity) string {
	switch {
	case s >= High:
		return "error"
	case s == Medium:
		return "warning"
	default:
		return "note"
	}
}

// WriteSARIF writes a SARIF 2.1.0 log with one run, one rule per check and
// one result per finding, so code-scanning UIs can annotate template lines.
func WriteSARIF(w io.Writer, fs []Finding) error {
	rep := report.NewV210Report()
	run := sarif.NewRunWithInformationURI("selfaudit", "https://github.com/selfaudit/selfaudit")
	checks := map[string]Finding{}
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
		pb := sarif.NewPropertyBag()
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
			WithLevel(sarifLevel(f.Severity)).
			WithMessage(sarif.NewTextMessage(f.Title + " (" + f.Resource + ")")).
			WithPartialFingerprints(map[string]string{"selfauditId": f.ID})
		phys := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(file))
		if line > 0 {
			phys = phys.WithRegion(sarif.NewSimpleRegion(line, line))
		}
		res.AddLocation(sarif.NewLocationWithPhysicalLocation(phys))
	}
	rep.AddRun(run)
	return rep.Write(w)
}
