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
		line := map[string]any{
			"_aws": map[string]any{
				"Timestamp": ts,
				"CloudWatchMetrics": []any{map[string]any{
					"Namespace":  MetricNamespace,
					"Dimensions": [][]string{{"Source", "Check", "Severity"}},
					"Metrics":    []any{map[string]string{"Name": "Findings", "Unit": "Count"}},
				}},
			},
			"Source": source, "Check": k.check, "Severity": k.sev, "Findings": counts[k],
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	total := map[string]any{
		"_aws": map[string]any{
			"Timestamp": ts,
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  MetricNamespace,
				"Dimensions": [][]string{{"Source"}},
				"Metrics":    []any{map[string]string{"Name": "FindingsTotal", "Unit": "Count"}},
			}},
		},
		"Source": source, "FindingsTotal": len(fs),
	}
	return enc.Encode(total)
}
