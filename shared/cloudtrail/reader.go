package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
)

// Detail types of CloudTrail events that EventBridge delivers. Each carries
// a CloudTrail record in its detail.
var cloudTrailDetailTypes = map[string]bool{
	"AWS API Call via CloudTrail":        true,
	"AWS Console Sign In via CloudTrail": true,
	"AWS Console Action via CloudTrail":  true,
	"AWS Service Event via CloudTrail":   true,
	"AWS Insight via CloudTrail":         false,
}

// maxProblems bounds how many problem descriptions Stats keeps; the counts
// are always complete.
const maxProblems = 20

// Stats counts what a read saw. Malformed and unknown items are counted
// and described, never fatal: one bad record must not hide the rest of a
// file.
type Stats struct {
	Files     int64 `json:"files"`
	Records   int64 `json:"records"`
	Malformed int64 `json:"malformed"`
	// Unknown counts well-formed JSON that is not a CloudTrail record, for
	// example an EventBridge event of another detail type.
	Unknown  int64    `json:"unknown"`
	Problems []string `json:"problems,omitempty"`
	// Notes are sentences about the run for the report (checks skipped,
	// items skipped), filled in by Analyzer.Finish.
	Notes []string `json:"notes,omitempty"`
}

// Add merges o into s.
func (s *Stats) Add(o Stats) {
	s.Files += o.Files
	s.Records += o.Records
	s.Malformed += o.Malformed
	s.Unknown += o.Unknown
	for _, p := range o.Problems {
		if len(s.Problems) >= maxProblems {
			break
		}
		s.Problems = append(s.Problems, p)
	}
}

// counters is Stats shared by concurrent workers.
type counters struct {
	records, malformed, unknown atomic.Int64
	mu                          sync.Mutex
	problems                    []string
}

func (c *counters) problem(name, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.problems) < maxProblems {
		c.problems = append(c.problems, name+": "+reason)
	}
}

func (c *counters) stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Records: c.records.Load(), Malformed: c.malformed.Load(), Unknown: c.unknown.Load(), Problems: append([]string(nil), c.problems...)}
}

// RecordFunc is what Read calls with each record. It is called from several
// goroutines at once and must not keep r after it returns: the record is
// reused.
type RecordFunc func(ctx context.Context, r *record.Record) error

// ReadOptions tune Read.
type ReadOptions struct {
	// Workers parse and evaluate records in parallel with decompression;
	// 0 means GOMAXPROCS.
	Workers int
}

// batchBytes is the size of the batches of raw items handed to workers:
// large enough that channel hand-offs cost nothing per record, small enough
// that the items in flight stay a few megabytes.
const batchBytes = 256 << 10

type batch struct {
	data  []byte
	ends  []int
	kinds []itemKind
}

var batchPool = sync.Pool{New: func() any { return &batch{data: make([]byte, 0, batchBytes+64<<10)} }}

// Read streams every record of r (any accepted format, gzip or plain) to h.
// name labels problems (a file name or S3 URI). Malformed and unknown items
// are counted in the returned Stats; only an unreadable stream, a handler
// error or a cancelled context make it return an error, and records before
// that point have been delivered.
func Read(ctx context.Context, r io.Reader, name string, h RecordFunc, opts ReadOptions) (Stats, error) {
	dec, closeFn, err := openReader(r)
	if err != nil {
		return Stats{Files: 1, Malformed: 1, Problems: []string{name + ": " + err.Error()}}, nil
	}
	defer closeFn()

	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var cnt counters
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	work := make(chan *batch, workers*2)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rec record.Record
			for b := range work {
				start := 0
				for i, end := range b.ends {
					if ctx.Err() == nil {
						if err := deliver(ctx, b.kinds[i], b.data[start:end], &rec, name, &cnt, h); err != nil {
							cancel(err)
						}
					}
					start = end
				}
				b.data, b.ends, b.kinds = b.data[:0], b.ends[:0], b.kinds[:0]
				batchPool.Put(b)
			}
		}()
	}

	cur := batchPool.Get().(*batch)
	flush := func() error {
		if len(cur.ends) == 0 {
			return nil
		}
		select {
		case work <- cur:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		cur = batchPool.Get().(*batch)
		return nil
	}
	sp := newSplitter(dec)
	splitErr := sp.run(func(kind itemKind, raw []byte) error {
		if len(cur.data)+len(raw) > batchBytes && len(cur.ends) > 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		cur.data = append(cur.data, raw...)
		cur.ends = append(cur.ends, len(cur.data))
		cur.kinds = append(cur.kinds, kind)
		return nil
	}, func(reason string) {
		cnt.malformed.Add(1)
		cnt.problem(name, reason)
	})
	// Items framed before a structural error are still delivered.
	if err := flush(); err != nil && splitErr == nil {
		splitErr = err
	}
	close(work)
	wg.Wait()

	st := cnt.stats()
	st.Files = 1
	if cause := context.Cause(ctx); cause != nil {
		return st, fmt.Errorf("read CloudTrail records from %s: %w", name, cause)
	}
	if splitErr != nil {
		// The rest of the stream cannot be framed: count it as one
		// malformed item and keep what was read.
		st.Malformed++
		if len(st.Problems) < maxProblems {
			st.Problems = append(st.Problems, fmt.Sprintf("%s: %v (rest of file skipped)", name, splitErr))
		}
	}
	return st, nil
}

// deliver unwraps one raw item and hands the record to h.
func deliver(ctx context.Context, kind itemKind, raw []byte, rec *record.Record, name string, cnt *counters, h RecordFunc) error {
	err := unwrap(kind, raw, rec)
	switch {
	case errors.Is(err, errUnknown), errors.Is(err, record.ErrNotRecord):
		cnt.unknown.Add(1)
		return nil
	case err != nil:
		cnt.malformed.Add(1)
		cnt.problem(name, err.Error())
		return nil
	}
	cnt.records.Add(1)
	return h(ctx, rec)
}

var errUnknown = errors.New("not a CloudTrail record, envelope or LookupEvents result")

// unwrap turns one framed item into a record.
func unwrap(kind itemKind, raw []byte, rec *record.Record) error {
	switch kind {
	case kindRecord:
		return record.ParseInto(rec, raw)
	case kindLookupEvent:
		return unwrapLookup(raw, rec)
	}
	// A top-level object: an EventBridge envelope, a lone record, or a
	// single LookupEvents event.
	var detailType string
	var detail, ctEvent []byte
	isRecord := false
	err := record.EachMember(raw, func(k, v []byte) error {
		switch string(k) {
		case "detail-type":
			s, err := record.Unquote(v)
			if err != nil {
				return err
			}
			detailType = s
		case "detail":
			detail = v
		case "CloudTrailEvent":
			ctEvent = v
		case "eventName", "eventSource":
			isRecord = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	switch {
	case detailType != "":
		if !cloudTrailDetailTypes[detailType] || len(detail) == 0 {
			return errUnknown
		}
		if err := record.ParseInto(rec, detail); err != nil {
			return fmt.Errorf("EventBridge %q detail: %w", detailType, err)
		}
		return nil
	case isRecord:
		return record.ParseInto(rec, raw)
	case ctEvent != nil:
		return unwrapLookup(raw, rec)
	}
	return errUnknown
}

// unwrapLookup reads a LookupEvents Event: the record is the JSON text in
// its CloudTrailEvent string.
func unwrapLookup(raw []byte, rec *record.Record) error {
	var text string
	found := false
	err := record.EachMember(raw, func(k, v []byte) error {
		if string(k) == "CloudTrailEvent" {
			s, err := record.Unquote(v)
			if err != nil {
				return err
			}
			text, found = s, true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("malformed LookupEvents event: %w", err)
	}
	if !found {
		return errUnknown
	}
	if err := record.ParseInto(rec, []byte(text)); err != nil {
		return fmt.Errorf("LookupEvents CloudTrailEvent: %w", err)
	}
	return nil
}

// unescapeKey decodes a quoted member name with escapes; a name that does
// not decode is used raw, which at worst fails to match a known key.
func unescapeKey(raw []byte) string {
	s, err := record.Unquote(raw)
	if err != nil {
		return string(raw)
	}
	return s
}
