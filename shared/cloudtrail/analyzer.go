package cloudtrail

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/progress"
)

// Baseline is the memory behind CT009 and CT010; package baseline
// implements it on DynamoDB. Observe is called for every record from
// several goroutines; Flush writes what was observed and returns findings.
type Baseline interface {
	Observe(r *record.Record)
	Flush(ctx context.Context, now time.Time) ([]findings.Finding, error)
}

// WindowStore keeps CT005's per-principal counts of access errors across
// invocations: AddAccessErrors adds n to the count of the window starting
// at start and returns the new total. Without one, windows live only for
// one analysis (enough for files, not for one-event invocations).
type WindowStore interface {
	AddAccessErrors(ctx context.Context, principal string, start time.Time, n int64, apis []string) (total int64, err error)
}

// Options configure an Analyzer.
type Options struct {
	Rules rules.Config
	// Baseline enables CT009 and CT010; nil skips them and says so.
	Baseline Baseline
	// Windows keeps CT005 counts across invocations; nil keeps them in
	// memory for this analysis only.
	Windows WindowStore
	// Source is the findings' source field.
	Source string
	// Now stamps observedAt; nil means time.Now.
	Now func() time.Time
	// Workers per stream; 0 means GOMAXPROCS.
	Workers int
	// Progress hears how many bytes of the files AnalyzePaths has read.
	Progress progress.Func
}

// Analyzer runs the checks over records from any number of streams. It is
// safe for concurrent use until Finish.
type Analyzer struct {
	opts Options
	now  time.Time

	// folds holds the per-record findings, folded as they arrive.
	folds *folds

	mu     sync.Mutex
	stats  Stats
	bursts map[burstKey]*burst
	// ruleNotes are the first maxRuleNotes notes rules raised (records
	// they could not judge, rules.Hit.Note); ruleNoteCount counts them all.
	ruleNotes     []string
	ruleNoteCount int
}

// maxRuleNotes bounds the rule notes a report lists.
const maxRuleNotes = 20

type burstKey struct {
	principal string
	start     int64
}

type burst struct {
	n    int64
	apis []string
}

// maxBurstAPIs bounds the API names a burst keeps as evidence.
const maxBurstAPIs = 8

// NewAnalyzer returns an analyzer; zero Rules fields take the defaults.
func NewAnalyzer(opts Options) *Analyzer {
	def := rules.DefaultConfig()
	if opts.Rules.BurstThreshold <= 0 {
		opts.Rules.BurstThreshold = def.BurstThreshold
	}
	if opts.Rules.BurstWindow <= 0 {
		opts.Rules.BurstWindow = def.BurstWindow
	}
	if opts.Rules.PipelineServices == nil {
		opts.Rules.PipelineServices = def.PipelineServices
	}
	if opts.Source == "" {
		opts.Source = "selfaudit"
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	return &Analyzer{opts: opts, now: now().UTC(), folds: newFolds(), bursts: map[burstKey]*burst{}}
}

// Handle evaluates one record; it is a RecordFunc for Read. Its findings
// fold into those of the same check, resource, principal and hour.
func (a *Analyzer) Handle(_ context.Context, r *record.Record) error {
	rules.EachHit(&a.opts.Rules, r, func(rl *rules.Rule, h rules.Hit) {
		if h.Note != "" {
			a.note(h.Note)
			return
		}
		a.folds.add(rl, h, r)
	})
	if a.opts.Baseline != nil {
		a.opts.Baseline.Observe(r)
	}
	if rules.IsAccessError(r) {
		a.mu.Lock()
		defer a.mu.Unlock()
		w := a.opts.Rules.BurstWindow
		k := burstKey{principal: r.Principal(), start: r.EventTime.Truncate(w).Unix()}
		b := a.bursts[k]
		if b == nil {
			b = &burst{}
			a.bursts[k] = b
		}
		b.n++
		if len(b.apis) < maxBurstAPIs && !containsStr(b.apis, r.EventName) {
			b.apis = append(b.apis, r.EventName)
		}
	}
	return nil
}

// note keeps a rule's note for the report.
func (a *Analyzer) note(n string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ruleNoteCount++
	if len(a.ruleNotes) < maxRuleNotes {
		a.ruleNotes = append(a.ruleNotes, n)
	}
}

func containsStr(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// Read streams one input into the analyzer and adds its statistics.
func (a *Analyzer) Read(ctx context.Context, r io.Reader, name string) error {
	st, err := Read(ctx, r, name, a.Handle, ReadOptions{Workers: a.opts.Workers})
	a.mu.Lock()
	a.stats.Add(st)
	a.mu.Unlock()
	return err
}

// AddRecord evaluates one record that arrived already decoded (an
// EventBridge event's detail) and counts it.
func (a *Analyzer) AddRecord(ctx context.Context, raw []byte, name string) error {
	var rec record.Record
	st := Stats{Files: 0}
	if err := unwrap(kindObject, raw, &rec); err != nil {
		if err == errUnknown {
			st.Unknown++
		} else {
			st.Malformed++
			st.Problems = []string{name + ": " + err.Error()}
		}
		a.mu.Lock()
		a.stats.Add(st)
		a.mu.Unlock()
		return nil
	}
	st.Records = 1
	a.mu.Lock()
	a.stats.Add(st)
	a.mu.Unlock()
	return a.Handle(ctx, &rec)
}

// Finish closes the windows, flushes the baseline and returns the findings
// (per-record ones folded by check, resource, principal and hour; sorted,
// deduplicated by ID), the statistics and notes for the report.
func (a *Analyzer) Finish(ctx context.Context) ([]findings.Finding, Stats, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.folds.findings(a.opts.Source, a.now)
	burstFs, err := a.closeBursts(ctx)
	if err != nil {
		return nil, a.stats, err
	}
	out = append(out, burstFs...)
	st := a.stats
	if a.opts.Baseline != nil {
		bfs, err := a.opts.Baseline.Flush(ctx, a.now)
		if err != nil {
			return nil, st, fmt.Errorf("update CloudTrail baselines: %w", err)
		}
		out = append(out, bfs...)
	} else {
		st.Notes = append(st.Notes, "CT009 and CT010 skipped: they compare principals with their DynamoDB baselines; pass --table NAME (or set BASELINE_TABLE) to enable them")
	}
	st.Notes = append(st.Notes, a.ruleNotes...)
	if more := a.ruleNoteCount - len(a.ruleNotes); more > 0 {
		st.Notes = append(st.Notes, fmt.Sprintf("%d more records could not be judged (notes above show the first %d)", more, len(a.ruleNotes)))
	}
	if st.Malformed > 0 || st.Unknown > 0 {
		st.Notes = append(st.Notes, fmt.Sprintf("%d malformed and %d unknown items skipped out of %d read", st.Malformed, st.Unknown, st.Records+st.Malformed+st.Unknown))
		for _, p := range st.Problems {
			st.Notes = append(st.Notes, "skipped: "+p)
		}
	}
	out = findings.Dedupe(out)
	findings.Sort(out)
	return out, st, nil
}

// closeBursts turns window counts into CT005 findings: a window reports once,
// when its count crosses the threshold (with a WindowStore, counting what
// earlier invocations added).
func (a *Analyzer) closeBursts(ctx context.Context) ([]findings.Finding, error) {
	keys := make([]burstKey, 0, len(a.bursts))
	for k := range a.bursts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].principal != keys[j].principal {
			return keys[i].principal < keys[j].principal
		}
		return keys[i].start < keys[j].start
	})
	cfg := &a.opts.Rules
	threshold := int64(cfg.BurstThreshold)
	var out []findings.Finding
	for _, k := range keys {
		b := a.bursts[k]
		start := time.Unix(k.start, 0).UTC()
		total := b.n
		if a.opts.Windows != nil {
			t, err := a.opts.Windows.AddAccessErrors(ctx, k.principal, start, b.n, b.apis)
			if err != nil {
				return nil, fmt.Errorf("count access errors of %s: %w", k.principal, err)
			}
			total = t
			if total-b.n >= threshold {
				continue // already reported by an earlier invocation
			}
		}
		if total < threshold {
			continue
		}
		res := k.principal
		if res == "" {
			res = "unknown-principal"
		}
		h := rules.Hit{Resource: res, Key: start.Format(time.RFC3339), Evidence: map[string]any{
			"principal": k.principal, "accessErrors": total, "windowStart": start.Format(time.RFC3339),
			"window": cfg.BurstWindow.String(), "threshold": threshold, "apis": b.apis,
		}}
		out = append(out, rules.CT005.Finding(h, nil, a.opts.Source, a.now))
	}
	a.bursts = map[burstKey]*burst{}
	return out, nil
}

// inputExts are the file names AnalyzePaths reads inside folders.
var inputExts = []string{".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".gz"}

// ExpandPaths lists the input files under paths: files as given, folders
// walked for JSON, JSON lines and gzip files, in a stable order.
func ExpandPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			for _, e := range inputExts {
				if strings.HasSuffix(d.Name(), e) {
					out = append(out, path)
					break
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return out, nil
}

// AnalyzePaths is the offline analysis used by `selfaudit trail` and
// `selfaudit audit`: it reads every CloudTrail file under paths (files or
// folders; S3 log files, EventBridge events, JSON lines or LookupEvents
// pages, gzip or plain), runs the checks and returns the findings and the
// statistics, whose Notes say what was skipped. Without opts.Baseline,
// CT009 and CT010 are skipped. A path that cannot be opened is an error;
// malformed content is not.
func AnalyzePaths(ctx context.Context, paths []string, opts Options) ([]findings.Finding, Stats, error) {
	files, err := ExpandPaths(paths)
	if err != nil {
		return nil, Stats{}, err
	}
	a := NewAnalyzer(opts)
	var read *readCounter
	if opts.Progress != nil {
		read = newReadCounter(files, opts.Progress)
	}
	// Two files at a time keep both cores busy when one file's
	// decompression is the bottleneck; more would only add memory.
	par := min(2, runtime.GOMAXPROCS(0))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var firstErr error
	var errMu sync.Mutex
	for _, f := range files {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := a.readFile(ctx, f, read); err != nil {
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, a.stats, firstErr
	}
	return a.Finish(ctx)
}

func (a *Analyzer) readFile(ctx context.Context, path string, read *readCounter) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	if read == nil {
		return a.Read(ctx, f, path)
	}
	defer read.fileDone()
	return a.Read(ctx, read.wrap(f), path)
}

// readCounter counts the bytes read of the files of AnalyzePaths for its
// Progress: done and total in bytes as stored (compressed or not), which
// is what the reading takes time over.
type readCounter struct {
	report      progress.Func
	total       int64
	files       int64
	done, fdone atomic.Int64
}

func newReadCounter(files []string, report progress.Func) *readCounter {
	c := &readCounter{report: report, files: int64(len(files))}
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			c.total += st.Size()
		}
	}
	return c
}

func (c *readCounter) wrap(r io.Reader) io.Reader { return countingReader{r: r, c: c} }

func (c *readCounter) fileDone() {
	n := c.fdone.Add(1)
	c.send(c.done.Load(), n)
}

func (c *readCounter) send(done, files int64) {
	c.report.Report(progress.Update{Done: done, Total: c.total, Unit: "bytes",
		Detail: fmt.Sprintf("%d of %d files", files, c.files)})
}

type countingReader struct {
	r io.Reader
	c *readCounter
}

func (cr countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	if n > 0 {
		cr.c.send(cr.c.done.Add(int64(n)), cr.c.fdone.Load())
	}
	return n, err
}
