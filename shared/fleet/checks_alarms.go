package fleet

import (
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// Alarms in place: LMB103 to LMB107, judged against the account's alarms
// (alarms.go).

// LMB103: no alarm on errors; raised by alarmsPresent.
var LMB103 = register(checks.Check{ID: "LMB103", Severity: findings.Medium,
	Title:       "no alarm on errors",
	Description: "No CloudWatch alarm watches the function's Errors metric, directly or in an error-rate expression, so a function that starts failing is noticed by its callers first.",
	Remediation: "Add an alarm on Errors, or on the Errors/Invocations metric-math error rate.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html", "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html"}},
})

// LMB104: no alarm on throttles; raised by alarmsPresent.
var LMB104 = register(checks.Check{ID: "LMB104", Severity: findings.Low,
	Title:       "no alarm on throttles",
	Description: "No alarm watches the function's Throttles metric, so invocations refused for lack of concurrency go unnoticed.",
	Remediation: "Add an alarm on Throttles > 0.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html", "https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html"}},
})

// LMB105: dead-letter queue without a depth alarm; raised by alarmsPresent.
var LMB105 = register(checks.Check{ID: "LMB105", Severity: findings.Medium,
	Title:       "dead-letter queue without a depth alarm",
	Description: "An SQS queue that holds the function's failed events (dead-letter queue or on-failure destination) has no alarm on its depth, so failed events pile up unseen until the queue's retention deletes them.",
	Remediation: "Alarm on the queue's ApproximateNumberOfMessagesVisible > 0 so failed events are noticed and replayed.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html", "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"}},
})

// LMB106: no alarm on DeadLetterErrors; raised by alarmsPresent.
var LMB106 = register(checks.Check{ID: "LMB106", Severity: findings.Low,
	Title:       "no alarm on DeadLetterErrors",
	Description: "The function has a dead-letter queue but no alarm on DeadLetterErrors: when Lambda cannot write a failed event to the queue (permissions, a deleted queue, a KMS key), the event is lost without notice.",
	Remediation: "Alarm on DeadLetterErrors > 0: when the function cannot write to its dead-letter queue, failed events are lost.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"}},
})

// LMB107: stream source without an IteratorAge alarm; raised by alarmsPresent.
var LMB107 = register(checks.Check{ID: "LMB107", Severity: findings.Medium,
	Title:       "stream source without an IteratorAge alarm",
	Description: "The function reads a Kinesis, DynamoDB or Kafka stream and no alarm watches IteratorAge (or OffsetLag): a stuck or slow consumer is seen only once records expire.",
	Remediation: "Alarm on IteratorAge (OffsetLag for Kafka) so a stuck or slow consumer is seen before records expire.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"}},
})

// failureQueues are the SQS queues that hold the function's failed events.
func failureQueues(fn *Function) []string {
	set := map[string]bool{}
	add := func(arn string) {
		if strings.HasPrefix(arn, "arn:aws") && strings.Contains(arn, ":sqs:") {
			set[arn] = true
		}
	}
	add(dlqOf(fn.Latest))
	for _, al := range fn.Aliases {
		add(dlqOf(fn.configFor(aws.ToString(al.Name))))
	}
	for _, ic := range fn.InvokeConfigs {
		if ic.DestinationConfig != nil && ic.DestinationConfig.OnFailure != nil {
			add(aws.ToString(ic.DestinationConfig.OnFailure.Destination))
		}
	}
	for _, m := range fn.Mappings {
		if m.DestinationConfig != nil && m.DestinationConfig.OnFailure != nil {
			add(aws.ToString(m.DestinationConfig.OnFailure.Destination))
		}
	}
	out := make([]string, 0, len(set))
	for q := range set {
		out = append(out, q)
	}
	sort.Strings(out)
	return out
}

func (e evaluator) alarmsPresent(fn *Function) []findings.Finding {
	var out []findings.Finding
	if len(e.alarms.on(fn.Name, "Errors")) == 0 {
		out = append(out, e.finding(LMB103, fn, "", map[string]any{"metric": "AWS/Lambda Errors", "alarms": []string{}}))
	}
	if len(e.alarms.on(fn.Name, "Throttles")) == 0 {
		out = append(out, e.finding(LMB104, fn, "", map[string]any{"metric": "AWS/Lambda Throttles", "alarms": []string{}}))
	}
	for _, q := range failureQueues(fn) {
		name := lastARNPart(q)
		if len(e.alarms.queues[name]) == 0 {
			out = append(out, e.finding(LMB105, fn, q, map[string]any{"queueArn": q, "metric": "AWS/SQS ApproximateNumberOfMessagesVisible"}))
		}
	}
	if dlq := dlqOf(fn.Latest); dlq != "" && len(e.alarms.on(fn.Name, "DeadLetterErrors")) == 0 {
		out = append(out, e.finding(LMB106, fn, "", map[string]any{"deadLetterTarget": dlq, "metric": "AWS/Lambda DeadLetterErrors"}))
	}
	var streams []string
	for _, m := range fn.Mappings {
		if streamSource(m) != "" {
			streams = append(streams, aws.ToString(m.EventSourceArn))
		}
	}
	if len(streams) > 0 && len(e.alarms.on(fn.Name, "IteratorAge", "OffsetLag")) == 0 {
		out = append(out, e.finding(LMB107, fn, "", map[string]any{"streams": streams, "metric": "AWS/Lambda IteratorAge"}))
	}
	return out
}
