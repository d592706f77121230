package orgaudit

import (
	"encoding/json"
	"io"
	"time"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// The metrics of a completed run (namespace findings.MetricNamespace, no
// dimension), which the stack's dashboard graphs as coverage per run.
const (
	MetricOrgAccounts        = "OrgAccounts"
	MetricOrgAccountsCovered = "OrgAccountsCovered"
	MetricOrgUnitsDone       = "OrgUnitsDone"
	MetricOrgUnitsNotCovered = "OrgUnitsNotCovered"
	MetricOrgUnitsLost       = "OrgUnitsLost"
)

// WriteCoverageEMF writes a run's coverage as one Embedded Metric Format
// line, zeros included, so that a run that lost nothing reads 0 rather
// than no data.
func WriteCoverageEMF(w io.Writer, cov Coverage, now time.Time) error {
	names := []string{MetricOrgAccounts, MetricOrgAccountsCovered, MetricOrgUnitsDone, MetricOrgUnitsNotCovered, MetricOrgUnitsLost}
	defs := make([]any, 0, len(names))
	for _, n := range names {
		defs = append(defs, map[string]string{"Name": n, "Unit": "Count"})
	}
	return json.NewEncoder(w).Encode(map[string]any{
		"_aws": map[string]any{
			"Timestamp":         now.UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{"Namespace": findings.MetricNamespace, "Dimensions": [][]string{{}}, "Metrics": defs}},
		},
		"run":                    cov.Run,
		MetricOrgAccounts:        cov.Accounts,
		MetricOrgAccountsCovered: cov.AccountsCovered,
		MetricOrgUnitsDone:       cov.Done,
		MetricOrgUnitsNotCovered: cov.NotCovered,
		MetricOrgUnitsLost:       cov.Lost,
	})
}
