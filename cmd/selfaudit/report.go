package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/asff"
	"github.com/selfaudit/selfaudit/shared/findings/htmlreport"
	"github.com/selfaudit/selfaudit/shared/findings/sarif"
)

// report is what every finding command prints: the run's findings, each
// with its status, in one shape whatever produced them. Every format is
// written from it, so text, JSON and SARIF agree on what was suppressed,
// what the baseline knew and what the store decided.
type report struct {
	cmd string
	output
	// newOnly counts only NEW and REOPENED findings for --fail-on.
	newOnly bool
	// tracked are the standing findings, then the resolved ones.
	tracked []findings.Tracked
	// stateful: a run with --state-table, whose findings have first and
	// last sightings and whose output leads with the status counts.
	stateful bool
	// annotated: a run without a state table that has suppressions or a
	// baseline, whose findings carry a status. Without either (and without
	// a state table) the output is the plain report it always was.
	annotated bool
	baseline  *baselineSummary
	notes     []string
}

// plain reports whether the output is the stateless report, without
// statuses.
func (r report) plain() bool { return !r.stateful && !r.annotated }

// emitReport writes the report and returns the exit code: 1 when a
// finding that counts is at or above min. Suppressed, baseline and
// resolved findings never count; with newOnly only NEW and REOPENED ones
// do.
func emitReport(ctx context.Context, env *cliEnv, r report) int {
	sortTracked(r.tracked)
	var err error
	switch {
	case r.format == findings.FormatASFF:
		err = writeASFF(ctx, env.stdout, r)
	case r.format == findings.FormatHTML:
		err = htmlreport.Write(env.stdout, htmlreport.Report{
			Title: "selfaudit " + r.cmd, Generated: time.Now().UTC(), Findings: r.tracked, Notes: r.allNotes(),
		})
	case r.format == findings.FormatSARIF && r.plain():
		err = sarif.Write(env.stdout, standingFindings(r.tracked))
	case r.format == findings.FormatSARIF:
		err = writeTrackedSARIF(env.stdout, r)
	case r.format == findings.FormatJSON && r.plain():
		err = findings.WriteJSON(env.stdout, standingFindings(r.tracked), r.notes...)
	case r.format == findings.FormatJSON:
		err = writeTrackedJSON(env.stdout, r)
	case r.plain():
		err = findings.WriteText(env.stdout, standingFindings(r.tracked), r.notes...)
	default:
		err = writeTrackedText(env.stdout, r)
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "selfaudit %s: write output: %v\n", r.cmd, err)
		return exitUsage
	}
	var gate []findings.Finding
	for _, t := range r.tracked {
		if actionable(t.Status) && (!r.newOnly || t.Status == findings.StatusNew || t.Status == findings.StatusReopened) {
			gate = append(gate, t.Finding)
		}
	}
	if findings.AtOrAbove(gate, r.min) {
		return exitFindings
	}
	return exitOK
}

// actionable reports whether a finding in this status is one to act on: it
// stands, and neither a suppression nor the baseline accepts it.
func actionable(s findings.Status) bool {
	switch s {
	case findings.StatusResolved, findings.StatusSuppressed, findings.StatusBaseline:
		return false
	}
	return true
}

// sortTracked orders tracked findings as findings.Sort orders findings,
// resolved ones last.
func sortTracked(ts []findings.Tracked) {
	sort.SliceStable(ts, func(i, j int) bool {
		ri, rj := ts[i].Status == findings.StatusResolved, ts[j].Status == findings.StatusResolved
		if ri != rj {
			return rj
		}
		return findings.Less(ts[i].Finding, ts[j].Finding)
	})
}

// standingFindings are the findings of ts that are not resolved.
func standingFindings(ts []findings.Tracked) []findings.Finding {
	fs := make([]findings.Finding, 0, len(ts))
	for _, t := range ts {
		if t.Status != findings.StatusResolved {
			fs = append(fs, t.Finding)
		}
	}
	return fs
}

// countingFindings are the standing findings that count: the severity
// summary of a report with statuses is over these.
func countingFindings(ts []findings.Tracked) []findings.Finding {
	var fs []findings.Finding
	for _, t := range ts {
		if actionable(t.Status) {
			fs = append(fs, t.Finding)
		}
	}
	return fs
}

// statusCounts counts the findings per status. A run with a state table
// always lists NEW, REOPENED, OPEN and RESOLVED, one without lists NEW;
// SUPPRESSED and BASELINE appear when there are some.
func (r report) statusCounts() map[findings.Status]int {
	c := map[findings.Status]int{findings.StatusNew: 0}
	if r.stateful {
		c[findings.StatusReopened], c[findings.StatusOpen], c[findings.StatusResolved] = 0, 0, 0
	}
	for _, t := range r.tracked {
		c[t.Status]++
	}
	return c
}

// lead is the first line of text output with statuses: "N new, N
// reopened, N open, N resolved" with a state table, then the suppressed
// and baseline findings when there are some.
func (r report) lead() string {
	c := r.statusCounts()
	var parts []string
	if r.stateful {
		parts = append(parts, fmt.Sprintf("%d new, %d reopened, %d open, %d resolved", c[findings.StatusNew], c[findings.StatusReopened], c[findings.StatusOpen], c[findings.StatusResolved]))
	} else {
		parts = append(parts, fmt.Sprintf("%d new", c[findings.StatusNew]))
	}
	if n := c[findings.StatusSuppressed]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d suppressed", n))
	}
	if n := c[findings.StatusBaseline]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d in the baseline", n))
	}
	return strings.Join(parts, ", ")
}

// allNotes are the run's notes and, with a baseline, how many findings are
// new against it.
func (r report) allNotes() []string {
	notes := r.notes
	if b := r.baseline; b != nil {
		notes = append(notes[:len(notes):len(notes)], fmt.Sprintf("%d findings new against the baseline %s (%d in it)", b.New, b.File, b.Known))
	}
	return notes
}

// trackedReport is the JSON of a report with statuses: the stateless
// report's fields (findings, summary, notes) plus statusSummary and, with
// --baseline, the baseline counts. summary counts the findings that count
// (standing, neither suppressed nor in the baseline), so that a consumer
// of the stateless report reads it the same way.
type trackedReport struct {
	Findings      []findings.Tracked `json:"findings"`
	Summary       findings.Summary   `json:"summary"`
	StatusSummary map[string]int     `json:"statusSummary"`
	Baseline      *baselineSummary   `json:"baseline,omitempty"`
	Notes         []string           `json:"notes,omitempty"`
}

// writeTrackedJSON writes the report one finding at a time, as
// findings.WriteJSON does, so that a large run is not held twice.
func writeTrackedJSON(w io.Writer, r report) error {
	sc := map[string]int{}
	for st, n := range r.statusCounts() {
		sc[string(st)] = n
	}
	frame := trackedReport{Findings: []findings.Tracked{}, Summary: findings.Summarize(countingFindings(r.tracked)),
		StatusSummary: sc, Baseline: r.baseline, Notes: r.notes}
	return findings.StreamJSON(w, frame, r.tracked)
}

// writeTrackedText leads with the counts of the statuses, then lists the
// findings, each with its status (and first and last sighting with a
// state table) and the suppression that matched, and ends with the notes
// and the summary line over the findings that count.
func writeTrackedText(w io.Writer, r report) error {
	if _, err := fmt.Fprintln(w, r.lead()); err != nil {
		return err
	}
	tw := findings.NewTextTable(w)
	for _, t := range r.tracked {
		status := string(t.Status)
		if r.stateful && !t.FirstSeen.IsZero() {
			status = fmt.Sprintf("%s (first seen %s, last seen %s)", t.Status, stamp(t.FirstSeen), stamp(t.LastSeen))
		}
		extra := []findings.TextLine{{Label: "status", Value: status}}
		if s := t.Suppression; s != nil {
			extra = append(extra, findings.TextLine{Label: "suppressed", Value: s.Reason}, findings.TextLine{Label: "accepted in", Value: acceptedIn(s)})
		}
		findings.WriteTextBlock(tw, t.Finding, t.Status != findings.StatusResolved, extra...)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return findings.WriteTextSummary(w, countingFindings(r.tracked), r.allNotes())
}

// acceptedIn says where a suppression is written and until when.
func acceptedIn(s *findings.Suppression) string {
	if s.Expires != "" {
		return s.Source + ", until " + s.Expires
	}
	return s.Source
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// baselineStates maps statuses onto SARIF's baselineState: what the
// previous run (or the baseline file) did not have is "new".
var baselineStates = map[findings.Status]string{
	findings.StatusNew:      "new",
	findings.StatusReopened: "new",
	findings.StatusOpen:     "unchanged",
	findings.StatusBaseline: "unchanged",
}

// writeTrackedSARIF writes the standing findings with their status in each
// result's properties, baselineState when a state table or a baseline
// tells, and SARIF suppressions for the suppressed ones. Resolved findings
// are left out: code-scanning services close an alert whose result is no
// longer uploaded, which is what resolution means there, and would open
// one for a result listed as absent.
func writeTrackedSARIF(w io.Writer, r report) error {
	byID := make(map[string]findings.Tracked, len(r.tracked))
	for _, t := range r.tracked {
		byID[t.ID] = t
	}
	compared := r.stateful || r.baseline != nil
	return sarif.WriteAnnotated(w, standingFindings(r.tracked), func(f findings.Finding) sarif.Annotation {
		t := byID[f.ID]
		a := sarif.Annotation{Properties: map[string]any{"status": string(t.Status)}, Suppression: t.Suppression}
		if compared {
			a.BaselineState = baselineStates[t.Status]
		}
		if r.stateful && !t.FirstSeen.IsZero() {
			a.Properties["firstSeen"] = t.FirstSeen.UTC().Format(time.RFC3339Nano)
			a.Properties["lastSeen"] = t.LastSeen.UTC().Format(time.RFC3339Nano)
		}
		return a
	})
}

// emitRun reports a run's findings with pol applied and returns the exit
// code. rec is the reconciliation of a run with --state-table, nil for a
// run without, whose findings fs are each NEW unless pol suppresses them or
// its baseline lists them. With --strict-suppressions a suppression that
// matched nothing makes the run exit 2 after the report is written.
func emitRun(ctx context.Context, env *cliEnv, cmd string, out output, newOnly bool, pol *policy, fs []findings.Finding, rec *reconciled, notes ...string) int {
	r := report{cmd: cmd, output: out, newOnly: newOnly}
	if rec == nil {
		r.tracked, r.annotated = pol.apply(fs), pol.active()
	} else {
		pol.annotate(rec.standing)
		r.tracked = append(append([]findings.Tracked{}, rec.standing...), rec.resolved...)
		r.stateful = true
		notes = append(notes, rec.notes...)
	}
	r.notes = append(notes, pol.notes()...)
	r.baseline = pol.baselineSummary(r.tracked)
	code := emitReport(ctx, env, r)
	if err := pol.strictError(); err != nil {
		return usageError(env, cmd, "%v", err)
	}
	return code
}

// writeASFF writes the report's findings, resolved ones included (Security
// Hub archives them), as AWS Security Finding Format. The product's
// account and Region are --account and --region, else each finding's own;
// only when a finding names neither (a template finding, a global IAM
// resource) are the caller's account and configured Region asked for, so
// that an offline scan with both flags never needs credentials.
func writeASFF(ctx context.Context, w io.Writer, r report) error {
	opts := asff.Options{Account: r.account, Region: r.region}
	var buf bytes.Buffer
	err := asff.Write(&buf, r.tracked, opts)
	if errors.Is(err, asff.ErrNoAccount) || errors.Is(err, asff.ErrNoRegion) {
		cfg, lerr := loadAWS(ctx)
		if lerr != nil {
			return fmt.Errorf("%w (and the AWS configuration to learn it: %v)", err, lerr)
		}
		opts.DefaultRegion = cfg.Region
		if errors.Is(err, asff.ErrNoAccount) {
			who, werr := whoAmI(ctx, cfg)
			if werr != nil {
				return fmt.Errorf("%w (and %v)", err, werr)
			}
			opts.DefaultAccount, opts.Partition = who.account, who.partition
		}
		buf.Reset()
		err = asff.Write(&buf, r.tracked, opts)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
