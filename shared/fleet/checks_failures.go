package fleet

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// Failed events kept: LMB101 and LMB102.

// LMB101: invoked asynchronously without a dead-letter queue or on-failure
// destination; raised by asyncFailures.
var LMB101 = register(checks.Check{ID: "LMB101", Severity: findings.High,
	Title:       "invoked asynchronously without a dead-letter queue or on-failure destination",
	Description: "The function is invoked asynchronously (a service such as S3, SNS or EventBridge may invoke it, or it received asynchronous events in the window), and the qualifier those triggers invoke has neither a dead-letter queue nor an on-failure destination: events that still fail after Lambda's retries are discarded.",
	Remediation: "Add an SQS on-failure destination (or DeadLetterConfig) for the qualifier its triggers invoke, so failed events are kept and can be replayed.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"}},
})

// LMB102: stream event source mapping without an on-failure destination;
// raised by streamFailures.
var LMB102 = register(checks.Check{ID: "LMB102", Severity: findings.Medium,
	Title:       "stream event source mapping without an on-failure destination",
	Description: "A Kinesis, DynamoDB Streams or Kafka event source mapping has no on-failure destination: a batch that keeps failing blocks its shard until its records expire, and is then lost.",
	Remediation: "Set DestinationConfig.OnFailure on the event source mapping (with MaximumRetryAttempts and BisectBatchOnFunctionError) so a poison batch is set aside instead of blocking the shard until the records expire.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html", "https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html"}},
})

// asyncTrigger is one reason to think a qualifier is invoked
// asynchronously. Qualifier "*" means unknown (seen only in metrics).
type asyncTrigger struct {
	Qualifier string `json:"qualifier"`
	Via       string `json:"via"`
}

func asyncEvidence(fn *Function) []asyncTrigger {
	var out []asyncTrigger
	quals := make([]string, 0, len(fn.Policies))
	for q := range fn.Policies {
		quals = append(quals, q)
	}
	sort.Strings(quals)
	for _, q := range quals {
		for _, st := range fn.Policies[q] {
			if svc := st.asyncService(); svc != "" {
				via := svc
				if st.SourceArn != "" {
					via += " from " + st.SourceArn
				}
				out = append(out, asyncTrigger{Qualifier: normQual(q), Via: via})
			}
		}
	}
	if fn.Metrics.AsyncEvents > 0 {
		out = append(out, asyncTrigger{Qualifier: "*", Via: fmt.Sprintf("AsyncEventsReceived %.0f in the window", fn.Metrics.AsyncEvents)})
	}
	return out
}

func normQual(q string) string {
	if q == "" {
		return "$LATEST"
	}
	return q
}

// allDLQ reports whether every qualifier that could receive async events
// already has a dead-letter queue, so invoke configs need not be read.
func allDLQ(fn *Function) bool {
	for _, t := range asyncEvidence(fn) {
		quals := []string{t.Qualifier}
		if t.Qualifier == "*" {
			quals = []string{"$LATEST"}
		}
		for _, q := range quals {
			if dlqOf(fn.configFor(q)) == "" {
				return false
			}
		}
	}
	return true
}

func dlqOf(c types.FunctionConfiguration) string {
	if c.DeadLetterConfig == nil {
		return ""
	}
	return aws.ToString(c.DeadLetterConfig.TargetArn)
}

// onFailure returns the on-failure destination configured for a qualifier.
func onFailure(fn *Function, qualifier string) string {
	for _, ic := range fn.InvokeConfigs {
		if normQual(qualifierOf(aws.ToString(ic.FunctionArn))) != qualifier {
			continue
		}
		if ic.DestinationConfig != nil && ic.DestinationConfig.OnFailure != nil {
			return aws.ToString(ic.DestinationConfig.OnFailure.Destination)
		}
	}
	return ""
}

func handled(fn *Function, qualifier string) bool {
	return dlqOf(fn.configFor(qualifier)) != "" || onFailure(fn, qualifier) != ""
}

func (e evaluator) asyncFailures(fn *Function) []findings.Finding {
	triggers := asyncEvidence(fn)
	if len(triggers) == 0 {
		return nil
	}
	var unhandled []string
	seen := map[string]bool{}
	for _, t := range triggers {
		if seen[t.Qualifier] {
			continue
		}
		seen[t.Qualifier] = true
		if t.Qualifier == "*" {
			// Seen only in metrics: any qualifier with failure handling
			// gives the benefit of the doubt.
			ok := handled(fn, "$LATEST")
			for _, al := range fn.Aliases {
				ok = ok || handled(fn, aws.ToString(al.Name))
			}
			if !ok {
				unhandled = append(unhandled, "any")
			}
			continue
		}
		if !handled(fn, t.Qualifier) {
			unhandled = append(unhandled, t.Qualifier)
		}
	}
	if len(unhandled) == 0 {
		return nil
	}
	return []findings.Finding{e.finding(LMB101, fn, "", map[string]any{
		"asyncTriggers": triggers, "qualifiersWithoutFailureHandling": unhandled,
	})}
}

// streamSource tells the kind of a polled source whose failures block
// the stream: Kinesis, DynamoDB Streams, or Kafka.
func streamSource(m types.EventSourceMappingConfiguration) string {
	arn := aws.ToString(m.EventSourceArn)
	switch {
	case strings.Contains(arn, ":kinesis:"):
		return "kinesis"
	case strings.Contains(arn, ":dynamodb:"):
		return "dynamodb"
	case strings.Contains(arn, ":kafka:"), m.SelfManagedEventSource != nil:
		return "kafka"
	}
	return ""
}

func (e evaluator) streamFailures(fn *Function) []findings.Finding {
	var out []findings.Finding
	for _, m := range fn.Mappings {
		if streamSource(m) == "" {
			continue
		}
		if m.DestinationConfig != nil && m.DestinationConfig.OnFailure != nil && aws.ToString(m.DestinationConfig.OnFailure.Destination) != "" {
			continue
		}
		out = append(out, e.finding(LMB102, fn, aws.ToString(m.UUID), map[string]any{
			"eventSourceMapping": aws.ToString(m.UUID), "eventSourceArn": aws.ToString(m.EventSourceArn),
			"maximumRetryAttempts": aws.ToInt32(m.MaximumRetryAttempts), "state": aws.ToString(m.State),
		}))
	}
	return out
}
