package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Format says which form a REPORT line was written in.
type Format string

// The two forms of the line.
const (
	Text Format = "text"
	JSON Format = "json"
)

// Report is one invocation's figures.
type Report struct {
	RequestID        string
	DurationMs       float64
	BilledDurationMs float64
	MemorySizeMB     int
	MaxMemoryUsedMB  int
	// InitDurationMs is set on a cold start only.
	InitDurationMs float64
	Format         Format
}

// ErrNotReport is returned for a line that is not a REPORT line at all, so
// callers scanning a whole log can skip other lines cheaply.
var ErrNotReport = errors.New("not a REPORT line")

const maxLine = 64 * 1024

// Parse reads one log line (or log event message) in either form.
func Parse(line string) (Report, error) {
	s := strings.TrimSpace(line)
	switch {
	case len(s) > maxLine:
		return Report{}, fmt.Errorf("REPORT line of %d bytes is longer than %d", len(s), maxLine)
	case strings.HasPrefix(s, "REPORT "):
		return parseText(s)
	case strings.HasPrefix(s, "{") && strings.Contains(s, "platform.report"):
		return parseJSON(s)
	}
	return Report{}, ErrNotReport
}

// parseText reads "REPORT RequestId: id\tDuration: 12.34 ms\tBilled
// Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 45 MB\tInit
// Duration: 120.5 ms". Fields are separated by tabs in Lambda's output but
// by spaces once a console or a copy-paste has been through them, so the
// reader finds each known label rather than splitting on tabs.
func parseText(s string) (Report, error) {
	r := Report{Format: Text}
	rest := strings.TrimPrefix(s, "REPORT ")
	labels := []string{"RequestId:", "Duration:", "Billed Duration:", "Memory Size:", "Max Memory Used:", "Init Duration:",
		"Restore Duration:", "Billed Restore Duration:", "XRAY TraceId:", "SegmentId:", "Sampled:", "Status:", "Error Type:"}
	fields := map[string]string{}
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " \t")
		label := ""
		for _, l := range labels {
			if strings.HasPrefix(rest, l) && len(l) > len(label) {
				label = l
			}
		}
		if label == "" {
			// An unknown label from a future runtime: skip to the next tab.
			i := strings.IndexByte(rest, '\t')
			if i < 0 {
				break
			}
			rest = rest[i+1:]
			continue
		}
		rest = strings.TrimLeft(rest[len(label):], " ")
		end := len(rest)
		if i := strings.IndexByte(rest, '\t'); i >= 0 {
			end = i
		}
		val := rest[:end]
		// Without tabs, the value ends where the next known label starts.
		if end == len(rest) {
			cut := len(val)
			for _, l := range labels {
				if i := strings.Index(val, " "+l); i >= 0 && i < cut {
					cut = i
				}
			}
			val = val[:cut]
		}
		if _, dup := fields[label]; dup {
			return Report{}, fmt.Errorf("REPORT line repeats %q", label)
		}
		fields[label] = strings.TrimSpace(val)
		rest = rest[len(val):]
	}
	var err error
	r.RequestID = fields["RequestId:"]
	if r.DurationMs, err = unit(fields, "Duration:", "ms"); err != nil {
		return Report{}, err
	}
	if r.BilledDurationMs, err = unit(fields, "Billed Duration:", "ms"); err != nil {
		return Report{}, err
	}
	if r.MemorySizeMB, err = mb(fields, "Memory Size:"); err != nil {
		return Report{}, err
	}
	if r.MaxMemoryUsedMB, err = mb(fields, "Max Memory Used:"); err != nil {
		return Report{}, err
	}
	if _, ok := fields["Init Duration:"]; ok {
		if r.InitDurationMs, err = unit(fields, "Init Duration:", "ms"); err != nil {
			return Report{}, err
		}
	}
	return r, r.validate()
}

func unit(fields map[string]string, label, suffix string) (float64, error) {
	v, ok := fields[label]
	if !ok {
		return 0, fmt.Errorf("REPORT line lacks %q", label)
	}
	num, found := strings.CutSuffix(v, suffix)
	if !found {
		return 0, fmt.Errorf("REPORT line %q %q is not in %s", label, v, suffix)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, fmt.Errorf("REPORT line %q %q is not a non-negative number", label, v)
	}
	return f, nil
}

func mb(fields map[string]string, label string) (int, error) {
	f, err := unit(fields, label, "MB")
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f > 1<<20 {
		return 0, fmt.Errorf("REPORT line %q %v MB is not a whole size", label, f)
	}
	return int(f), nil
}

// platformReport is the JSON log format's event, as documented in the
// Lambda Telemetry API schema.
type platformReport struct {
	Type   string `json:"type"`
	Record struct {
		RequestID string `json:"requestId"`
		Metrics   struct {
			DurationMs       *float64 `json:"durationMs"`
			BilledDurationMs *float64 `json:"billedDurationMs"`
			MemorySizeMB     *float64 `json:"memorySizeMB"`
			MaxMemoryUsedMB  *float64 `json:"maxMemoryUsedMB"`
			InitDurationMs   *float64 `json:"initDurationMs"`
		} `json:"metrics"`
	} `json:"record"`
}

func parseJSON(s string) (Report, error) {
	var p platformReport
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return Report{}, fmt.Errorf("platform.report event: %w", err)
	}
	if p.Type != "platform.report" {
		return Report{}, ErrNotReport
	}
	m := p.Record.Metrics
	if m.DurationMs == nil || m.MemorySizeMB == nil || m.MaxMemoryUsedMB == nil {
		return Report{}, fmt.Errorf("platform.report event lacks durationMs, memorySizeMB or maxMemoryUsedMB")
	}
	r := Report{Format: JSON, RequestID: p.Record.RequestID, DurationMs: *m.DurationMs}
	if m.BilledDurationMs != nil {
		r.BilledDurationMs = *m.BilledDurationMs
	}
	if m.InitDurationMs != nil {
		r.InitDurationMs = *m.InitDurationMs
	}
	for _, pair := range []struct {
		v   float64
		dst *int
	}{{*m.MemorySizeMB, &r.MemorySizeMB}, {*m.MaxMemoryUsedMB, &r.MaxMemoryUsedMB}} {
		if pair.v != math.Trunc(pair.v) || pair.v < 0 || pair.v > 1<<20 {
			return Report{}, fmt.Errorf("platform.report memory %v MB is not a whole size", pair.v)
		}
		*pair.dst = int(pair.v)
	}
	return r, r.validate()
}

func (r Report) validate() error {
	for _, v := range []float64{r.DurationMs, r.BilledDurationMs, r.InitDurationMs} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("REPORT figures must be non-negative numbers")
		}
	}
	if r.MemorySizeMB <= 0 {
		return fmt.Errorf("REPORT memory size %d MB is not positive", r.MemorySizeMB)
	}
	return nil
}

// String renders r in the text form Lambda writes.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %s ms\tBilled Duration: %s ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		r.RequestID, fmtMs(r.DurationMs), fmtMs(r.BilledDurationMs), r.MemorySizeMB, r.MaxMemoryUsedMB)
	if r.InitDurationMs > 0 {
		fmt.Fprintf(&b, "Init Duration: %s ms\t", fmtMs(r.InitDurationMs))
	}
	return b.String()
}

func fmtMs(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Stats summarises many reports of one function: the peak and 99th
// percentile of memory used, which right-sizing compares with the
// configured size. Memory is a whole number of MB, so a count per MB gives
// an exact percentile in bounded memory however many lines are read.
type Stats struct {
	Count        int
	PeakMB       int
	MemorySizeMB int // the largest configured size seen
	byMB         map[int]int
}

// Add counts one report.
func (s *Stats) Add(r Report) {
	if s.byMB == nil {
		s.byMB = map[int]int{}
	}
	s.Count++
	s.byMB[r.MaxMemoryUsedMB]++
	s.PeakMB = max(s.PeakMB, r.MaxMemoryUsedMB)
	s.MemorySizeMB = max(s.MemorySizeMB, r.MemorySizeMB)
}

// Percentile returns the smallest memory figure at or above p percent of
// the reports (nearest-rank), or 0 with no reports.
func (s *Stats) Percentile(p float64) int {
	if s.Count == 0 {
		return 0
	}
	keys := make([]int, 0, len(s.byMB))
	for k := range s.byMB {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	rank := int(math.Ceil(p / 100 * float64(s.Count)))
	rank = max(1, min(rank, s.Count))
	seen := 0
	for _, k := range keys {
		seen += s.byMB[k]
		if seen >= rank {
			return k
		}
	}
	return keys[len(keys)-1]
}
