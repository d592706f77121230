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
// folds, not of flagged records, so a noisy day costs what a quiet one does.
//
// Everything a fold reports is independent of the order in which its
// records arrive: the representative (whose evidence and title the finding
// shows) is the most severe hit, then the earliest by event time and event
// ID; the samples are the earliest event IDs in the same order.
type folds struct {
	mu sync.Mutex
	m  map[rules.FoldKey]*fold
}

// fold is one aggregated finding while records stream.
type fold struct {
	// finding is the representative's finding, ID already the fold's.
	finding findings.Finding
	// repTime and repID place the representative in the order above.
	repTime time.Time
	repID   string

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

// add folds hit h of rule rl on record r. build makes the hit's finding;
// it is called only when the hit starts a fold or becomes its
// representative.
func (fs *folds) add(rl *rules.Rule, h rules.Hit, r *record.Record, build func() findings.Finding) {
	k := rules.FoldKeyOf(rl, &h, r)
	sev := rl.Severity
	if h.Severity != 0 {
		sev = h.Severity
	}
	at := r.EventTime
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.m[k]
	if f == nil {
		f = &fold{finding: build(), repTime: at, repID: r.EventID, first: at, last: at}
		fs.m[k] = f
	} else if sev > f.finding.Severity || sev == f.finding.Severity && (sample{at, r.EventID}).before(sample{f.repTime, f.repID}) {
		f.finding = build()
		f.repTime, f.repID = at, r.EventID
	}
	f.n++
	if !at.IsZero() {
		if f.first.IsZero() || at.Before(f.first) {
			f.first = at
		}
		if at.After(f.last) {
			f.last = at
		}
	}
	if r.EventID != "" {
		f.addSample(sample{at, r.EventID})
	}
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

// findings returns the folded findings, their evidence completed, and
// empties the set.
func (fs *folds) findings() []findings.Finding {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]findings.Finding, 0, len(fs.m))
	for _, f := range fs.m {
		ids := make([]string, len(f.samples))
		for i, s := range f.samples {
			ids[i] = s.id
		}
		rules.SetFoldEvidence(f.finding.Evidence, f.n, f.first, f.last, ids)
		out = append(out, f.finding)
	}
	fs.m = map[rules.FoldKey]*fold{}
	return out
}
