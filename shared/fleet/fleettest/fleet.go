package fleettest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Account and Region of every made-up resource.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// Fleet is the estate the servers describe.
type Fleet struct {
	Functions []*Func
	Mappings  []Mapping
	Alarms    []Alarm
	// InsightsDisabled makes StartQuery answer AccessDeniedException, as
	// for a role without logs:StartQuery.
	InsightsDisabled bool
}

// Func is one function and everything observed about it.
type Func struct {
	Name         string
	Runtime      string // default provided.al2023
	Arch         string // default arm64
	MemoryMB     int    // default 128
	TimeoutS     int    // default 3
	Tracing      string // Active or PassThrough (default)
	DLQ          string // DeadLetterConfig target ARN
	Env          map[string]string
	LogFormat    string // Text (default) or JSON
	LogGroup     string // custom log group; default /aws/lambda/<name>
	LastModified string // default 2025-06-01T10:00:00.000+0000
	// Versions are published version numbers; each carries $LATEST's
	// configuration.
	Versions []string
	// Aliases maps an alias name to its version.
	Aliases map[string]string
	// Policies maps a qualifier ("" for the function itself) to a
	// resource policy document.
	Policies map[string]string
	// OnFailure maps a qualifier ("" for the function itself) to an
	// asynchronous on-failure destination.
	OnFailure map[string]string

	// NoLogGroup says the function never logged; RetentionDays 0 means
	// the group keeps logs forever.
	NoLogGroup    bool
	RetentionDays int

	Invocations, Errors, Throttles, AsyncEvents float64
	DurationSumMs, DurationP99Ms                float64
	LogBytes                                    float64
	// Reports are the REPORT lines (text or JSON) in the log group.
	Reports []string
}

// Mapping is an event source mapping.
type Mapping struct {
	UUID           string
	FunctionArn    string // qualified or not
	EventSourceArn string
	OnFailure      string
}

// Alarm is a metric alarm on one metric, or a metric-math alarm over
// several (Math set).
type Alarm struct {
	Name      string
	Namespace string
	Metric    string
	Dims      map[string]string
	// Math lists the metrics of a metric-math alarm; Namespace, Metric
	// and Dims of the alarm itself are then empty.
	Math []Alarm
}

// ARN is the function's unqualified ARN.
func (f *Func) ARN() string { return FunctionARN(f.Name) }

// FunctionARN is the unqualified ARN of a function name.
func FunctionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, name)
}

// QueueARN is the ARN of an SQS queue name.
func QueueARN(name string) string { return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", Region, Account, name) }

// LogGroupName is where the function logs.
func (f *Func) LogGroupName() string {
	if f.LogGroup != "" {
		return f.LogGroup
	}
	return "/aws/lambda/" + f.Name
}

// ServicePolicy returns a resource policy letting a service principal
// invoke the function (or alias), scoped to a source ARN, as
// AddPermission writes it.
func ServicePolicy(functionName, qualifier, service, sourceArn string) string {
	res := FunctionARN(functionName)
	if qualifier != "" {
		res += ":" + qualifier
	}
	doc := map[string]any{
		"Version": "2012-10-17", "Id": "default",
		"Statement": []any{map[string]any{
			"Sid": strings.SplitN(service, ".", 2)[0] + "-invoke", "Effect": "Allow",
			"Principal": map[string]any{"Service": service}, "Action": "lambda:InvokeFunction", "Resource": res,
			"Condition": map[string]any{"ArnLike": map[string]any{"AWS:SourceArn": sourceArn}},
		}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// TextReport is a REPORT line in Lambda's text log format, as Lambda
// writes it (tab-separated, trailing tab, Init Duration on cold starts).
func TextReport(requestID string, durationMs float64, memoryMB, usedMB int, initMs float64) string {
	billed := int(durationMs)
	if float64(billed) < durationMs {
		billed++
	}
	s := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		requestID, durationMs, billed, memoryMB, usedMB)
	if initMs > 0 {
		s += fmt.Sprintf("Init Duration: %.2f ms\t", initMs)
	}
	return s
}

// JSONReport is the platform.report event of Lambda's JSON log format.
func JSONReport(requestID, time string, durationMs float64, memoryMB, usedMB int, initMs float64) string {
	billed := int(durationMs)
	if float64(billed) < durationMs {
		billed++
	}
	metrics := map[string]any{"durationMs": durationMs, "billedDurationMs": billed, "memorySizeMB": memoryMB, "maxMemoryUsedMB": usedMB}
	if initMs > 0 {
		metrics["initDurationMs"] = initMs
	}
	b, _ := json.Marshal(map[string]any{
		"time": time, "type": "platform.report",
		"record": map[string]any{"requestId": requestID, "metrics": metrics, "status": "success"},
	})
	return string(b)
}

// RequestID makes a request ID shaped like Lambda's from two numbers.
func RequestID(fn, n int) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", fn*7919+n, n&0xffff, fn&0xfff, n&0xfff, fn*1000003+n)
}
