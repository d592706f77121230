package fleet

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Function is everything the auditor learnt about one function; the checks
// read only this, so they can be tested without any API.
type Function struct {
	Name string
	// ARN is the unqualified function ARN, the resource of its findings.
	ARN string
	// Latest is the $LATEST configuration.
	Latest types.FunctionConfiguration
	// Versions are the published versions by number.
	Versions map[string]types.FunctionConfiguration
	Aliases  []types.AliasConfiguration
	// Policies are the resource-policy statements by qualifier ("" for
	// the unqualified function, else the alias name).
	Policies map[string][]Statement
	// Mappings are the event source mappings invoking the function.
	Mappings []types.EventSourceMappingConfiguration
	// InvokeConfigs are the asynchronous invocation settings; read only
	// for asynchronously invoked functions without a dead-letter queue.
	InvokeConfigs []types.FunctionEventInvokeConfig
	// LogGroupName is where the function logs; LogGroup is nil when the
	// group does not exist (a function never invoked).
	LogGroupName string
	LogGroup     *logtypes.LogGroup
	// SharedLogGroup is set when other functions log to the same group,
	// which makes its REPORT lines and IncomingBytes not this function's.
	SharedLogGroup bool
	Metrics        Metrics
	// Reports summarises the REPORT lines of the window; nil when they
	// were not read.
	Reports *ReportSummary
}

// Metrics are the function's CloudWatch figures over the window.
type Metrics struct {
	Invocations   float64
	Errors        float64
	Throttles     float64
	DurationSumMs float64
	DurationP99Ms float64
	// AsyncEvents is AsyncEventsReceived: events queued for asynchronous
	// invocation, whoever sent them.
	AsyncEvents float64
	// LogBytes is the log group's IncomingBytes.
	LogBytes float64
	// HasP99 tells a p99 of zero from no data.
	HasP99 bool
}

// ReportSummary is what the REPORT lines say about memory.
type ReportSummary struct {
	Count  int
	PeakMB float64
	P99MB  float64
	// Source is "insights" or "events".
	Source string
}

// Statement is the part of a resource-policy statement the checks need.
type Statement struct {
	Sid         string
	Effect      string
	Services    []string // service principals
	AnyoneOrAWS bool     // a "*" or account principal
	Actions     []string
	Resource    string
	SourceArn   string
}

// arch is the function's architecture, x86_64 when unset.
func (f *Function) arch() string {
	if len(f.Latest.Architectures) > 0 {
		return string(f.Latest.Architectures[0])
	}
	return string(types.ArchitectureX8664)
}

// memoryMB is the configured memory of $LATEST.
func (f *Function) memoryMB() int { return int(aws.ToInt32(f.Latest.MemorySize)) }

// configFor returns the configuration a qualifier runs: an alias's version,
// a version number, or $LATEST.
func (f *Function) configFor(qualifier string) types.FunctionConfiguration {
	if qualifier == "" || qualifier == "$LATEST" {
		return f.Latest
	}
	if c, ok := f.Versions[qualifier]; ok {
		return c
	}
	for _, a := range f.Aliases {
		if aws.ToString(a.Name) == qualifier {
			if c, ok := f.Versions[aws.ToString(a.FunctionVersion)]; ok {
				return c
			}
		}
	}
	return f.Latest
}

// qualifierOf returns the qualifier of a function ARN: "" when unqualified.
func qualifierOf(arn string) string {
	i := strings.Index(arn, ":function:")
	if i < 0 {
		return ""
	}
	rest := arn[i+len(":function:"):]
	if _, q, ok := strings.Cut(rest, ":"); ok {
		return q
	}
	return ""
}

// functionNameOf returns the function name of a function ARN or name.
func functionNameOf(arnOrName string) string {
	s := arnOrName
	if i := strings.Index(s, ":function:"); i >= 0 {
		s = s[i+len(":function:"):]
	}
	name, _, _ := strings.Cut(s, ":")
	return name
}

// lastARNPart is the name at the end of an ARN, such as a queue's name.
func lastARNPart(arn string) string {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
