package tracing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-xray-sdk-go/daemoncfg"
	"github.com/aws/aws-xray-sdk-go/header"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TraceHeader is the HTTP header that carries the trace context downstream.
const TraceHeader = "X-Amzn-Trace-Id"

// lambdaTraceKey is the context key under which aws-lambda-go stores the
// invocation's trace header (a plain string key, its choice).
const lambdaTraceKey = "x-amzn-trace-id"

// daemonHeader starts every document sent to the X-Ray daemon.
const daemonHeader = `{"format": "json", "version": 1}` + "\n"

// XRay records one X-Ray subsegment per AWS SDK call, parented to the
// invocation's segment, and sends it to the X-Ray daemon over UDP; it also
// passes the trace context on in the X-Amzn-Trace-Id header.
//
// It produces what the X-Ray SDK's awsv2 instrumentation produces (name =
// service, namespace aws, operation, region, request ID, retries, HTTP
// status, error/throttle/fault), but it uses only the SDK's header and
// daemoncfg packages. Its xray package links aws-sdk-go v1, gRPC and
// fasthttp into every binary: that tripled the size of each function (to
// 24-32 MB on arm64) and slowed its cold start, against budgets of 12 MB
// and 1.3x a hello-world function.
//
// Nothing is sent when the call has no trace header or the trace is not
// sampled, and a missing daemon costs one dropped UDP datagram: tracing
// never fails or slows an SDK call.
type XRay struct {
	// Now is the clock; tests replace it.
	Now func() time.Time

	once sync.Once
	// conn is nil when the daemon address is unusable. A net.Conn is safe
	// for concurrent writes and each Write is one datagram, so no lock.
	conn net.Conn
}

// NewXRay returns a tracer that sends to the daemon named by
// AWS_XRAY_DAEMON_ADDRESS (Lambda sets it), else 127.0.0.1:2000. The
// socket is opened on the first sampled call, not at start-up.
func NewXRay() *XRay { return &XRay{Now: time.Now} }

// Name is "xray".
func (*XRay) Name() string { return "xray" }

// InstrumentAWS adds the two middlewares to every client built from cfg.
func (x *XRay) InstrumentAWS(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, x.addRecorder, addPropagator)
}

type subsegmentKey struct{}

// subsegment is the X-Ray segment document of one SDK call
// (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html).
type subsegment struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	TraceID   string         `json:"trace_id"`
	ParentID  string         `json:"parent_id"`
	Type      string         `json:"type"`
	StartTime float64        `json:"start_time"`
	EndTime   float64        `json:"end_time"`
	Namespace string         `json:"namespace"`
	AWS       map[string]any `json:"aws"`
	HTTP      *httpInfo      `json:"http,omitempty"`
	Error     bool           `json:"error,omitempty"`
	Throttle  bool           `json:"throttle,omitempty"`
	Fault     bool           `json:"fault,omitempty"`
	Cause     *cause         `json:"cause,omitempty"`

	sampled header.SamplingDecision
}

type httpInfo struct {
	Response struct {
		Status        int   `json:"status,omitempty"`
		ContentLength int64 `json:"content_length,omitempty"`
	} `json:"response"`
}

type cause struct {
	Exceptions []exception `json:"exceptions"`
}

type exception struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Type    string `json:"type,omitempty"`
	Remote  bool   `json:"remote,omitempty"`
}

// invocationHeader returns the trace header of the invocation: the one
// aws-lambda-go put in the context, else the _X_AMZN_TRACE_ID variable
// (which it also sets, and which is all a goroutine without the context
// has).
func invocationHeader(ctx context.Context) *header.Header {
	s, _ := ctx.Value(lambdaTraceKey).(string)
	if s == "" {
		s = os.Getenv("_X_AMZN_TRACE_ID")
	}
	if s == "" {
		return nil
	}
	h := header.FromString(s)
	if h.TraceID == "" || h.ParentID == "" {
		return nil
	}
	return h
}

func (x *XRay) addRecorder(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("SelfauditXRayRecorder", func(
		ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler,
	) (middleware.InitializeOutput, middleware.Metadata, error) {
		h := invocationHeader(ctx)
		if h == nil {
			return next.HandleInitialize(ctx, in)
		}
		seg := &subsegment{
			ID: newID(), Name: awsmiddleware.GetServiceID(ctx), TraceID: h.TraceID, ParentID: h.ParentID,
			Type: "subsegment", Namespace: "aws", StartTime: epoch(x.Now()), sampled: h.SamplingDecision,
			AWS: map[string]any{"operation": awsmiddleware.GetOperationName(ctx), "region": awsmiddleware.GetRegion(ctx)},
		}
		ctx = context.WithValue(ctx, subsegmentKey{}, seg)
		out, md, err := next.HandleInitialize(ctx, in)
		seg.EndTime = epoch(x.Now())
		seg.record(md, err)
		if h.SamplingDecision == header.Sampled {
			x.send(seg)
		}
		return out, md, err
	}), middleware.After)
}

// addPropagator sets X-Amzn-Trace-Id on each attempt so the called service
// joins the trace under this call's subsegment. X-Ray's header is not
// signed by SigV4, so setting it late is safe.
func addPropagator(stack *middleware.Stack) error {
	return stack.Build.Add(middleware.BuildMiddlewareFunc("SelfauditXRayPropagator", func(
		ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler,
	) (middleware.BuildOutput, middleware.Metadata, error) {
		seg, _ := ctx.Value(subsegmentKey{}).(*subsegment)
		if req, ok := in.Request.(*smithyhttp.Request); ok && seg != nil {
			down := header.Header{TraceID: seg.TraceID, ParentID: seg.ID, SamplingDecision: seg.sampled}
			req.Header.Set(TraceHeader, down.String())
		}
		return next.HandleBuild(ctx, in)
	}), middleware.After)
}

// record fills in what the call's outcome says, with X-Ray's meaning of
// the flags: throttle (429) and error for client errors (4xx), fault for
// server errors and for failures with no HTTP answer at all.
func (s *subsegment) record(md middleware.Metadata, err error) {
	if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok && id != "" {
		s.AWS["request_id"] = id
	}
	if res, ok := retry.GetAttemptResults(md); ok && len(res.Results) > 1 {
		s.AWS["retries"] = len(res.Results) - 1
	}
	status := 0
	if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && raw != nil {
		status = raw.StatusCode
		s.HTTP = &httpInfo{}
		s.HTTP.Response.Status = status
		if raw.ContentLength > 0 {
			s.HTTP.Response.ContentLength = raw.ContentLength
		}
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case status == 429:
		s.Throttle, s.Error = true, true
	case status >= 500:
		s.Fault = true
	case status >= 400:
		s.Error = true
	case err != nil:
		s.Fault = true
	}
	if err != nil {
		ex := exception{ID: newID(), Message: err.Error(), Remote: status != 0}
		var coded interface{ ErrorCode() string }
		if errors.As(err, &coded) {
			ex.Type = coded.ErrorCode()
		}
		s.Cause = &cause{Exceptions: []exception{ex}}
	}
}

// send writes one document to the daemon; a failure is dropped, never
// reported to the caller, as the X-Ray SDK's emitter does.
func (x *XRay) send(s *subsegment) {
	x.once.Do(x.dial)
	if x.conn == nil {
		return
	}
	doc, err := json.Marshal(s)
	if err != nil {
		return
	}
	_, _ = x.conn.Write(append([]byte(daemonHeader), doc...))
}

func (x *XRay) dial() {
	ep, err := daemoncfg.GetDaemonEndpointsFromEnv()
	if err != nil {
		return
	}
	if ep == nil {
		ep = daemoncfg.GetDefaultDaemonEndpoints()
	}
	conn, err := net.DialUDP("udp", nil, ep.UDPAddr)
	if err != nil {
		return
	}
	x.conn = conn
}

// newID is a 64-bit random ID in 16 hex digits, X-Ray's segment ID form.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// epoch is X-Ray's time: seconds since the epoch with fractions.
func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
