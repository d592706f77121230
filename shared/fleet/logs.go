package fleet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/selfaudit/selfaudit/shared/fleet/report"
)

// lambdaLogPrefix is where Lambda logs unless a function names its own
// group in LoggingConfig.
const lambdaLogPrefix = "/aws/lambda/"

// MaxGroupsPerQuery is how many log groups one Logs Insights query may
// name.
const MaxGroupsPerQuery = 50

// fetchLogGroups finds each function's log group: one paginated listing of
// /aws/lambda/, plus one lookup per custom group outside that prefix.
func (a *Auditor) fetchLogGroups(ctx context.Context, fns []*Function) error {
	groups := map[string]*logtypes.LogGroup{}
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(a.Logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(lambdaLogPrefix)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe log groups under %s: %w", lambdaLogPrefix, err)
		}
		for i := range out.LogGroups {
			groups[aws.ToString(out.LogGroups[i].LogGroupName)] = &out.LogGroups[i]
		}
	}
	users := map[string]int{}
	for _, fn := range fns {
		users[fn.LogGroupName]++
	}
	for name := range users {
		if strings.HasPrefix(name, lambdaLogPrefix) {
			continue
		}
		out, err := a.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
		if err != nil {
			return fmt.Errorf("describe log group %s: %w", name, err)
		}
		for i := range out.LogGroups {
			if aws.ToString(out.LogGroups[i].LogGroupName) == name {
				groups[name] = &out.LogGroups[i]
			}
		}
	}
	for _, fn := range fns {
		fn.LogGroup = groups[fn.LogGroupName]
		fn.SharedLogGroup = users[fn.LogGroupName] > 1
	}
	return nil
}

// insightsQuery reads both forms of the REPORT line. Insights discovers the
// fields of JSON events by itself; the text form is parsed with a regular
// expression rather than Insights' own @maxMemoryUsed, whose unit (bytes
// counted in 1000s) is easy to get wrong. @log is "account:group".
const insightsQuery = `filter @message like /^REPORT RequestId:/ or type = "platform.report"
| parse @message /Max Memory Used: (?<textUsedMB>\d+) MB/
| fields coalesce(textUsedMB, record.metrics.maxMemoryUsedMB) as usedMB
| stats count(*) as reports, max(usedMB) as peakMB, pct(usedMB, 99) as p99MB by @log`

// errInsightsUnavailable marks a refusal of StartQuery that reading log
// events can work around.
var errInsightsUnavailable = errors.New("logs insights unavailable")

// fetchReports fills Reports for the functions that ran in the window.
func (a *Auditor) fetchReports(ctx context.Context, fns []*Function, start, end time.Time) (notes []string, err error) {
	if a.cfg.Reports == ReportsOff {
		return []string{"memory right-sizing skipped: REPORT lines not read (reports=off)"}, nil
	}
	var todo []*Function
	shared := 0
	for _, fn := range fns {
		switch {
		case fn.LogGroup == nil || fn.Metrics.Invocations == 0:
		case fn.SharedLogGroup:
			shared++
		default:
			todo = append(todo, fn)
		}
	}
	if shared > 0 {
		notes = append(notes, fmt.Sprintf("memory right-sizing skipped for %d functions that share a log group with others", shared))
	}
	if len(todo) == 0 {
		return notes, nil
	}
	if a.cfg.Reports != ReportsEvents {
		left, err := a.reportsFromInsights(ctx, todo, start, end)
		switch {
		case err == nil:
			return notes, nil
		case errors.Is(err, errInsightsUnavailable) && a.cfg.Reports == ReportsAuto:
			notes = append(notes, fmt.Sprintf("REPORT lines read from log events: %v", err))
			todo = left
		default:
			return notes, err
		}
	}
	return notes, a.reportsFromEvents(ctx, todo, start, end)
}

// reportsFromInsights runs one query per 50 log groups, a few at a time.
// When Insights refuses, it returns the functions still to do and an error
// wrapping errInsightsUnavailable.
func (a *Auditor) reportsFromInsights(ctx context.Context, fns []*Function, start, end time.Time) ([]*Function, error) {
	var batches [][]*Function
	for lo := 0; lo < len(fns); lo += MaxGroupsPerQuery {
		batches = append(batches, fns[lo:min(lo+MaxGroupsPerQuery, len(fns))])
	}
	var (
		mu       sync.Mutex
		firstErr error
		left     []*Function
		wg       sync.WaitGroup
		sem      = make(chan struct{}, a.cfg.InsightsConcurrency)
	)
	for _, b := range batches {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := a.insightsBatch(ctx, b, start, end)
			if err != nil {
				mu.Lock()
				if firstErr == nil || (errors.Is(firstErr, errInsightsUnavailable) && !errors.Is(err, errInsightsUnavailable)) {
					firstErr = err
				}
				left = append(left, b...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return left, firstErr
}

func (a *Auditor) insightsBatch(ctx context.Context, fns []*Function, start, end time.Time) error {
	byGroup := make(map[string]*Function, len(fns))
	names := make([]string, 0, len(fns))
	for _, fn := range fns {
		byGroup[fn.LogGroupName] = fn
		names = append(names, fn.LogGroupName)
	}
	q, err := a.Logs.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{
		LogGroupNames: names,
		QueryString:   aws.String(insightsQuery),
		StartTime:     aws.Int64(start.Unix()),
		EndTime:       aws.Int64(end.Unix()),
		Limit:         aws.Int32(int32(len(names))),
	})
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() != "ThrottlingException" {
			return fmt.Errorf("%w: start query on %s and %d more log groups: %w", errInsightsUnavailable, names[0], len(names)-1, err)
		}
		return fmt.Errorf("start logs insights query on %s and %d more log groups: %w", names[0], len(names)-1, err)
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.QueryTimeout)
	defer cancel()
	for {
		res, err := a.Logs.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: q.QueryId})
		if err != nil {
			return fmt.Errorf("get results of logs insights query %s: %w", aws.ToString(q.QueryId), err)
		}
		switch res.Status {
		case logtypes.QueryStatusComplete:
			for _, row := range res.Results {
				group, s := insightsRow(row)
				if fn := byGroup[group]; fn != nil && s.Count > 0 {
					fn.Reports = &s
				}
			}
			return nil
		case logtypes.QueryStatusFailed, logtypes.QueryStatusCancelled, logtypes.QueryStatusTimeout:
			return fmt.Errorf("logs insights query %s on %s and %d more log groups ended %s", aws.ToString(q.QueryId), names[0], len(names)-1, res.Status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for logs insights query %s: %w", aws.ToString(q.QueryId), ctx.Err())
		case <-time.After(a.cfg.PollInterval):
		}
	}
}

// insightsRow reads one result row of insightsQuery.
func insightsRow(row []logtypes.ResultField) (string, ReportSummary) {
	s := ReportSummary{Source: "insights"}
	group := ""
	for _, f := range row {
		v := aws.ToString(f.Value)
		switch aws.ToString(f.Field) {
		case "@log":
			// "123456789012:/aws/lambda/name"; group names hold no colon.
			if i := strings.IndexByte(v, ':'); i >= 0 {
				v = v[i+1:]
			}
			group = v
		case "reports":
			n, _ := strconv.ParseFloat(v, 64)
			s.Count = int(n)
		case "peakMB":
			s.PeakMB, _ = strconv.ParseFloat(v, 64)
		case "p99MB":
			s.P99MB, _ = strconv.ParseFloat(v, 64)
		}
	}
	return group, s
}

// reportFilter matches both forms of the line in FilterLogEvents.
const reportFilter = `?"REPORT RequestId" ?"platform.report"`

// reportsFromEvents reads REPORT lines log group by log group, up to
// MaxEvents each, and summarises them with the same parser the fuzz test
// exercises.
func (a *Auditor) reportsFromEvents(ctx context.Context, fns []*Function, start, end time.Time) error {
	return a.forEach(ctx, fns, func(ctx context.Context, fn *Function) error {
		var st report.Stats
		p := cloudwatchlogs.NewFilterLogEventsPaginator(a.Logs, &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName:  aws.String(fn.LogGroupName),
			FilterPattern: aws.String(reportFilter),
			StartTime:     aws.Int64(start.UnixMilli()),
			EndTime:       aws.Int64(end.UnixMilli()),
		})
		read := 0
		for p.HasMorePages() && read < a.cfg.MaxEvents {
			out, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("filter REPORT lines of log group %s: %w", fn.LogGroupName, err)
			}
			for _, e := range out.Events {
				read++
				if r, err := report.Parse(aws.ToString(e.Message)); err == nil {
					st.Add(r)
				}
			}
		}
		if st.Count > 0 {
			fn.Reports = &ReportSummary{Count: st.Count, PeakMB: float64(st.PeakMB), P99MB: float64(st.Percentile(99)), Source: "events"}
		}
		return nil
	})
}
