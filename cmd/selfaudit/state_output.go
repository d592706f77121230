package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/sarif"
)

// stateReport is the JSON of a run with --state-table: the stateless
// report's fields (findings, summary, notes) plus statusSummary. summary
// counts the findings that stand, not the resolved ones, so that a consumer
// of the stateless report reads it the same way.
type stateReport struct {
	Findings      []findings.Tracked `json:"findings"`
	Summary       findings.Summary   `json:"summary"`
	StatusSummary map[string]int     `json:"statusSummary"`
	Notes         []string           `json:"notes,omitempty"`
}

// emitState writes the findings of a run with --state-table and returns the
// exit code: 1 when a standing finding is at or above min, counting only
// NEW and REOPENED ones when newOnly is set. Resolved findings never fail
// a run.
func emitState(env *cliEnv, cmd string, format findings.Format, min findings.Severity, newOnly bool, rec reconciled, notes ...string) int {
	sortTracked(rec.standing)
	sortTracked(rec.resolved)
	notes = append(notes, rec.notes...)
	var err error
	switch format {
	case findings.FormatSARIF:
		err = writeStateSARIF(env.stdout, rec)
	case findings.FormatJSON:
		err = writeStateJSON(env.stdout, rec, notes)
	default:
		err = writeStateText(env.stdout, rec, notes)
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "selfaudit %s: write output: %v\n", cmd, err)
		return exitUsage
	}
	var gate []findings.Finding
	for _, t := range rec.standing {
		if !newOnly || t.Status == findings.StatusNew || t.Status == findings.StatusReopened {
			gate = append(gate, t.Finding)
		}
	}
	if findings.AtOrAbove(gate, min) {
		return exitFindings
	}
	return exitOK
}

// sortTracked orders tracked findings as findings.Sort orders findings.
func sortTracked(ts []findings.Tracked) {
	fs := make([]findings.Finding, len(ts))
	byID := make(map[string]findings.Tracked, len(ts))
	for i, t := range ts {
		fs[i] = t.Finding
		byID[t.ID] = t
	}
	findings.Sort(fs)
	for i, f := range fs {
		ts[i] = byID[f.ID]
	}
}

func standingFindings(ts []findings.Tracked) []findings.Finding {
	fs := make([]findings.Finding, len(ts))
	for i, t := range ts {
		fs[i] = t.Finding
	}
	return fs
}

func writeStateJSON(w io.Writer, rec reconciled, notes []string) error {
	all := append(append([]findings.Tracked{}, rec.standing...), rec.resolved...)
	counts := map[string]int{}
	for st, n := range rec.counts() {
		counts[string(st)] = n
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(stateReport{
		Findings:      all,
		Summary:       findings.Summarize(standingFindings(rec.standing)),
		StatusSummary: counts,
		Notes:         notes,
	})
}

// writeStateText leads with the counts of the run's statuses, then lists the
// standing findings and the resolved ones, each with its status, and ends
// with the stateless summary line over the standing findings.
func writeStateText(w io.Writer, rec reconciled, notes []string) error {
	if _, err := fmt.Fprintln(w, rec.lead()); err != nil {
		return err
	}
	tw := findings.NewTextTable(w)
	for _, t := range append(append([]findings.Tracked{}, rec.standing...), rec.resolved...) {
		status := fmt.Sprintf("%s (first seen %s, last seen %s)", t.Status, stamp(t.FirstSeen), stamp(t.LastSeen))
		findings.WriteTextBlock(tw, t.Finding, t.Status != findings.StatusResolved, findings.TextLine{Label: "status", Value: status})
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return findings.WriteTextSummary(w, standingFindings(rec.standing), notes)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// baselineStates maps statuses onto SARIF's baselineState: what the
// previous run did not have is "new".
var baselineStates = map[findings.Status]string{
	findings.StatusNew:      "new",
	findings.StatusReopened: "new",
	findings.StatusOpen:     "unchanged",
}

// writeStateSARIF writes the standing findings with their status in each
// result's properties and baselineState. Resolved findings are left out:
// code-scanning services close an alert whose result is no longer
// uploaded, which is what resolution means there, and would open one for a
// result listed as absent.
func writeStateSARIF(w io.Writer, rec reconciled) error {
	byID := make(map[string]findings.Tracked, len(rec.standing))
	for _, t := range rec.standing {
		byID[t.ID] = t
	}
	return sarif.WriteAnnotated(w, standingFindings(rec.standing), func(f findings.Finding) sarif.Annotation {
		t := byID[f.ID]
		return sarif.Annotation{
			BaselineState: baselineStates[t.Status],
			Properties: map[string]any{
				"status": string(t.Status), "firstSeen": t.FirstSeen.UTC().Format(time.RFC3339Nano), "lastSeen": t.LastSeen.UTC().Format(time.RFC3339Nano),
			},
		}
	})
}
