package findings

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Format names an output format of the command-line tool.
type Format string

// The output formats of the command-line tool (docs/architecture.md,
// "Command line and exit codes").
const (
	FormatText  Format = "text"
	FormatJSON  Format = "json"
	FormatSARIF Format = "sarif"
	// FormatASFF is the AWS Security Finding Format, written by package
	// findings/asff.
	FormatASFF Format = "asff"
	// FormatHTML is one self-contained page, written by package
	// findings/htmlreport.
	FormatHTML Format = "html"
)

// ParseFormat validates a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatText, FormatJSON, FormatSARIF, FormatASFF, FormatHTML:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, json, sarif, asff or html)", s)
}

// Report is the JSON document printed by --format json.
type Report struct {
	Findings []Finding      `json:"findings"`
	Summary  Summary        `json:"summary"`
	Notes    []string       `json:"notes,omitempty"`
	Extra    map[string]any `json:"extra,omitempty"`
}

// Write renders findings as text or JSON. notes are sentences about the
// run itself (for example checks that were skipped). SARIF lives in the
// findings/sarif package, so that only the command-line tool links its
// library, not every function.
func Write(w io.Writer, format Format, fs []Finding, notes ...string) error {
	switch format {
	case FormatJSON:
		return WriteJSON(w, fs, notes...)
	case FormatSARIF, FormatASFF, FormatHTML:
		return fmt.Errorf("format %s is written by its own package (findings/sarif, findings/asff, findings/htmlreport)", format)
	default:
		return WriteText(w, fs, notes...)
	}
}

// WriteJSON writes {"findings":[...],"summary":{...}}, indented as
// json.Encoder with SetIndent("", "  ") writes a Report. An empty list is
// written as [] rather than null so that consumers can iterate blindly.
//
// It writes one finding at a time: encoding the whole report and then
// indenting it holds it twice, which on a CloudTrail flood costs more
// memory than the analysis that produced the findings.
func WriteJSON(w io.Writer, fs []Finding, notes ...string) error {
	return StreamJSON(w, Report{Findings: []Finding{}, Summary: Summarize(fs), Notes: notes}, fs)
}

// StreamJSON writes frame as json.Encoder with SetIndent("", "  ")
// writes it, with items in place of its "findings" member, which frame
// must hold empty. The items are encoded one at a time, so a report of any
// shape (the plain one, the one with statuses) is never held twice.
func StreamJSON[T any](w io.Writer, frame any, items []T) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(frame); err != nil {
		return err
	}
	const empty = `"findings": []`
	head, tail, ok := bytes.Cut(buf.Bytes(), []byte(empty))
	if !ok {
		return fmt.Errorf("JSON report has no %s member", empty)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head)
	bw.WriteString(`"findings": [`)
	for i, item := range items {
		b, err := json.MarshalIndent(item, "    ", "  ")
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n    ")
		bw.Write(b)
	}
	if len(items) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]")
	bw.Write(tail)
	return bw.Flush()
}

// WriteText writes one block per finding and a summary line, meant for a
// terminal or a CI log.
func WriteText(w io.Writer, fs []Finding, notes ...string) error {
	tw := NewTextTable(w)
	for _, f := range fs {
		WriteTextBlock(tw, f, true)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return WriteTextSummary(w, fs, notes)
}

// NewTextTable returns the tabwriter every text listing of findings is
// aligned with, so that a listing built from WriteTextBlock lines up as
// WriteText's does.
func NewTextTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// TextLine is one labelled line of a finding's text block, such as the
// status a run with a state table adds.
type TextLine struct {
	Label, Value string
}

// WriteTextBlock writes one finding's block into tw (see NewTextTable):
// severity, check and title, then the extra lines, the resource and the
// place in a file; with detail, also the evidence, cut to one line, and the
// fix. Errors surface when tw is flushed.
func WriteTextBlock(tw io.Writer, f Finding, detail bool, extra ...TextLine) {
	fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Severity, f.Check, f.Title)
	for _, l := range extra {
		fmt.Fprintf(tw, "\t%s:\t%s\n", l.Label, l.Value)
	}
	fmt.Fprintf(tw, "\tresource:\t%s\n", f.Resource)
	if f.Location != nil && f.Location.Line > 0 {
		fmt.Fprintf(tw, "\tat:\t%s:%d\n", f.Location.File, f.Location.Line)
	}
	if !detail {
		return
	}
	if len(f.Evidence) > 0 {
		fmt.Fprintf(tw, "\tevidence:\t%s\n", compactEvidence(f.Evidence))
	}
	if f.Remediation != "" {
		fmt.Fprintf(tw, "\tfix:\t%s\n", f.Remediation)
	}
}

// WriteTextSummary writes what ends a text listing: the notes, then one
// line counting fs by severity.
func WriteTextSummary(w io.Writer, fs []Finding, notes []string) error {
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

// compactEvidence is the evidence as compact JSON, cut at 300 bytes so
// that one finding's block stays readable.
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
