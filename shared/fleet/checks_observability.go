package fleet

import (
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// Tracing and logs: LMB108, LMB109 and LMB120.

// LMB108: active tracing is off; raised by tracing.
var LMB108 = register(checks.Check{ID: "LMB108", Severity: findings.Low,
	Title:       "active tracing is off",
	Description: "Active tracing with AWS X-Ray is off, so a slow or failing request cannot be followed through the function and the services it calls.",
	Remediation: "Set TracingConfig Mode to Active (Tracing: Active in SAM).",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html"}, SecurityHub: []string{"Lambda.7"}},
})

// LMB109: log group keeps logs forever; raised by retention.
var LMB109 = register(checks.Check{ID: "LMB109", Severity: findings.Low,
	Title:       "log group keeps logs forever",
	Description: "The function's log group has no retention period: its logs are stored, and paid for, forever, along with whatever data they hold.",
	Remediation: "Set a retention period on the log group (for example 30 days); logs kept forever are paid for forever.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html"}},
})

// LMB120: log ingestion costs more than the function's compute; raised by logCost.
var LMB120 = register(checks.Check{ID: "LMB120", Severity: findings.Low,
	Title:       "log ingestion costs more than the function's compute",
	Description: "Ingesting the function's logs into CloudWatch Logs costs more a month than Lambda bills for the function's compute and requests: the logging, not the work, is the bill.",
	Remediation: "Log less (lower the log level with the JSON log format's ApplicationLogLevel, sample debug output) or move the group to the Infrequent Access class.",
	References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html", "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatch_Logs_Log_Classes.html"}},
})

func (e evaluator) tracing(fn *Function) []findings.Finding {
	mode := types.TracingModePassThrough
	if fn.Latest.TracingConfig != nil {
		mode = fn.Latest.TracingConfig.Mode
	}
	if mode == types.TracingModeActive {
		return nil
	}
	return []findings.Finding{e.finding(LMB108, fn, "", map[string]any{"tracingMode": string(mode)})}
}

func (e evaluator) retention(fn *Function) []findings.Finding {
	g := fn.LogGroup
	if g == nil || g.RetentionInDays != nil || aws.ToString(g.RetentionPolicyName) != "" {
		return nil
	}
	return []findings.Finding{e.finding(LMB109, fn, fn.LogGroupName, map[string]any{
		"logGroup": fn.LogGroupName, "retentionInDays": nil, "storedBytes": aws.ToInt64(g.StoredBytes),
	})}
}

func (e evaluator) logCost(fn *Function) []findings.Finding {
	if fn.Metrics.LogBytes <= 0 || fn.memoryMB() == 0 {
		return nil
	}
	est, err := e.monthly(fn, fn.memoryMB())
	if err != nil || est.LogsIngestionUSD <= est.LambdaUSD() || est.LogsIngestionUSD < e.cfg.MinLogsUSD {
		return nil
	}
	return []findings.Finding{e.finding(LMB120, fn, fn.LogGroupName, map[string]any{
		"logGroup": fn.LogGroupName, "monthlyLogsGB": math.Round(est.LogsGB*1000) / 1000,
		"monthlyLogsIngestionUSD": usd(est.LogsIngestionUSD), "monthlyComputeUSD": usd(est.ComputeUSD),
		"monthlyRequestsUSD": usd(est.RequestsUSD), "incomingBytesInWindow": fn.Metrics.LogBytes,
	})}
}
