package replay

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sqsMessage is a received message as a test fixture: the body and the
// message attributes in ReceiveMessage's JSON shape.
type sqsMessage struct {
	Body              string                                 `json:"body"`
	MessageAttributes map[string]types.MessageAttributeValue `json:"messageAttributes"`
}

func TestDecodeMessage(t *testing.T) {
	t.Parallel()
	read := func(t *testing.T, name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("testdata", "decode", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var dlq sqsMessage
	if err := json.Unmarshal([]byte(read(t, "async-dlq.json")), &dlq); err != nil {
		t.Fatal(err)
	}
	attr := func(typ, v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String(typ), StringValue: aws.String(v)}
	}
	tests := map[string]struct {
		body  string
		attrs map[string]types.MessageAttributeValue
		want  Decoded
	}{
		"async DLQ message": {body: dlq.Body, attrs: dlq.MessageAttributes, want: Decoded{Kind: KindAsyncDLQ, Payload: []byte(dlq.Body),
			RequestID: "d9c8fb5f-xmpl-4b0f-9b8b-4d0b5a5a1c2e", ErrorCode: "200", ErrorMessage: "RequestId: d9c8fb5f-xmpl-4b0f-9b8b-4d0b5a5a1c2e Error: Runtime exited with error: exit status 2"}},
		"on-failure record (Lambda guide)": {body: read(t, "onfailure-awsdocs.json"), want: Decoded{Kind: KindOnFailure,
			FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:my-function:$LATEST", RequestID: "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
			ErrorCode: "200", ErrorType: "Unhandled", ErrorMessage: "RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e Process exited before completing request"}},
		"on-failure record (CDK)": {body: read(t, "onfailure-cdk.json"), want: Decoded{Kind: KindOnFailure,
			FunctionARN: "arn:aws:lambda:sa-east-1:123456678912:function:event-destinations:$LATEST", RequestID: "8ea123e4-1db7-4aca-ad10-d9ca1234c1fd",
			ErrorCode: "200", ErrorType: "Error", ErrorMessage: "Failure from event, Success = false, I am failing!"}},
		"success record is a record too": {body: read(t, "success-cdk.json"), want: Decoded{Kind: KindOnFailure,
			FunctionARN: "arn:aws:lambda:sa-east-1:123456789123:function:event-destinations:$LATEST", RequestID: "c2a6f2ae-7dbb-4d22-8782-d0485c9877e2", ErrorCode: "200"}},
		"ErrorCode as a String is not Lambda's": {body: "x", attrs: map[string]types.MessageAttributeValue{"RequestID": attr("String", "r"), "ErrorCode": attr("String", "200")},
			want: Decoded{Kind: KindRaw, Payload: []byte("x")}},
		"record naming a queue is raw": {body: `{"requestContext":{"functionArn":"arn:aws:sqs:us-east-1:123456789012:q"},"requestPayload":{}}`,
			want: Decoded{Kind: KindRaw}},
		"record without payload is raw": {body: `{"requestContext":{"functionArn":"arn:aws:lambda:us-east-1:123456789012:function:f"}}`, want: Decoded{Kind: KindRaw}},
		"counter":                       {body: "x", attrs: map[string]types.MessageAttributeValue{ReplayCountAttribute: attr("Number", "2")}, want: Decoded{Kind: KindRaw, Payload: []byte("x"), ReplayCount: 2}},
		"bad counter":                   {body: "x", attrs: map[string]types.MessageAttributeValue{ReplayCountAttribute: attr("Number", "-1")}, want: Decoded{Kind: KindRaw, Payload: []byte("x"), BadCounter: true}},
		"plain text":                    {body: "hello", want: Decoded{Kind: KindRaw, Payload: []byte("hello")}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := DecodeMessage(tc.body, tc.attrs)
			if tc.want.Payload == nil && got.Kind == KindRaw {
				tc.want.Payload = []byte(tc.body)
			}
			if tc.want.Kind == KindOnFailure {
				var rec struct {
					RequestPayload json.RawMessage `json:"requestPayload"`
				}
				_ = json.Unmarshal([]byte(tc.body), &rec)
				tc.want.Payload = rec.RequestPayload
			}
			if string(got.Payload) != string(tc.want.Payload) {
				t.Errorf("payload = %s, want %s", got.Payload, tc.want.Payload)
			}
			got.Payload, tc.want.Payload = nil, nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestFilterMatches(t *testing.T) {
	t.Parallel()
	d := Decoded{ErrorCode: "200", ErrorType: "Unhandled"}
	tests := map[string]struct {
		f    Filter
		want bool
	}{
		"empty":              {Filter{}, true},
		"code":               {Filter{ErrorCode: "200"}, true},
		"type":               {Filter{ErrorCode: "Unhandled"}, true},
		"other code":         {Filter{ErrorCode: "429"}, false},
		"body":               {Filter{BodyContains: "order"}, true},
		"body and code miss": {Filter{ErrorCode: "200", BodyContains: "nope"}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tc.f.Matches(`{"order":1}`, d); got != tc.want {
				t.Errorf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}
