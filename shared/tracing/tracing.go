package tracing

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-xray-sdk-go/instrumentation/awsv2"
	"github.com/aws/aws-xray-sdk-go/strategy/ctxmissing"
	"github.com/aws/aws-xray-sdk-go/xray"
	"github.com/aws/aws-xray-sdk-go/xraylog"
)

// Tracer adds tracing to AWS SDK clients built from a config.
type Tracer interface {
	// InstrumentAWS makes every client built from cfg record a subsegment
	// per call.
	InstrumentAWS(cfg *aws.Config)
	// Name says which implementation is active, for the start-up log line.
	Name() string
}

// FromEnvironment returns the X-Ray tracer inside Lambda (where the runtime
// provides the trace header and the daemon address) and a no-op tracer
// elsewhere, such as the command-line tool on a laptop. SELFAUDIT_TRACING=off
// turns tracing off everywhere; =xray forces it on (tests use that).
func FromEnvironment() Tracer {
	switch os.Getenv("SELFAUDIT_TRACING") {
	case "off":
		return Noop{}
	case "xray":
		return newXRay()
	}
	if os.Getenv("AWS_LAMBDA_FUNCTION_NAME") == "" {
		return Noop{}
	}
	return newXRay()
}

// Noop traces nothing.
type Noop struct{}

// InstrumentAWS does nothing.
func (Noop) InstrumentAWS(*aws.Config) {}

// Name is "none".
func (Noop) Name() string { return "none" }

// XRay instruments SDK clients with the X-Ray SDK's middleware.
type XRay struct{}

func newXRay() XRay {
	// Quiet when there is no segment (a call outside an invocation, or
	// local runs without the daemon): the default strategy logs an error
	// for every SDK call, which is noise, not signal.
	_ = xray.Configure(xray.Config{ContextMissingStrategy: ctxmissing.NewDefaultIgnoreErrorStrategy()})
	xray.SetLogger(xraylog.NullLogger)
	return XRay{}
}

// InstrumentAWS appends the X-Ray middleware to the config's API options.
func (XRay) InstrumentAWS(cfg *aws.Config) { awsv2.AWSV2Instrumentor(&cfg.APIOptions) }

// Name is "xray".
func (XRay) Name() string { return "xray" }
