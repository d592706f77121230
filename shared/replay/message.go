package replay

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// ReplayCountAttribute is the message attribute that carries how many times
// a message has been replayed. It is a Number attribute.
const ReplayCountAttribute = "selfaudit-replay-count"

// Kind is the shape of a dead-lettered message.
type Kind string

// Message kinds.
const (
	// KindAsyncDLQ is what Lambda writes to a function's dead-letter
	// queue: the body is the event, the attributes say why it failed.
	KindAsyncDLQ Kind = "lambda-async-dlq"
	// KindOnFailure is an on-failure destination record.
	KindOnFailure Kind = "lambda-on-failure"
	// KindRaw is anything else; it is replayed as it is.
	KindRaw Kind = "raw"
)

// Decoded is what the engine needs to know about one message.
type Decoded struct {
	Kind Kind
	// Payload is what a Lambda target receives: the body for a DLQ or raw
	// message, requestPayload for an on-failure record.
	Payload []byte
	// FunctionARN is requestContext.functionArn of an on-failure record,
	// qualifier included.
	FunctionARN  string
	RequestID    string
	ErrorCode    string
	ErrorType    string
	ErrorMessage string
	// ReplayCount is the value of the replay counter attribute, 0 when
	// absent. BadCounter is set when the attribute is present but not a
	// non-negative integer; such a message is treated as over the limit
	// rather than risk looping it.
	ReplayCount int
	BadCounter  bool
}

// onFailureRecord is the part of an on-failure destination record the
// engine reads.
type onFailureRecord struct {
	Version        string `json:"version"`
	RequestContext struct {
		RequestID   string `json:"requestId"`
		FunctionArn string `json:"functionArn"`
		Condition   string `json:"condition"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext struct {
		StatusCode    *int   `json:"statusCode"`
		FunctionError string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

// DecodeMessage classifies a received message. It never fails: a body that
// is not a well-formed on-failure record is a raw message.
func DecodeMessage(body string, attrs map[string]types.MessageAttributeValue) Decoded {
	d := Decoded{Kind: KindRaw, Payload: []byte(body)}
	d.ReplayCount, d.BadCounter = replayCount(attrs)

	if rec, ok := decodeOnFailure(body); ok {
		d.Kind = KindOnFailure
		d.Payload = rec.RequestPayload
		d.FunctionARN = rec.RequestContext.FunctionArn
		d.RequestID = rec.RequestContext.RequestID
		if rec.ResponseContext.StatusCode != nil {
			d.ErrorCode = strconv.Itoa(*rec.ResponseContext.StatusCode)
		}
		var resp struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		if len(rec.ResponsePayload) > 0 && rec.ResponsePayload[0] == '{' && json.Unmarshal(rec.ResponsePayload, &resp) == nil {
			d.ErrorType, d.ErrorMessage = resp.ErrorType, resp.ErrorMessage
		}
		if d.ErrorType == "" {
			d.ErrorType = rec.ResponseContext.FunctionError
		}
		return d
	}

	reqID, hasReq := stringAttr(attrs, "RequestID")
	code, hasCode := attrs["ErrorCode"]
	if hasReq && hasCode && strings.HasPrefix(aws.ToString(code.DataType), "Number") {
		d.Kind = KindAsyncDLQ
		d.RequestID = reqID
		d.ErrorCode = strings.TrimSpace(aws.ToString(code.StringValue))
		d.ErrorMessage, _ = stringAttr(attrs, "ErrorMessage")
	}
	return d
}

// decodeOnFailure recognises an on-failure destination record: a JSON
// object with requestContext.functionArn naming a Lambda function and a
// requestPayload.
func decodeOnFailure(body string) (onFailureRecord, bool) {
	b := bytes.TrimSpace([]byte(body))
	if len(b) == 0 || b[0] != '{' {
		return onFailureRecord{}, false
	}
	var rec onFailureRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return onFailureRecord{}, false
	}
	if len(rec.RequestPayload) == 0 || rec.RequestContext.FunctionArn == "" {
		return onFailureRecord{}, false
	}
	if t, err := ParseTarget(rec.RequestContext.FunctionArn); err != nil || t.Kind != TargetLambda {
		return onFailureRecord{}, false
	}
	return rec, true
}

func stringAttr(attrs map[string]types.MessageAttributeValue, name string) (string, bool) {
	v, ok := attrs[name]
	if !ok || v.StringValue == nil {
		return "", false
	}
	return *v.StringValue, true
}

func replayCount(attrs map[string]types.MessageAttributeValue) (n int, bad bool) {
	v, ok := attrs[ReplayCountAttribute]
	if !ok {
		return 0, false
	}
	s := strings.TrimSpace(aws.ToString(v.StringValue))
	c, err := strconv.ParseInt(s, 10, 64)
	if err != nil || c < 0 || c > math.MaxInt32 {
		return 0, true
	}
	return int(c), false
}

// Matches reports whether a message passes the filter.
func (f Filter) Matches(body string, d Decoded) bool {
	if f.ErrorCode != "" && f.ErrorCode != d.ErrorCode && f.ErrorCode != d.ErrorType {
		return false
	}
	if f.BodyContains != "" && !strings.Contains(body, f.BodyContains) {
		return false
	}
	return true
}
