package awsfake

import (
	"fmt"
	"time"
)

// errorAlarms are the alarms a well-run function has: an error-rate
// metric-math alarm and a throttles alarm.
func errorAlarms(name string) []Alarm {
	fd := map[string]string{"FunctionName": name}
	return []Alarm{
		{Name: name + "-error-rate", Math: []Alarm{{Namespace: "AWS/Lambda", Metric: "Errors", Dims: fd}, {Namespace: "AWS/Lambda", Metric: "Invocations", Dims: fd}}},
		{Name: name + "-throttles", Namespace: "AWS/Lambda", Metric: "Throttles", Dims: fd},
	}
}

// textReports makes n text REPORT lines with memory used rising evenly
// from low to peak, so the peak is peak and the p99 just under it.
func textReports(fn, n, memoryMB, low, peak int, durMs float64) []string {
	out := make([]string, 0, n+1)
	for i := 0; i < n; i++ {
		used := low + (peak-low)*i/max(1, n-1)
		init := 0.0
		if i%40 == 0 {
			init = 112.48 + float64(i%7)
		}
		out = append(out, TextReport(RequestID(fn, i), durMs+float64(i%13)*0.37, memoryMB, used, init))
	}
	return out
}

func jsonReports(fn, n, memoryMB, low, peak int, durMs float64) []string {
	out := make([]string, 0, n)
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		used := low + (peak-low)*i/max(1, n-1)
		init := 0.0
		if i == 0 {
			init = 95.41
		}
		ts := t0.Add(time.Duration(i) * time.Minute).Format("2006-01-02T15:04:05.000Z")
		out = append(out, JSONReport(RequestID(fn, i), ts, durMs+float64(i%11)*0.41, memoryMB, used, init))
	}
	return out
}

// SampleEstateChecks maps each function of SampleEstate to the checks it must
// trigger, and nothing else.
var SampleEstateChecks = map[string][]string{
	"orders-api":             nil,
	"image-resizer":          {"LMB101", "LMB103", "LMB104", "LMB108", "LMB109", "LMB110", "LMB111", "LMB112", "LMB113", "LMB115", "LMB116", "LMB117", "LMB118"},
	"stream-consumer":        {"LMB102", "LMB107", "LMB114"},
	"event-handler":          {"LMB105", "LMB106"},
	"legacy-cron":            {"LMB110", "LMB119"},
	"chatty-logger":          {"LMB120"},
	"async-with-destination": nil,
	"json-logger":            {"LMB115"},
}

// SampleEstate is a small estate where each function shows particular problems
// (SampleEstateChecks lists them), including clean functions that must produce
// no finding at all.
func SampleEstate() *Estate {
	ok := func(f *Function) *Function {
		// The defaults of a well-run function.
		if f.Tracing == "" {
			f.Tracing = "Active"
		}
		if f.RetentionDays == 0 {
			f.RetentionDays = 30
		}
		if f.Versions == nil {
			f.Versions = []string{"1", "2"}
			f.Aliases = map[string]string{"live": "2"}
		}
		return f
	}
	fl := &Estate{}
	fl.Functions = []*Function{
		ok(&Function{Name: "orders-api", MemoryMB: 256, TimeoutS: 10,
			Policies:    map[string]string{"live": ServicePolicy("orders-api", "live", "apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/POST/orders")},
			Invocations: 100000, Errors: 10, DurationSumMs: 100000 * 50, DurationP99Ms: 200, LogBytes: 20 << 20,
			Reports: textReports(1, 120, 256, 150, 180, 48.2)}),
		{Name: "image-resizer", Runtime: "go1.x", Arch: "x86_64", MemoryMB: 128, TimeoutS: 3,
			Env:         map[string]string{"DB_PASSWORD": "hunter2-Zq9vX3", "BUCKET": "images-prod", "LOG_LEVEL": "info"},
			Policies:    map[string]string{"": ServicePolicy("image-resizer", "", "s3.amazonaws.com", "arn:aws:s3:::uploads-prod")},
			Invocations: 5000, Errors: 1000, Throttles: 12, AsyncEvents: 5000, DurationSumMs: 5000 * 900, DurationP99Ms: 2900,
			LogBytes: 1 << 20, Reports: textReports(2, 80, 128, 90, 121, 880)},
		ok(&Function{Name: "stream-consumer", Arch: "x86_64", MemoryMB: 3008, TimeoutS: 60,
			Invocations: 2000000, DurationSumMs: 2000000 * 200, DurationP99Ms: 800, LogBytes: 200 << 20,
			Reports: textReports(3, 200, 3008, 180, 300, 190)}),
		ok(&Function{Name: "event-handler", MemoryMB: 512, TimeoutS: 30, DLQ: QueueARN("event-handler-dlq"),
			Versions: []string{"3"}, Aliases: map[string]string{"live": "3"},
			Policies:    map[string]string{"live": ServicePolicy("event-handler", "live", "events.amazonaws.com", "arn:aws:events:us-east-1:123456789012:rule/order-placed")},
			Invocations: 300, AsyncEvents: 300, DurationSumMs: 300 * 120, DurationP99Ms: 400, LogBytes: 100 << 10,
			Reports: textReports(4, 60, 512, 200, 330, 118)}),
		ok(&Function{Name: "legacy-cron", Runtime: "python3.8", MemoryMB: 128, LastModified: "2025-01-15T09:30:00.000+0000"}),
		ok(&Function{Name: "chatty-logger", MemoryMB: 128, TimeoutS: 5,
			Invocations: 1000000, DurationSumMs: 1000000 * 5, DurationP99Ms: 20, LogBytes: 20 << 30,
			Reports: textReports(6, 100, 128, 60, 70, 4.6)}),
		ok(&Function{Name: "async-with-destination", MemoryMB: 256, TimeoutS: 10,
			Policies:    map[string]string{"live": ServicePolicy("async-with-destination", "live", "sns.amazonaws.com", "arn:aws:sns:us-east-1:123456789012:orders")},
			OnFailure:   map[string]string{"live": QueueARN("async-failures")},
			Invocations: 4000, AsyncEvents: 4000, DurationSumMs: 4000 * 30, DurationP99Ms: 90, LogBytes: 1 << 20,
			Reports: textReports(7, 70, 256, 100, 170, 29)}),
		ok(&Function{Name: "json-logger", MemoryMB: 512, TimeoutS: 10, LogFormat: "JSON", LogGroup: "/custom/json-logger",
			Invocations: 9000, DurationSumMs: 9000 * 12, DurationP99Ms: 40, LogBytes: 2 << 20,
			Reports: jsonReports(8, 90, 512, 400, 490, 11.8)}),
	}
	fl.Mappings = []Mapping{{UUID: "a1b2c3d4-0000-4000-8000-000000000001", FunctionArn: FunctionARN("stream-consumer") + ":live",
		EventSourceArn: fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/clickstream", Region, Account)}}
	for _, n := range []string{"orders-api", "stream-consumer", "event-handler", "legacy-cron", "chatty-logger", "async-with-destination", "json-logger"} {
		fl.Alarms = append(fl.Alarms, errorAlarms(n)...)
	}
	fl.Alarms = append(fl.Alarms, Alarm{Name: "async-failures-depth", Namespace: "AWS/SQS", Metric: "ApproximateNumberOfMessagesVisible", Dims: map[string]string{"QueueName": "async-failures"}})
	return fl
}

// GenerateEstate builds an estate of n functions for the benchmark: a mix of
// the SampleEstate's shapes, each with versions, an alias, a trigger, alarms and
// 60 REPORT lines, so every code path of the auditor is exercised at scale.
func GenerateEstate(n int) *Estate {
	fl := &Estate{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc-%04d", i)
		f := &Function{Name: name, MemoryMB: 512, TimeoutS: 10, Tracing: "Active", RetentionDays: 14,
			Versions: []string{"1", "2", "3"}, Aliases: map[string]string{"live": "3"},
			Invocations: float64(1000 + i), Errors: float64(i % 7), DurationSumMs: float64(1000+i) * 40, DurationP99Ms: 150, LogBytes: 4 << 20}
		switch i % 5 {
		case 0: // S3-triggered on $LATEST, no DLQ
			f.Policies = map[string]string{"": ServicePolicy(name, "", "s3.amazonaws.com", "arn:aws:s3:::bucket-"+name)}
			f.AsyncEvents = f.Invocations
		case 1: // EventBridge on the alias with an on-failure destination
			f.Policies = map[string]string{"live": ServicePolicy(name, "live", "events.amazonaws.com", "arn:aws:events:us-east-1:123456789012:rule/"+name)}
			f.OnFailure = map[string]string{"live": QueueARN(name + "-failures")}
			f.AsyncEvents = f.Invocations
		case 2: // API on the alias
			f.Policies = map[string]string{"live": ServicePolicy(name, "live", "apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:123456789012:api/*")}
		case 3: // stream consumer
			fl.Mappings = append(fl.Mappings, Mapping{UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), FunctionArn: f.ARN() + ":live",
				EventSourceArn: fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", Region, Account, name)})
		case 4: // no trigger, no versions
			f.Versions, f.Aliases = nil, nil
		}
		if i%2 == 0 {
			f.Reports = textReports(i, 60, 512, 60, 90+i%50, 38)
		} else {
			f.LogFormat = "JSON"
			f.Reports = jsonReports(i, 60, 512, 60, 90+i%50, 38)
		}
		fl.Functions = append(fl.Functions, f)
		if i%3 != 0 {
			fl.Alarms = append(fl.Alarms, errorAlarms(name)...)
		}
	}
	return fl
}
