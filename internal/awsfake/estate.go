package awsfake

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
)

// Account and Region of every made-up resource.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// Estate is the one model of a Lambda estate the Lambda, CloudWatch and
// CloudWatch Logs fakes answer from: functions with their versions,
// aliases, resource policies and event invoke configs, event source
// mappings, alarms, metrics and log lines. Fill it before the fakes serve
// it; Put and Lookup are safe while they do.
type Estate struct {
	Functions []*Function
	Mappings  []Mapping
	Alarms    []Alarm
	// InsightsDisabled makes StartQuery answer AccessDeniedException, as
	// for a role without logs:StartQuery.
	InsightsDisabled bool

	mu      sync.Mutex
	indexed int
	byName  map[string]*Function
	byGroup map[string][]*Function
}

// Put adds a function, or replaces the one of the same name.
func (e *Estate) Put(f *Function) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, g := range e.Functions {
		if g.Name == f.Name {
			e.Functions[i] = f
			e.indexed = -1
			return
		}
	}
	e.Functions = append(e.Functions, f)
}

// Lookup returns the function of a name.
func (e *Estate) Lookup(name string) *Function {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.index()
	return e.byName[name]
}

// functions returns a snapshot of the functions.
func (e *Estate) functions() []*Function {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Function(nil), e.Functions...)
}

// inGroup returns the functions logging to a log group.
func (e *Estate) inGroup(group string) []*Function {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.index()
	return e.byGroup[group]
}

// groups returns every log group with its functions.
func (e *Estate) groups() map[string][]*Function {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.index()
	return e.byGroup
}

func (e *Estate) index() {
	if e.indexed == len(e.Functions) && e.byName != nil {
		return
	}
	e.byName, e.byGroup = map[string]*Function{}, map[string][]*Function{}
	for _, f := range e.Functions {
		e.byName[f.Name] = f
		e.byGroup[f.LogGroupName()] = append(e.byGroup[f.LogGroupName()], f)
	}
	e.indexed = len(e.Functions)
}

// Function is one function and everything observed about it.
type Function struct {
	Name string
	// Arn is the unqualified ARN; default FunctionARN(Name).
	Arn          string
	Role         string // default arn:aws:iam::<Account>:role/<name>-role
	Handler      string // default bootstrap
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
	// ReservedConcurrency is what GetFunctionConcurrency answers; 0 means
	// none reserved.
	ReservedConcurrency int
	// Versions are published version numbers; each carries $LATEST's
	// configuration.
	Versions []string
	// Aliases maps an alias name to its version.
	Aliases map[string]string
	// Policies maps a qualifier ("" for the function itself) to a
	// resource policy document (JSON).
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
func (f *Function) ARN() string {
	if f.Arn != "" {
		return f.Arn
	}
	return FunctionARN(f.Name)
}

// FunctionARN is the unqualified ARN of a function name.
func FunctionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, name)
}

// QueueARN is the ARN of an SQS queue name.
func QueueARN(name string) string { return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", Region, Account, name) }

// LogGroupName is where the function logs.
func (f *Function) LogGroupName() string {
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

// LoadLambdaFixture reads a Lambda fixture file into an estate: a JSON
// object with "functions" (FunctionName, FunctionArn, Runtime, Handler,
// Role of each) and "policies" (the resource policy document of a
// function, by name; a function without one has no policy).
func LoadLambdaFixture(path string) (*Estate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fx struct {
		Functions []struct{ FunctionName, FunctionArn, Runtime, Handler, Role string } `json:"functions"`
		Policies  map[string]any                                                       `json:"policies"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	e := &Estate{}
	for _, f := range fx.Functions {
		fn := &Function{Name: f.FunctionName, Arn: f.FunctionArn, Runtime: f.Runtime, Handler: f.Handler, Role: f.Role}
		if doc, ok := fx.Policies[f.FunctionName]; ok {
			b, _ := json.Marshal(doc)
			fn.Policies = map[string]string{"": string(b)}
		}
		e.Functions = append(e.Functions, fn)
	}
	return e, nil
}
