package tracing

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-xray-sdk-go/header"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
)

func TestFromEnvironment(t *testing.T) {
	tests := map[string]struct {
		fn, switch_ string
		want        string
		options     int
	}{
		"cli":         {want: "none"},
		"lambda":      {fn: "f", want: "xray", options: 2},
		"forced off":  {fn: "f", switch_: "off", want: "none"},
		"forced xray": {switch_: "xray", want: "xray", options: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("AWS_LAMBDA_FUNCTION_NAME", tc.fn)
			t.Setenv("SELFAUDIT_TRACING", tc.switch_)
			tr := FromEnvironment()
			if tr.Name() != tc.want {
				t.Fatalf("tracer = %s, want %s", tr.Name(), tc.want)
			}
			var cfg aws.Config
			tr.InstrumentAWS(&cfg)
			if len(cfg.APIOptions) != tc.options {
				t.Fatalf("%d API options added, want %d", len(cfg.APIOptions), tc.options)
			}
		})
	}
}

const (
	traceID  = "1-67891233-abcdef012345678912345678"
	parentID = "53995c3f42cd8ad8"
)

// TestXRaySubsegments calls the real Lambda client against the Lambda fake
// and checks the documents the daemon receives and the header the
// service receives.
func TestXRaySubsegments(t *testing.T) {
	tests := map[string]struct {
		status    int
		errorType string
		sampled   string
		wantDocs  int
		wantFlags []string
	}{
		"ok":           {status: 200, sampled: "1", wantDocs: 1},
		"client error": {status: 404, errorType: "ResourceNotFoundException", sampled: "1", wantDocs: 1, wantFlags: []string{"error"}},
		"throttled":    {status: 429, errorType: "TooManyRequestsException", sampled: "1", wantDocs: 1, wantFlags: []string{"error", "throttle"}},
		"server fault": {status: 500, errorType: "ServiceException", sampled: "1", wantDocs: 1, wantFlags: []string{"fault"}},
		"not sampled":  {status: 200, sampled: "0", wantDocs: 0},
		"no header":    {status: 200, wantDocs: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := testenv.StartXRayDaemon(t)
			t.Setenv("AWS_XRAY_DAEMON_ADDRESS", d.Addr)
			t.Setenv("_X_AMZN_TRACE_ID", "")
			var gotHeader string
			fake := awsfake.NewLambda(nil)
			fake.Put(&awsfake.Function{Name: "f", Versions: []string{"3"}})
			// The fake answers each request with the request ID req-N.
			fake.Override("GetFunctionConfiguration", func(c awsfake.Call) *awsfake.APIError {
				gotHeader = c.Request.Header.Get(TraceHeader)
				if tc.errorType != "" {
					return &awsfake.APIError{Status: tc.status, Type: tc.errorType, Message: "injected"}
				}
				return nil
			})
			x := NewXRay()
			cfg := aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(awsfake.Serve(t, fake).URL(fake)), RetryMaxAttempts: 1}
			x.InstrumentAWS(&cfg)
			ctx := context.Background()
			if tc.sampled != "" {
				//lint:ignore SA1029 aws-lambda-go stores the header under this plain string key
				ctx = context.WithValue(ctx, lambdaTraceKey, "Root="+traceID+";Parent="+parentID+";Sampled="+tc.sampled)
			}
			_, err := lambda.NewFromConfig(cfg).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("f")})
			if (err != nil) != (tc.errorType != "") {
				t.Fatalf("err = %v", err)
			}
			// When none is expected, wait a little for one that should not come.
			docs, malformed := d.Documents(max(tc.wantDocs, 1), time.Duration(min(tc.wantDocs, 1)*800+200)*time.Millisecond)
			if len(malformed) > 0 {
				t.Fatalf("datagrams not in the daemon's format: %q", malformed)
			}
			if len(docs) != tc.wantDocs {
				t.Fatalf("%d documents, want %d", len(docs), tc.wantDocs)
			}
			if tc.sampled == "" {
				if gotHeader != "" {
					t.Errorf("trace header %q sent without a trace", gotHeader)
				}
				return
			}
			down := header.FromString(gotHeader)
			if down.TraceID != traceID || down.SamplingDecision != header.SamplingDecision("Sampled="+tc.sampled) || len(down.ParentID) != 16 {
				t.Errorf("downstream header %q", gotHeader)
			}
			if tc.wantDocs == 0 {
				return
			}
			doc := docs[0]
			aws := doc["aws"].(map[string]any)
			if doc["type"] != "subsegment" || doc["name"] != "Lambda" || doc["namespace"] != "aws" ||
				doc["trace_id"] != traceID || doc["parent_id"] != parentID || doc["id"] != down.ParentID ||
				aws["operation"] != "GetFunctionConfiguration" || aws["region"] != "eu-west-1" || aws["request_id"] != "req-1" {
				t.Errorf("document %v", doc)
			}
			if s, e := doc["start_time"].(float64), doc["end_time"].(float64); s <= 0 || e < s {
				t.Errorf("times %v..%v", s, e)
			}
			if st := doc["http"].(map[string]any)["response"].(map[string]any)["status"]; st != float64(tc.status) {
				t.Errorf("status %v, want %d", st, tc.status)
			}
			var flags []string
			for _, f := range []string{"error", "fault", "throttle"} {
				if doc[f] == true {
					flags = append(flags, f)
				}
			}
			if strings.Join(flags, ",") != strings.Join(tc.wantFlags, ",") {
				t.Errorf("flags %v, want %v", flags, tc.wantFlags)
			}
			if tc.errorType != "" {
				ex := doc["cause"].(map[string]any)["exceptions"].([]any)[0].(map[string]any)
				if ex["type"] != tc.errorType || !strings.Contains(ex["message"].(string), "injected") {
					t.Errorf("cause %v", ex)
				}
			}
		})
	}
}

// TestXRayWithoutDaemon: with nothing listening, calls still succeed.
func TestXRayWithoutDaemon(t *testing.T) {
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := l.LocalAddr().String()
	l.Close()
	t.Setenv("AWS_XRAY_DAEMON_ADDRESS", addr)
	t.Setenv("_X_AMZN_TRACE_ID", "Root="+traceID+";Parent="+parentID+";Sampled=1")
	fake := awsfake.NewLambda(nil)
	fake.Put(&awsfake.Function{Name: "f"})
	x := NewXRay()
	cfg := aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(awsfake.Serve(t, fake).URL(fake))}
	x.InstrumentAWS(&cfg)
	c := lambda.NewFromConfig(cfg)
	for i := 0; i < 3; i++ {
		if _, err := c.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("f")}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestXRayBadDaemonAddress: an unusable address turns sending off, quietly.
func TestXRayBadDaemonAddress(t *testing.T) {
	t.Setenv("AWS_XRAY_DAEMON_ADDRESS", "not an address")
	x := NewXRay()
	x.send(&subsegment{ID: newID()})
	if x.conn != nil {
		t.Fatal("a connection was opened to an unusable address")
	}
}
