package htmlreport

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// The chart's geometry, in SVG user units: one row per check, a label
// column, the bars, and room for the total after the longest bar.
const (
	chartLabelW = 96
	chartBarW   = 520
	chartTotalW = 48
	chartRowH   = 26
	chartBarH   = 18
	chartPad    = 6
)

type chart struct {
	Width  int
	Height int
	// Desc says in words what the bars show, for a screen reader and for
	// a reader who cannot tell the colours apart.
	Desc string
	Rows []chartRow
}

type chartRow struct {
	Check  string
	Total  int
	Y      int
	TextY  int
	TotalX string
	Bars   []bar
}

type bar struct {
	X, W     string
	Class    string
	Severity string
	N        int
}

// newChart counts findings per check, split by severity; the checks with
// the most findings come first, ties by ID.
func newChart(ts []findings.Tracked) chart {
	per := map[string]map[findings.Severity]int{}
	for _, t := range ts {
		if per[t.Check] == nil {
			per[t.Check] = map[findings.Severity]int{}
		}
		per[t.Check][t.Severity]++
	}
	total := func(id string) int {
		n := 0
		for _, c := range per[id] {
			n += c
		}
		return n
	}
	ids := make([]string, 0, len(per))
	for id := range per {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(total(b), total(a)), strings.Compare(a, b)) })

	most := 1
	if len(ids) > 0 {
		most = total(ids[0])
	}
	c := chart{Width: chartLabelW + chartBarW + chartTotalW, Height: len(ids)*chartRowH + 2*chartPad}
	var desc []string
	for i, id := range ids {
		y := chartPad + i*chartRowH
		r := chartRow{Check: id, Total: total(id), Y: y + (chartRowH-chartBarH)/2, TextY: y + chartRowH/2 + 5}
		x := float64(chartLabelW)
		var parts []string
		for _, s := range findings.Severities {
			n := per[id][s]
			if n == 0 {
				continue
			}
			w := float64(n) * chartBarW / float64(most)
			r.Bars = append(r.Bars, bar{X: num(x), W: num(w), Class: sevClass(s), Severity: s.String(), N: n})
			x += w
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
		r.TotalX = num(x + 6)
		c.Rows = append(c.Rows, r)
		desc = append(desc, fmt.Sprintf("%s: %d (%s)", id, r.Total, strings.Join(parts, ", ")))
	}
	if len(desc) == 0 {
		c.Desc = "No findings."
	} else {
		c.Desc = "Findings per check: " + strings.Join(desc, "; ") + "."
	}
	return c
}

// num prints a coordinate with at most two decimals, the same on every
// platform, so the page is byte-for-byte stable.
func num(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
