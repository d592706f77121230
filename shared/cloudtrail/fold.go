package cloudtrail

import (
	"sync"
	"time"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// folds aggregates per-record findings as records stream: hits of one
// check on one resource by one principal within one clock hour (a
// rules.FoldKey) become one finding that counts them, bounds their event
// times and keeps a few sample event IDs. Memory grows with the number of
// folds, not of flagged records: a noisy day costs the memory of its folds.
//
// Everything a fold reports is independent of the order in which its
// records arrive: the representative (whose evidence and title the finding
// shows) is the most severe hit, then the earliest by event time and event
// ID; the samples are the earliest event IDs in the same order.
type folds struct {
	mu sync.Mutex
	m  map[rules.FoldKey]*fold
}

// fold is one aggregated finding while records stream. It keeps its
// representative hit and event, not a finding: the finding (and its
// evidence map) is built once, by findings.
type fold struct {
	rule *rules.Rule
	hit  rules.Hit
	rep  rules.Event

	n           int64
	first, last time.Time
	// samples holds at most rules.MaxSampleEventIDs distinct event IDs,
	// sorted by (time, ID).
	samples []sample
}

type sample struct {
	at time.Time
	id string
}

func (s sample) before(o sample) bool {
	if !s.at.Equal(o.at) {
		return s.at.Before(o.at)
	}
	return s.id < o.id
}

func newFolds() *folds { return &folds{m: map[rules.FoldKey]*fold{}} }

// add folds hit h of rule rl on record r.
func (fs *folds) add(rl *rules.Rule, h rules.Hit, r *record.Record) {
	e := rules.EventOf(r)
	k := rules.FoldKeyOf(rl, &h, &e)
	s := sample{e.Time, e.ID}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.m[k]
	switch {
	case f == nil:
		f = &fold{rule: rl, hit: h, rep: e, first: e.Time, last: e.Time}
		fs.m[k] = f
	case f.replacedBy(rl, &h, s):
		f.hit, f.rep = h, e
	}
	f.n++
	if !e.Time.IsZero() {
		if f.first.IsZero() || e.Time.Before(f.first) {
			f.first = e.Time
		}
		if e.Time.After(f.last) {
			f.last = e.Time
		}
	}
	if e.ID != "" {
		f.addSample(s)
	}
}

// replacedBy reports whether a hit on the event s speaks for the fold
// rather than its representative: it is more severe, or as severe and
// earlier.
func (f *fold) replacedBy(rl *rules.Rule, h *rules.Hit, s sample) bool {
	sev, cur := rl.HitSeverity(h), f.rule.HitSeverity(&f.hit)
	if sev != cur {
		return sev > cur
	}
	return s.before(sample{f.rep.Time, f.rep.ID})
}

// addSample keeps the earliest distinct samples.
func (f *fold) addSample(s sample) {
	i := 0
	for i < len(f.samples) && f.samples[i].before(s) {
		i++
	}
	if i < len(f.samples) && f.samples[i].id == s.id {
		return // the same event read twice
	}
	if i == rules.MaxSampleEventIDs {
		return
	}
	if len(f.samples) < rules.MaxSampleEventIDs {
		f.samples = append(f.samples, sample{})
	}
	copy(f.samples[i+1:], f.samples[i:])
	f.samples[i] = s
}

// findings returns the folded findings and empties the set.
func (fs *folds) findings(source string, now time.Time) []findings.Finding {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]findings.Finding, 0, len(fs.m))
	for _, f := range fs.m {
		fd := f.rule.EventFinding(f.hit, &f.rep, source, now)
		ids := make([]string, len(f.samples))
		for i, s := range f.samples {
			ids[i] = s.id
		}
		rules.SetFoldEvidence(fd.Evidence, f.n, f.first, f.last, ids)
		out = append(out, fd)
	}
	fs.m = map[rules.FoldKey]*fold{}
	return out
}
