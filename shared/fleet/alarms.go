package fleet

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// alarmIndex answers "is this metric of this function alarmed?" from one
// DescribeAlarms listing of the whole account, instead of a
// DescribeAlarmsForMetric call per function and metric.
type alarmIndex struct {
	// lambda maps function name and metric name to the alarms watching it.
	lambda map[[2]string][]string
	// queues maps an SQS queue name to the alarms on its depth.
	queues map[string][]string
}

// depthMetrics are the SQS metrics that show messages piling up.
var depthMetrics = map[string]bool{"ApproximateNumberOfMessagesVisible": true, "ApproximateAgeOfOldestMessage": true}

func newAlarmIndex(alarms []cwtypes.MetricAlarm) *alarmIndex {
	ix := &alarmIndex{lambda: map[[2]string][]string{}, queues: map[string][]string{}}
	for _, a := range alarms {
		name := aws.ToString(a.AlarmName)
		if a.MetricName != nil {
			ix.add(name, aws.ToString(a.Namespace), aws.ToString(a.MetricName), a.Dimensions)
		}
		// A metric-math alarm (Errors/Invocations, say) watches every
		// metric its queries name.
		for _, q := range a.Metrics {
			if q.MetricStat == nil || q.MetricStat.Metric == nil {
				continue
			}
			m := q.MetricStat.Metric
			ix.add(name, aws.ToString(m.Namespace), aws.ToString(m.MetricName), m.Dimensions)
		}
	}
	return ix
}

func (ix *alarmIndex) add(alarm, namespace, metric string, dims []cwtypes.Dimension) {
	for _, d := range dims {
		v := aws.ToString(d.Value)
		switch {
		case namespace == "AWS/Lambda" && aws.ToString(d.Name) == "FunctionName":
			k := [2]string{v, metric}
			ix.lambda[k] = append(ix.lambda[k], alarm)
		case namespace == "AWS/Lambda" && aws.ToString(d.Name) == "Resource":
			// Resource is "name:alias" or "name:version".
			k := [2]string{functionNameOf(v), metric}
			ix.lambda[k] = append(ix.lambda[k], alarm)
		case namespace == "AWS/SQS" && aws.ToString(d.Name) == "QueueName" && depthMetrics[metric]:
			ix.queues[v] = append(ix.queues[v], alarm)
		}
	}
}

// on returns the alarms on a function's metric; any of the metrics given
// will do.
func (ix *alarmIndex) on(function string, metrics ...string) []string {
	var out []string
	for _, m := range metrics {
		out = append(out, ix.lambda[[2]string{function, m}]...)
	}
	return out
}
