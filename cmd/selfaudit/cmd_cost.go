package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/selfaudit/selfaudit/shared/cost"
)

func init() {
	register("cost", command{summary: "estimate the monthly cost of a Lambda function", run: runCost})
}

const costSynopsis = "--memory MB[,MB...] --duration D[,D...] (--invocations N | --tps N) [--arch x86_64|arm64] [--log-kb K] [--days 30] [--legacy-100ms] [--free-tier] [--format text|json]"

func runCost(_ context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "cost", costSynopsis)
	memory := fs.String("memory", "", "memory size in MB, or a comma-separated list for a grid")
	duration := fs.String("duration", "", "mean duration per invocation (800ms, 1.5s; a bare number is milliseconds), or a list for a grid")
	invocations := fs.String("invocations", "", "requests in the period (3000000, 3e6, 3M)")
	tps := fs.Float64("tps", 0, "steady requests per second, instead of --invocations")
	arch := fs.String("arch", "x86_64", "architecture: x86_64 or arm64")
	logKB := fs.Float64("log-kb", 0, "CloudWatch Logs KB written per invocation")
	days := fs.Float64("days", cost.DaysPerMonth, "length of the period in days")
	legacy := fs.Bool("legacy-100ms", false, "round each invocation up to 100 ms, as Lambda billed before December 2020")
	freeTier := fs.Bool("free-tier", false, "subtract the monthly free tier, prorated to --days")
	format := fs.String("format", "text", "output format: text or json")
	if done, code := parseFlags(env, fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(env, "cost", "unexpected argument %q", fs.Arg(0))
	}
	if *format != "text" && *format != "json" {
		return usageError(env, "cost", "unknown format %q (want text or json)", *format)
	}
	if *memory == "" || *duration == "" {
		return usageError(env, "cost", "--memory and --duration are required")
	}
	mems, err := parseMemoryList(*memory)
	if err != nil {
		return usageError(env, "cost", "--memory: %v", err)
	}
	durs, err := parseDurationList(*duration)
	if err != nil {
		return usageError(env, "cost", "--duration: %v", err)
	}
	a, err := cost.ParseArch(*arch)
	if err != nil {
		return usageError(env, "cost", "--arch: %v", err)
	}
	if !(*days > 0) || math.IsInf(*days, 0) {
		return usageError(env, "cost", "--days must be a positive number of days")
	}
	if *logKB < 0 || math.IsNaN(*logKB) {
		return usageError(env, "cost", "--log-kb must not be negative")
	}
	var n float64
	switch {
	case *invocations != "" && *tps != 0:
		return usageError(env, "cost", "give --invocations or --tps, not both")
	case *invocations != "":
		if n, err = parseCount(*invocations); err != nil {
			return usageError(env, "cost", "--invocations: %v", err)
		}
	case *tps > 0 && !math.IsInf(*tps, 0):
		n = cost.InvocationsForTPS(*tps, *days)
	case *tps != 0:
		return usageError(env, "cost", "--tps must be a positive rate")
	default:
		return usageError(env, "cost", "one of --invocations or --tps is required")
	}
	base := cost.Workload{Invocations: n, Arch: a, LogBytes: *logKB * cost.KiB * n, Days: *days}
	opt := cost.Options{Legacy100ms: *legacy, FreeTier: *freeTier}
	grid, err := cost.Default().Grid(base, mems, durs, opt)
	if err != nil {
		return usageError(env, "cost", "%v", err)
	}
	if *format == "json" {
		err = writeCostJSON(env.stdout, grid)
	} else {
		err = writeCostText(env.stdout, grid)
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "selfaudit cost: write output: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// writeCostJSON writes one object for a single estimate and an array,
// row by row, for a grid.
func writeCostJSON(w io.Writer, grid [][]cost.Estimate) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if len(grid) == 1 && len(grid[0]) == 1 {
		return enc.Encode(grid[0][0])
	}
	flat := make([]cost.Estimate, 0, len(grid)*len(grid[0]))
	for _, row := range grid {
		flat = append(flat, row...)
	}
	return enc.Encode(flat)
}

func writeCostText(w io.Writer, grid [][]cost.Estimate) error {
	first := grid[0][0]
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(grid) == 1 && len(grid[0]) == 1 {
		e := first
		fmt.Fprintf(tw, "Lambda cost over %s days, %s prices read %s\n", trimFloat(e.Days), cost.Default().Region, e.PricesReadOn)
		fmt.Fprintf(tw, "  memory\t%d MB (%s)\n", e.MemoryMB, e.Arch)
		fmt.Fprintf(tw, "  duration\t%s ms (billed %s ms)\n", trimFloat(e.DurationMs), trimFloat(e.BilledDurationMs))
		fmt.Fprintf(tw, "  requests\t%s\n", groupDigits(e.Requests))
		fmt.Fprintf(tw, "  compute\t%s\t%s GB-s\n", usd(e.ComputeUSD), groupDigits(e.GBSeconds))
		fmt.Fprintf(tw, "  requests\t%s\n", usd(e.RequestsUSD))
		fmt.Fprintf(tw, "  logs ingestion\t%s\t%.2f GB\n", usd(e.LogsIngestionUSD), e.LogsGB)
		fmt.Fprintf(tw, "  total\t%s\n", usd(e.TotalUSD))
		fmt.Fprintf(tw, "  logs storage\t%s\tper month retained, not in total\n", usd(e.LogsStorageUSDPerMonth))
		return tw.Flush()
	}
	fmt.Fprintf(tw, "Total cost (USD) of %s requests over %s days, %s, %s prices read %s\n",
		groupDigits(first.Requests), trimFloat(first.Days), first.Arch, cost.Default().Region, first.PricesReadOn)
	fmt.Fprint(tw, "memory \\ duration")
	for _, e := range grid[0] {
		fmt.Fprintf(tw, "\t%s ms", trimFloat(e.DurationMs))
	}
	fmt.Fprintln(tw, "\t")
	for _, row := range grid {
		fmt.Fprintf(tw, "%d MB", row[0].MemoryMB)
		for _, e := range row {
			fmt.Fprintf(tw, "\t%s", usd(e.TotalUSD))
		}
		fmt.Fprintln(tw, "\t")
	}
	return tw.Flush()
}

func usd(v float64) string {
	if v != 0 && v < 0.01 {
		return fmt.Sprintf("$%.6f", v)
	}
	return "$" + groupDigitsFixed(v, 2)
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func groupDigits(v float64) string { return groupDigitsFixed(v, 0) }

// groupDigitsFixed prints v with prec decimals and thousands separators.
func groupDigitsFixed(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func parseMemoryList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSuffix(strings.TrimSpace(strings.ToUpper(f)), "MB")
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number of MB", f)
		}
		if n < 128 || n > 10240 {
			return nil, fmt.Errorf("%d MB is outside Lambda's 128-10240 MB", n)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseDurationList(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		var d time.Duration
		if ms, err := strconv.ParseFloat(f, 64); err == nil {
			d = time.Duration(ms * float64(time.Millisecond))
		} else if d, err = time.ParseDuration(f); err != nil {
			return nil, fmt.Errorf("%q is not a duration (800ms, 1.5s, or milliseconds)", f)
		}
		if d < 0 || d > 15*time.Minute {
			return nil, fmt.Errorf("%s is outside Lambda's 0-15m", d)
		}
		out = append(out, d)
	}
	return out, nil
}

// parseCount reads 3000000, 3e6, 3,000,000, 3M, 2.5k or 1B.
func parseCount(s string) (float64, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "k"), strings.HasSuffix(t, "K"):
		mult, t = 1e3, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1e6, t[:len(t)-1]
	case strings.HasSuffix(t, "B"), strings.HasSuffix(t, "G"):
		mult, t = 1e9, t[:len(t)-1]
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a non-negative count", s)
	}
	return v * mult, nil
}
