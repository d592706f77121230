package replay

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	t.Parallel()
	const q = "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"
	tests := map[string]struct {
		in      string
		want    Request
		wantErr string
	}{
		"defaults": {in: `{"queueUrl":"` + q + `"}`,
			want: Request{QueueURL: q, MaxMessages: 1000, MaxReplays: 3, VisibilityTimeout: 30}},
		"everything": {in: `{"queueUrl":"arn:aws:sqs:us-east-1:123456789012:dlq","target":"arn:aws:lambda:us-east-1:123456789012:function:f:live","maxMessages":5,"ratePerSecond":2.5,"dryRun":true,"maxReplays":7,"visibilityTimeout":60,"filter":{"errorCode":" 429 ","bodyContains":"x"}}`,
			want: Request{QueueURL: "arn:aws:sqs:us-east-1:123456789012:dlq", Target: "arn:aws:lambda:us-east-1:123456789012:function:f:live", MaxMessages: 5, RatePerSecond: 2.5, DryRun: true, MaxReplays: 7, VisibilityTimeout: 60, Filter: Filter{ErrorCode: "429", BodyContains: "x"}}},
		"missing queue":        {in: `{}`, wantErr: "queueUrl is required"},
		"unknown field":        {in: `{"queueUrl":"` + q + `","maxMesages":5}`, wantErr: "unknown field"},
		"negative max":         {in: `{"queueUrl":"` + q + `","maxMessages":-1}`, wantErr: "maxMessages"},
		"negative rate":        {in: `{"queueUrl":"` + q + `","ratePerSecond":-1}`, wantErr: "ratePerSecond"},
		"negative replays":     {in: `{"queueUrl":"` + q + `","maxReplays":-2}`, wantErr: "maxReplays"},
		"visibility too long":  {in: `{"queueUrl":"` + q + `","visibilityTimeout":43201}`, wantErr: "visibilityTimeout"},
		"string number":        {in: `{"queueUrl":"` + q + `","maxMessages":"5"}`, wantErr: "decode JSON"},
		"trailing data":        {in: `{"queueUrl":"` + q + `"} {}`, wantErr: "after the JSON object"},
		"not an object":        {in: `[1]`, wantErr: "decode JSON"},
		"empty":                {in: ``, wantErr: "decode JSON"},
		"queue is not a URL":   {in: `{"queueUrl":"dlq"}`, wantErr: "neither"},
		"queue is an SNS ARN":  {in: `{"queueUrl":"arn:aws:sns:us-east-1:123456789012:topic"}`, wantErr: "not an SQS queue"},
		"target is a layer":    {in: `{"queueUrl":"` + q + `","target":"arn:aws:lambda:us-east-1:123456789012:layer:l:1"}`, wantErr: "not a function"},
		"target is a topic":    {in: `{"queueUrl":"` + q + `","target":"arn:aws:sns:us-east-1:123456789012:t"}`, wantErr: "want a Lambda function or an SQS queue"},
		"target bad qualifier": {in: `{"queueUrl":"` + q + `","target":"arn:aws:lambda:us-east-1:123456789012:function:f:a b"}`, wantErr: "qualifier"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRequest([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrBadRequest) {
					t.Fatalf("err = %v, want ErrBadRequest containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestSampleEvents parses every sample event an operator or `make invoke`
// would send to the function.
func TestSampleEvents(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(sampleRequests, "*.json"))
	if len(files) == 0 {
		t.Fatal("no sample events in events/dlq-replayer")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseRequest(b); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in                   string
		kind                 TargetKind
		function, qualifier  string
		queueName, queueAcct string
		wantErr              bool
	}{
		"function":          {in: "arn:aws:lambda:us-east-1:123456789012:function:f", kind: TargetLambda, function: "arn:aws:lambda:us-east-1:123456789012:function:f"},
		"alias":             {in: "arn:aws:lambda:eu-west-1:123456789012:function:f:live", kind: TargetLambda, function: "arn:aws:lambda:eu-west-1:123456789012:function:f", qualifier: "live"},
		"latest":            {in: "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST", kind: TargetLambda, function: "arn:aws:lambda:us-east-1:123456789012:function:f", qualifier: "$LATEST"},
		"version":           {in: "arn:aws-cn:lambda:cn-north-1:123456789012:function:f:7", kind: TargetLambda, function: "arn:aws-cn:lambda:cn-north-1:123456789012:function:f", qualifier: "7"},
		"queue ARN":         {in: "arn:aws:sqs:us-east-1:123456789012:q.fifo", kind: TargetQueue, queueName: "q.fifo", queueAcct: "123456789012"},
		"queue URL":         {in: "https://sqs.us-east-1.amazonaws.com/123456789012/q", kind: TargetQueue, queueName: "q", queueAcct: "123456789012"},
		"event source map":  {in: "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:abc", wantErr: true},
		"too many parts":    {in: "arn:aws:lambda:us-east-1:123456789012:function:f:1:2", wantErr: true},
		"no account":        {in: "arn:aws:lambda:us-east-1::function:f", wantErr: true},
		"queue name spaces": {in: "arn:aws:sqs:us-east-1:123456789012:a b", wantErr: true},
		"garbage":           {in: "arn:", wantErr: true},
		"80-char queue":     {in: "arn:aws:sqs:us-east-1:123456789012:" + strings.Repeat("q", 80), kind: TargetQueue, queueName: strings.Repeat("q", 80), queueAcct: "123456789012"},
		"81-char queue":     {in: "arn:aws:sqs:us-east-1:123456789012:" + strings.Repeat("q", 81), wantErr: true},
		"80-char fifo":      {in: "arn:aws:sqs:us-east-1:123456789012:" + strings.Repeat("q", 75) + ".fifo", kind: TargetQueue, queueName: strings.Repeat("q", 75) + ".fifo", queueAcct: "123456789012"},
		"81-char fifo":      {in: "arn:aws:sqs:us-east-1:123456789012:" + strings.Repeat("q", 76) + ".fifo", wantErr: true},
		"bare .fifo":        {in: "arn:aws:sqs:us-east-1:123456789012:.fifo", wantErr: true},
		"11-digit account":  {in: "arn:aws:sqs:us-east-1:12345678901:q", wantErr: true},
		"letter in account": {in: "arn:aws:lambda:us-east-1:12345678901x:function:f", wantErr: true},
		"65-char function":  {in: "arn:aws:lambda:us-east-1:123456789012:function:" + strings.Repeat("f", 65), wantErr: true},
		"bad qualifier":     {in: "arn:aws:lambda:us-east-1:123456789012:function:f:$latest", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTarget(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseTarget(%q) = %+v, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tc.kind || got.Function != tc.function || got.Qualifier != tc.qualifier || got.Queue.Name != tc.queueName || got.Queue.Account != tc.queueAcct {
				t.Errorf("got %+v", got)
			}
		})
	}
}
