package fleet

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// MaxQueriesPerCall is GetMetricData's limit on queries in one request.
const MaxQueriesPerCall = 500

// metricSpec is one figure fetched per function.
type metricSpec struct {
	key       string
	namespace string
	metric    string
	stat      string
	// logs marks a metric of the log group rather than of the function.
	logs bool
	set  func(m *Metrics, v float64)
}

// Sums add up over the window's datapoints; the p99 keeps the largest,
// which is what a timeout check should compare with.
var functionMetrics = []metricSpec{
	{key: "inv", namespace: "AWS/Lambda", metric: "Invocations", stat: "Sum", set: func(m *Metrics, v float64) { m.Invocations += v }},
	{key: "err", namespace: "AWS/Lambda", metric: "Errors", stat: "Sum", set: func(m *Metrics, v float64) { m.Errors += v }},
	{key: "thr", namespace: "AWS/Lambda", metric: "Throttles", stat: "Sum", set: func(m *Metrics, v float64) { m.Throttles += v }},
	{key: "dur", namespace: "AWS/Lambda", metric: "Duration", stat: "Sum", set: func(m *Metrics, v float64) { m.DurationSumMs += v }},
	{key: "p99", namespace: "AWS/Lambda", metric: "Duration", stat: "p99", set: func(m *Metrics, v float64) { m.DurationP99Ms, m.HasP99 = max(m.DurationP99Ms, v), true }},
	{key: "asy", namespace: "AWS/Lambda", metric: "AsyncEventsReceived", stat: "Sum", set: func(m *Metrics, v float64) { m.AsyncEvents += v }},
	{key: "log", namespace: "AWS/Logs", metric: "IncomingBytes", stat: "Sum", logs: true, set: func(m *Metrics, v float64) { m.LogBytes += v }},
}

type metricTarget struct {
	fn   *Function
	spec metricSpec
}

// fetchMetrics fills every function's Metrics with as few GetMetricData
// calls as the 500-query limit allows. One period spans the whole window,
// so each query returns one or two datapoints rather than hundreds.
func (a *Auditor) fetchMetrics(ctx context.Context, fns []*Function, start, end time.Time) error {
	var queries []cwtypes.MetricDataQuery
	targets := map[string]metricTarget{}
	period := int32(end.Sub(start) / time.Second)
	for i, fn := range fns {
		for _, spec := range functionMetrics {
			dim := cwtypes.Dimension{Name: aws.String("FunctionName"), Value: aws.String(fn.Name)}
			if spec.logs {
				if fn.LogGroup == nil || fn.SharedLogGroup {
					continue
				}
				dim = cwtypes.Dimension{Name: aws.String("LogGroupName"), Value: aws.String(fn.LogGroupName)}
			}
			id := spec.key + "_" + strconv.Itoa(i)
			targets[id] = metricTarget{fn: fn, spec: spec}
			queries = append(queries, cwtypes.MetricDataQuery{
				Id: aws.String(id),
				MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String(spec.namespace), MetricName: aws.String(spec.metric), Dimensions: []cwtypes.Dimension{dim}},
					Period: aws.Int32(period),
					Stat:   aws.String(spec.stat),
				},
				ReturnData: aws.Bool(true),
			})
		}
	}
	for lo := 0; lo < len(queries); lo += MaxQueriesPerCall {
		batch := queries[lo:min(lo+MaxQueriesPerCall, len(queries))]
		p := cloudwatch.NewGetMetricDataPaginator(a.CloudWatch, &cloudwatch.GetMetricDataInput{
			MetricDataQueries: batch,
			StartTime:         aws.Time(start),
			EndTime:           aws.Time(end),
			ScanBy:            cwtypes.ScanByTimestampDescending,
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("get metric data for %d queries from %s: %w", len(batch), aws.ToString(batch[0].Id), err)
			}
			for _, r := range out.MetricDataResults {
				t, ok := targets[aws.ToString(r.Id)]
				if !ok {
					continue
				}
				for _, v := range r.Values {
					t.spec.set(&t.fn.Metrics, v)
				}
			}
		}
	}
	return nil
}
