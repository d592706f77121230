package findings

import (
	"encoding/json"
	"io"
	"sort"
	"time"
)

// MetricNamespace is the CloudWatch namespace of selfaudit's own metrics.
const MetricNamespace = "Selfaudit"

// WriteEMF writes one CloudWatch Embedded Metric Format line per (check,
// severity) pair with the count of findings, plus a total per source. Lambda
// forwards stdout to CloudWatch Logs, which turns these lines into metrics:
// no PutMetricData calls, no extra permissions, no added latency.
// A run with no findings still writes a zero total so alarms on "no data"
// can tell a silent scanner from a clean one.
func WriteEMF(w io.Writer, source string, fs []Finding, now time.Time) error {
	type key struct{ check, sev string }
	counts := map[key]int{}
	for _, f := range fs {
		counts[key{f.Check, f.Severity.String()}]++
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].check != keys[j].check {
			return keys[i].check < keys[j].check
		}
		return keys[i].sev < keys[j].sev
	})
	enc := json.NewEncoder(w)
	ts := now.UnixMilli()
	for _, k := range keys {
		line := emfLine(ts, [][]string{{"Source", "Check", "Severity"}}, []string{"Findings"},
			map[string]any{"Source": source, "Check": k.check, "Severity": k.sev, "Findings": counts[k]})
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	total := emfLine(ts, [][]string{{"Source"}}, []string{"FindingsTotal"}, map[string]any{"Source": source, "FindingsTotal": len(fs)})
	return enc.Encode(total)
}

// The metrics of a run that keeps state (StatusMetrics), in MetricNamespace.
// Each is written twice: per Source, and over every source (MetricOpen by
// Severity only, the counts with no dimension), which is what the stack's
// dashboard reads, since CloudWatch matches a metric by its exact set of
// dimensions.
const (
	// MetricOpen is a gauge: the findings standing after a run over a
	// whole scope, per severity, suppressed ones left out. Read it with
	// the Maximum (or Average) statistic.
	MetricOpen = "OpenFindings"
	// MetricNew, MetricReopened, MetricResolved and MetricSeverityChanged
	// count the changes a run announced; Sum them per day.
	MetricNew             = "NewFindings"
	MetricReopened        = "ReopenedFindings"
	MetricResolved        = "ResolvedFindings"
	MetricSeverityChanged = "SeverityChangedFindings"
)

// StatusMetrics is what a run that keeps state reports beside its finding
// counts.
type StatusMetrics struct {
	// Open counts the findings standing after the run by severity. Nil
	// leaves the gauge out: a targeted run sees only part of its scope,
	// and a run whose store failed does not know.
	Open Summary `json:"open,omitempty"`
	// The changes the run announced, by kind.
	New             int `json:"new"`
	Reopened        int `json:"reopened"`
	Resolved        int `json:"resolved"`
	SeverityChanged int `json:"severityChanged"`
}

// WriteStatusEMF writes a run's StatusMetrics as Embedded Metric Format
// lines: one per severity for the gauge (zeros included, so that the gauge
// falls to zero when the last finding is fixed), and one with the counts
// of changes, zeros included, so that a quiet day reads 0 rather than no
// data.
func WriteStatusEMF(w io.Writer, source string, m StatusMetrics, now time.Time) error {
	enc := json.NewEncoder(w)
	ts := now.UnixMilli()
	if m.Open != nil {
		for _, sev := range Severities {
			line := emfLine(ts, [][]string{{"Source", "Severity"}, {"Severity"}}, []string{MetricOpen},
				map[string]any{"Source": source, "Severity": sev.String(), MetricOpen: m.Open[sev.String()]})
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
	}
	return enc.Encode(emfLine(ts, [][]string{{"Source"}, {}}, []string{MetricNew, MetricReopened, MetricResolved, MetricSeverityChanged},
		map[string]any{"Source": source, MetricNew: m.New, MetricReopened: m.Reopened, MetricResolved: m.Resolved, MetricSeverityChanged: m.SeverityChanged}))
}

// MetricSuppressed counts the findings a run saw that a suppression
// accepts: never announced, and left out of Findings and FindingsTotal, so
// that an alarm on those does not fire for an accepted risk, yet counted,
// so that accepted risks do not disappear from view.
const MetricSuppressed = "SuppressedFindings"

// WriteSuppressedEMF writes the number of suppressed findings of a run, per
// Source and over every source, zero included: a run with suppressions
// configured writes it every time.
func WriteSuppressedEMF(w io.Writer, source string, n int, now time.Time) error {
	return json.NewEncoder(w).Encode(emfLine(now.UnixMilli(), [][]string{{"Source"}, {}}, []string{MetricSuppressed},
		map[string]any{"Source": source, MetricSuppressed: n}))
}

// emfLine is one Embedded Metric Format line: fields (the dimension values
// and the metric values, by name) with the _aws block that tells
// CloudWatch which of them are metrics (counts, in MetricNamespace) and
// under which sets of dimensions to record them.
func emfLine(ts int64, dimensions [][]string, metrics []string, fields map[string]any) map[string]any {
	defs := make([]any, 0, len(metrics))
	for _, n := range metrics {
		defs = append(defs, map[string]string{"Name": n, "Unit": "Count"})
	}
	fields["_aws"] = map[string]any{
		"Timestamp": ts,
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  MetricNamespace,
			"Dimensions": dimensions,
			"Metrics":    defs,
		}},
	}
	return fields
}
