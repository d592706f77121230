package fleet

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfaudit/selfaudit/shared/findings"
)

var checkNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

const arn = "arn:aws:lambda:us-east-1:123456789012:function:f"

// cleanFunction passes every check.
func cleanFunction() *Function {
	latest := types.FunctionConfiguration{
		FunctionName: aws.String("f"), FunctionArn: aws.String(arn), Runtime: types.RuntimeProvidedal2023,
		MemorySize: aws.Int32(256), Timeout: aws.Int32(10), Architectures: []types.Architecture{types.ArchitectureArm64},
		TracingConfig: &types.TracingConfigResponse{Mode: types.TracingModeActive}, LastModified: aws.String("2025-01-01T00:00:00.000+0000"),
	}
	v1 := latest
	v1.Version = aws.String("1")
	return &Function{
		Name: "f", ARN: arn, Latest: latest, Versions: map[string]types.FunctionConfiguration{"1": v1},
		Aliases:  []types.AliasConfiguration{{Name: aws.String("live"), FunctionVersion: aws.String("1")}},
		Policies: map[string][]Statement{}, LogGroupName: "/aws/lambda/f",
		LogGroup: &logtypes.LogGroup{LogGroupName: aws.String("/aws/lambda/f"), RetentionInDays: aws.Int32(30)},
		Metrics:  Metrics{Invocations: 10000, Errors: 5, DurationSumMs: 10000 * 100, DurationP99Ms: 300, HasP99: true, LogBytes: 1 << 20},
		Reports:  &ReportSummary{Count: 500, PeakMB: 180, P99MB: 170, Source: "insights"},
	}
}

func lambdaAlarm(name, metric string) cwtypes.MetricAlarm {
	return cwtypes.MetricAlarm{AlarmName: aws.String(name), Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(metric),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("f")}}}
}

var baseAlarms = []cwtypes.MetricAlarm{lambdaAlarm("f-errors", "Errors"), lambdaAlarm("f-throttles", "Throttles")}

func s3Trigger(qualifier string) []Statement {
	return []Statement{{Effect: "Allow", Services: []string{"s3.amazonaws.com"}, Actions: []string{"lambda:InvokeFunction"}, SourceArn: "arn:aws:s3:::b"}}
}

// TestChecks runs each check on a failing and a passing variant of a
// clean function and expects exactly the check's finding (or none).
func TestChecks(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		mutate  func(f *Function)
		alarms  []cwtypes.MetricAlarm
		want    string // the one check expected, "" for none
		wantSev findings.Severity
	}{
		"clean function":                   {},
		"LMB101 S3 on $LATEST without DLQ": {mutate: func(f *Function) { f.Policies[""] = s3Trigger("") }, want: "LMB101,LMB111"},
		"LMB101 passes with on-failure destination": {mutate: func(f *Function) {
			f.Policies["live"] = s3Trigger("live")
			f.InvokeConfigs = []types.FunctionEventInvokeConfig{{FunctionArn: aws.String(arn + ":live"),
				DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sns:us-east-1:123456789012:t")}}}}
		}},
		"LMB101 async seen only in metrics": {mutate: func(f *Function) { f.Metrics.AsyncEvents = 10 }, want: "LMB101"},
		"LMB101 passes with DLQ on alias version": {mutate: func(f *Function) {
			f.Policies["live"] = s3Trigger("live")
			v := f.Versions["1"]
			v.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sns:us-east-1:123456789012:dlq")}
			f.Versions["1"] = v
		}},
		"LMB102 kinesis without on-failure": {mutate: func(f *Function) {
			f.Mappings = []types.EventSourceMappingConfiguration{{UUID: aws.String("u"), FunctionArn: aws.String(arn + ":live"), EventSourceArn: aws.String("arn:aws:kinesis:us-east-1:123456789012:stream/s")}}
		}, alarms: append([]cwtypes.MetricAlarm{lambdaAlarm("age", "IteratorAge")}, baseAlarms...), want: "LMB102"},
		"LMB102 SQS mapping is not a stream": {mutate: func(f *Function) {
			f.Mappings = []types.EventSourceMappingConfiguration{{UUID: aws.String("u"), FunctionArn: aws.String(arn + ":live"), EventSourceArn: aws.String("arn:aws:sqs:us-east-1:123456789012:q")}}
		}},
		"LMB103 LMB104 no alarms": {alarms: []cwtypes.MetricAlarm{}, want: "LMB103,LMB104"},
		"LMB103 passes with metric math": {alarms: []cwtypes.MetricAlarm{lambdaAlarm("f-throttles", "Throttles"), {AlarmName: aws.String("rate"), Metrics: []cwtypes.MetricDataQuery{
			{Id: aws.String("e"), MetricStat: &cwtypes.MetricStat{Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"), Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("f")}}}}},
			{Id: aws.String("rate"), Expression: aws.String("e/i")}}}}},
		"LMB105 LMB106 SQS DLQ without alarms": {mutate: func(f *Function) {
			f.Latest.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:us-east-1:123456789012:f-dlq")}
		}, want: "LMB105,LMB106"},
		"LMB105 LMB106 pass with alarms": {mutate: func(f *Function) {
			f.Latest.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:us-east-1:123456789012:f-dlq")}
		}, alarms: append([]cwtypes.MetricAlarm{lambdaAlarm("dle", "DeadLetterErrors"), {AlarmName: aws.String("depth"), Namespace: aws.String("AWS/SQS"),
			MetricName: aws.String("ApproximateNumberOfMessagesVisible"), Dimensions: []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String("f-dlq")}}}}, baseAlarms...)},
		"LMB107 stream without IteratorAge alarm": {mutate: func(f *Function) {
			f.Mappings = []types.EventSourceMappingConfiguration{{UUID: aws.String("u"), FunctionArn: aws.String(arn + ":live"), EventSourceArn: aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026"),
				DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sns:us-east-1:123456789012:t")}}}}
		}, want: "LMB107"},
		"LMB108 tracing off":         {mutate: func(f *Function) { f.Latest.TracingConfig = nil }, want: "LMB108"},
		"LMB109 no retention":        {mutate: func(f *Function) { f.LogGroup.RetentionInDays = nil }, want: "LMB109"},
		"LMB109 no log group at all": {mutate: func(f *Function) { f.LogGroup = nil }},
		"LMB110 go1.x":               {mutate: func(f *Function) { f.Latest.Runtime = types.RuntimeGo1x }, want: "LMB110", wantSev: findings.High},
		"LMB110 supported runtime":   {mutate: func(f *Function) { f.Latest.Runtime = types.RuntimePython312 }},
		"LMB111 mapping on $LATEST": {mutate: func(f *Function) {
			f.Mappings = []types.EventSourceMappingConfiguration{{UUID: aws.String("u"), FunctionArn: aws.String(arn), EventSourceArn: aws.String("arn:aws:sqs:us-east-1:123456789012:q")}}
		}, want: "LMB111"},
		"LMB112 no versions": {mutate: func(f *Function) { f.Versions, f.Aliases = map[string]types.FunctionConfiguration{}, nil }, want: "LMB112"},
		"LMB113 secret in env": {mutate: func(f *Function) {
			f.Latest.Environment = &types.EnvironmentResponse{Variables: map[string]string{"API_TOKEN": "ghp_0123456789abcdefghijABCDEFGHIJ012345"}}
		}, want: "LMB113", wantSev: findings.High},
		"LMB113 SSM reference passes": {mutate: func(f *Function) {
			f.Latest.Environment = &types.EnvironmentResponse{Variables: map[string]string{"API_TOKEN_PARAM": "/prod/api/token"}}
		}},
		// 256 MB, peak 60: 60*1.3 = 78 -> 128 MB <= 0.75*256 = 192.
		"LMB114 over-provisioned": {mutate: func(f *Function) { f.Reports.PeakMB = 60 }, want: "LMB114", wantSev: findings.Low},
		"LMB114 too few reports":  {mutate: func(f *Function) { f.Reports = &ReportSummary{Count: 10, PeakMB: 60} }},
		// 0.9*256 = 230.4.
		"LMB115 near the limit": {mutate: func(f *Function) { f.Reports.PeakMB = 240 }, want: "LMB115", wantSev: findings.Medium},
		// 0.8 * 10 s = 8 s.
		"LMB116 p99 near timeout":    {mutate: func(f *Function) { f.Metrics.DurationP99Ms = 8500 }, want: "LMB116", wantSev: findings.Medium},
		"LMB116 p99 at timeout":      {mutate: func(f *Function) { f.Metrics.DurationP99Ms = 10000 }, want: "LMB116", wantSev: findings.High},
		"LMB117 error rate":          {mutate: func(f *Function) { f.Metrics.Errors = 600 }, want: "LMB117"},
		"LMB117 too few invocations": {mutate: func(f *Function) { f.Metrics.Invocations, f.Metrics.Errors, f.Metrics.DurationSumMs = 50, 25, 5000 }},
		"LMB118 throttles":           {mutate: func(f *Function) { f.Metrics.Throttles = 3 }, want: "LMB118"},
		"LMB119 dead":                {mutate: func(f *Function) { f.Metrics = Metrics{}; f.Reports = nil }, want: "LMB119"},
		"LMB119 new function skipped": {mutate: func(f *Function) {
			f.Metrics = Metrics{}
			f.Reports = nil
			f.Latest.LastModified = aws.String("2026-11-20T00:00:00.000+0000")
		}},
		// 10,000 invocations of 256 MB for 100 ms in 14 days: per 30 days 21,428.6 requests,
		// 0.25 * 0.1 * 21,428.6 = 535.7 GB-s * 0.0000133334 = $0.00714 + requests $0.00429.
		// 1 GiB of logs in 14 days = 2.14 GiB a month * $0.50 = $1.07, far above.
		"LMB120 logs cost more than compute": {mutate: func(f *Function) { f.Metrics.LogBytes = 1 << 30 }, want: "LMB120"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := cleanFunction()
			if tc.mutate != nil {
				tc.mutate(f)
			}
			alarms := baseAlarms
			if tc.alarms != nil {
				alarms = tc.alarms
			}
			ev := evaluator{cfg: Config{}.withDefaults(), alarms: newAlarmIndex(alarms), now: checkNow}
			got := ev.evaluate(f)
			var ids string
			for i, g := range got {
				if i > 0 {
					ids += ","
				}
				ids += g.Check
				if err := g.Validate(); err != nil {
					t.Error(err)
				}
			}
			if ids != tc.want {
				t.Fatalf("checks %q, want %q: %+v", ids, tc.want, got)
			}
			if tc.wantSev != 0 && got[0].Severity != tc.wantSev {
				t.Errorf("severity %s, want %s", got[0].Severity, tc.wantSev)
			}
		})
	}
}

// TestMemoryFindingCarriesCostDelta checks the right-sizing figures
// against hand arithmetic with the cost model's prices.
func TestMemoryFindingCarriesCostDelta(t *testing.T) {
	t.Parallel()
	f := cleanFunction()
	f.Reports.PeakMB = 60 // recommend 128 MB
	ev := evaluator{cfg: Config{}.withDefaults(), alarms: newAlarmIndex(baseAlarms), now: checkNow}
	got := ev.evaluate(f)
	if len(got) != 1 {
		t.Fatalf("%+v", got)
	}
	e := got[0].Evidence
	// Per 30 days: 10,000 * 30/14 = 21,428.571 requests of 100 ms on arm64.
	// 256 MB: 0.25 * 0.1 * 21,428.571 = 535.714 GB-s * 0.0000133334 = 0.0071429
	// 128 MB: half of that, 0.0035714; delta -0.0035714, rounded to 4 places -0.0036.
	if e["recommendedMB"] != 128 || e["configuredMB"] != 256 || e["monthlyDeltaUSD"] != -0.0036 {
		t.Errorf("evidence %v", e)
	}
}

func TestParsePolicyShapes(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		doc       string
		wantAsync string
	}{
		"single statement object": {doc: `{"Statement":{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"lambda:InvokeFunction"}}`, wantAsync: "sns.amazonaws.com"},
		"service list":            {doc: `{"Statement":[{"Effect":"Allow","Principal":{"Service":["apigateway.amazonaws.com","events.amazonaws.com"]},"Action":["lambda:InvokeFunction"]}]}`, wantAsync: "events.amazonaws.com"},
		"deny ignored":            {doc: `{"Statement":[{"Effect":"Deny","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction"}]}`},
		"sync principal":          {doc: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction"}]}`},
		"account principal":       {doc: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"lambda:InvokeFunction"}]}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sts, err := parsePolicy(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, s := range sts {
				if a := s.asyncService(); a != "" {
					got = a
				}
			}
			if got != tc.wantAsync {
				t.Errorf("async service %q, want %q", got, tc.wantAsync)
			}
		})
	}
	if _, err := parsePolicy("{not json"); err == nil {
		t.Error("broken policy accepted")
	}
}
