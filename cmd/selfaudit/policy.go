package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/selfaudit/selfaudit/shared/cfntemplate"
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/suppress"
)

// defaultConfig is the suppression file a command reads when --config is
// not given and the file exists in the working directory.
const defaultConfig = "selfaudit.yaml"

// policyFlags are --config, --baseline and --strict-suppressions: what a
// command applies to its findings before it reports them.
type policyFlags struct {
	config, baseline string
	strict           bool
}

func (p *policyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.config, "config", "", "suppression file (default ./"+defaultConfig+" when it exists): a suppressed finding is reported SUPPRESSED and never fails the run")
	fs.StringVar(&p.baseline, "baseline", "", "an earlier --format json output: findings whose id is in it are reported BASELINE and do not fail the run")
	fs.BoolVar(&p.strict, "strict-suppressions", false, "a suppression that matches no finding is an error (exit 2), not a note")
}

// policy is the suppressions and the baseline of one run.
type policy struct {
	rules []suppress.Rule
	// scope lists the checks the command can report, so that a shared
	// file's suppressions for other engines are not called unused.
	scope   []string
	strict  bool
	today   time.Time
	matcher *suppress.Matcher
	matches map[string]suppress.Match
	// baseline holds the ids of the baseline file; nil without one.
	baseline     map[string]bool
	baselineFile string
}

// load reads the suppression file and the baseline. engines are those the
// command runs. Every problem is one line naming the file.
func (p *policyFlags) load(engines ...checks.Engine) (*policy, error) {
	pol := &policy{strict: p.strict, today: time.Now().UTC()}
	for _, e := range engines {
		for _, c := range checks.ByEngine(e) {
			pol.scope = append(pol.scope, c.ID)
		}
	}
	path := p.config
	if path == "" {
		if _, err := os.Stat(defaultConfig); err == nil {
			path = defaultConfig
		}
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--config %s: %v", path, unwrapPath(err))
		}
		if pol.rules, err = suppress.Parse(path, data, suppress.Options{}); err != nil {
			return nil, err
		}
	}
	if p.baseline != "" {
		ids, err := readBaseline(p.baseline)
		if err != nil {
			return nil, err
		}
		pol.baseline, pol.baselineFile = ids, p.baseline
	}
	return pol, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readBaseline reads the ids of an earlier --format json output, with or
// without --state-table (both list findings with their id). A finding
// listed RESOLVED there was gone then: seen again, it is new.
func readBaseline(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--baseline %s: %v", path, unwrapPath(err))
	}
	var rep struct {
		Findings *[]struct {
			ID     string          `json:"id"`
			Status findings.Status `json:"status"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("--baseline %s: not a selfaudit --format json output: malformed JSON at byte %d: %v", path, se.Offset, se)
		}
		return nil, fmt.Errorf("--baseline %s: not a selfaudit --format json output: %v", path, err)
	}
	if rep.Findings == nil {
		return nil, fmt.Errorf("--baseline %s: not a selfaudit --format json output: no findings list", path)
	}
	ids := make(map[string]bool, len(*rep.Findings))
	for i, f := range *rep.Findings {
		if f.ID == "" {
			return nil, fmt.Errorf("--baseline %s: finding %d has no id", path, i+1)
		}
		if f.Status != findings.StatusResolved {
			ids[f.ID] = true
		}
	}
	return ids, nil
}

// addTemplates adds the suppressions in the Metadata of the templates
// among paths (the files a scan read).
func (pol *policy) addTemplates(paths []string) error {
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%s: %v", p, unwrapPath(err))
		}
		f, err := cfntemplate.Load(p, data)
		if err != nil {
			return err
		}
		rules, err := suppress.FromTemplate(p, f, suppress.Options{})
		if err != nil {
			return err
		}
		pol.rules = append(pol.rules, rules...)
	}
	return nil
}

// active reports whether the run reports statuses without a state table:
// it has suppressions or a baseline.
func (pol *policy) active() bool {
	return pol != nil && (len(pol.rules) > 0 || pol.baseline != nil)
}

// decide matches every finding once, so that the store, the report and the
// notes agree (and an expired suppression is noted once per finding).
func (pol *policy) decide(fs []findings.Finding) {
	if pol == nil {
		return
	}
	if pol.matcher == nil {
		pol.matcher = suppress.NewMatcher(pol.rules, pol.scope)
		pol.matches = map[string]suppress.Match{}
	}
	for _, f := range fs {
		if _, done := pol.matches[f.ID]; !done {
			pol.matches[f.ID] = pol.matcher.Match(f, pol.today)
		}
	}
}

// suppressed is the finding store's question (Store.Suppressed), answered
// from decide.
func (pol *policy) suppressed(f findings.Finding) bool {
	return pol != nil && pol.matches[f.ID].Rule != nil
}

// annotate gives the run's standing findings their report status: the
// suppression that matched, or BASELINE when the baseline lists them.
// Resolved findings stay RESOLVED.
func (pol *policy) annotate(ts []findings.Tracked) {
	if pol == nil {
		return
	}
	for i := range ts {
		t := &ts[i]
		if t.Status == findings.StatusResolved {
			continue
		}
		if m := pol.matches[t.ID]; m.Rule != nil {
			t.Status, t.Suppression = findings.StatusSuppressed, m.Suppression()
			continue
		}
		if pol.baseline[t.ID] {
			t.Status = findings.StatusBaseline
		}
	}
}

// apply is decide and annotate for a run without a state table: every
// finding NEW unless suppressed or in the baseline.
func (pol *policy) apply(fs []findings.Finding) []findings.Tracked {
	pol.decide(fs)
	ts := findings.AsNew(fs)
	pol.annotate(ts)
	return ts
}

// baselineSummary is what the report says about the baseline.
type baselineSummary struct {
	File string `json:"file"`
	// Known counts the run's findings the baseline lists, New those it
	// does not (suppressed ones apart).
	Known int `json:"known"`
	New   int `json:"new"`
}

func (pol *policy) baselineSummary(ts []findings.Tracked) *baselineSummary {
	if pol == nil || pol.baseline == nil {
		return nil
	}
	s := &baselineSummary{File: pol.baselineFile}
	for _, t := range ts {
		switch t.Status {
		case findings.StatusBaseline:
			s.Known++
		case findings.StatusResolved, findings.StatusSuppressed:
		default:
			s.New++
		}
	}
	return s
}

// notes are the suppressions that expired or matched nothing; with
// --strict-suppressions the unused ones are an error instead.
func (pol *policy) notes() []string {
	if pol == nil || pol.matcher == nil {
		return nil
	}
	return pol.matcher.Notes()
}

// strictError is the error of --strict-suppressions: the first suppression
// that matched nothing, and how many more.
func (pol *policy) strictError() error {
	if pol == nil || !pol.strict {
		return nil
	}
	if pol.matcher == nil {
		pol.decide(nil)
	}
	unused := pol.matcher.Unused()
	if len(unused) == 0 {
		return nil
	}
	msg := suppress.UnusedNote(unused[0])
	if n := len(unused) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return errors.New(msg + " (--strict-suppressions)")
}
