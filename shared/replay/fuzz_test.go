package replay

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sampleRequests is the folder of the dlq-replayer's sample events, which
// are also the request tests' and fuzz seeds' fixtures.
var sampleRequests = filepath.Join("..", "..", "events", "dlq-replayer")

// seedFiles adds every JSON file of dir as a seed, followed by extra.
func seedFiles(f *testing.F, dir string, extra ...any) {
	f.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		f.Fatalf("no seed files in %s", dir)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]any{b}, extra...)...)
	}
}

// FuzzParseRequest: any input is either a valid, normalized request or an
// ErrBadRequest; never a panic, and a parsed request survives Normalize
// again unchanged.
func FuzzParseRequest(f *testing.F) {
	seedFiles(f, sampleRequests)
	f.Add([]byte(`{"queueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/q","maxMessages":-1}`))
	f.Add([]byte(`{"queueUrl":"arn:aws:sqs:us-east-1:123456789012:q","target":"arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRequest(data)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			return
		}
		again := r
		if err := again.Normalize(); err != nil || again != r {
			t.Fatalf("Normalize not idempotent: %+v -> %+v, %v", r, again, err)
		}
		if r.MaxMessages <= 0 || r.MaxReplays <= 0 || r.VisibilityTimeout <= 0 || r.RatePerSecond < 0 {
			t.Fatalf("accepted out-of-range request %+v", r)
		}
	})
}

// FuzzDecodeMessage: any body and attribute values decode without a panic,
// a record names a Lambda function, and a raw message's payload is its
// body unchanged.
func FuzzDecodeMessage(f *testing.F) {
	seedFiles(f, filepath.Join("testdata", "decode"), "200", "0")
	f.Add([]byte(`{"requestContext":{"functionArn":"arn:aws:lambda:us-east-1:123456789012:function:f"},"requestPayload":null}`), "200", "1")
	f.Fuzz(func(t *testing.T, body []byte, code, count string) {
		attrs := map[string]types.MessageAttributeValue{
			"RequestID":          {DataType: aws.String("String"), StringValue: aws.String("r")},
			"ErrorCode":          {DataType: aws.String("Number"), StringValue: aws.String(code)},
			ReplayCountAttribute: {DataType: aws.String("Number"), StringValue: aws.String(count)},
		}
		d := DecodeMessage(string(body), attrs)
		switch d.Kind {
		case KindOnFailure:
			if tgt, err := ParseTarget(d.FunctionARN); err != nil || tgt.Kind != TargetLambda {
				t.Fatalf("record names %q, not a function", d.FunctionARN)
			}
			if len(d.Payload) == 0 {
				t.Fatal("record without payload")
			}
		case KindAsyncDLQ, KindRaw:
			if string(d.Payload) != string(body) {
				t.Fatal("payload differs from body")
			}
		default:
			t.Fatalf("kind %q", d.Kind)
		}
		if d.ReplayCount < 0 {
			t.Fatalf("negative count %d", d.ReplayCount)
		}
	})
}
