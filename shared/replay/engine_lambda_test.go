package replay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/awsconfig/chain"
	"github.com/selfaudit/selfaudit/shared/replay"
)

// lambdaFront runs the hello echo function under aws-lambda-rie behind the
// Lambda fake and returns a real SDK Lambda client pointed at it.
func lambdaFront(t *testing.T) (*lambda.Client, *awsfake.Lambda) {
	t.Helper()
	bin := testenv.BuildPackage(t, "./internal/testenv/testdata/hello", "hello")
	front := awsfake.NewLambda(nil)
	front.Invoke = testenv.Invoker(map[string]*testenv.RIE{"hello": testenv.StartRIE(t, bin, "AWS_LAMBDA_FUNCTION_TIMEOUT=10")})
	awsfake.Serve(t, front).Setenv(t)
	cfg, err := chain.Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return lambda.NewFromConfig(cfg), front
}

// sendBodies puts the given bodies into a queue with the given attributes.
func sendBodies(t *testing.T, c *sqs.Client, url string, bodies []string, attrs map[string]types.MessageAttributeValue) {
	t.Helper()
	for i, b := range bodies {
		if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b), MessageAttributes: attrs}); err != nil {
			t.Fatalf("send body %d: %v", i, err)
		}
	}
}

// TestReplayToLambda re-drives Lambda DLQ messages and on-failure records
// to a real function under aws-lambda-rie, through the SDK's Lambda client.
func TestReplayToLambda(t *testing.T) {
	c := fauxqs(t, nil)
	fn, front := lambdaFront(t)
	ctx := context.Background()
	const n = 12
	events := make([]string, n)
	for i := range events {
		events[i] = fmt.Sprintf(`{"order":%d}`, i)
	}

	t.Run("async DLQ messages to a qualified function", func(t *testing.T) {
		dlq := newQueue(t, c, "fn-dlq", false)
		sendBodies(t, c, dlq, events, map[string]types.MessageAttributeValue{"RequestID": str("e4b46cbf-b738-xmpl-8880-a18cdf61200e"), "ErrorCode": num("200"), "ErrorMessage": str("boom")})
		before := len(front.Invocations())
		res, err := replay.New(c, fn, replay.Options{}).Run(ctx, replay.Request{QueueURL: dlq, Target: "arn:aws:lambda:us-east-1:123456789012:function:hello:live"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Replayed != n || res.Failed != 0 || res.RemainingApprox != 0 {
			t.Errorf("result = %+v", res)
		}
		calls := front.Invocations()[before:]
		var got []string
		for _, call := range calls {
			if call.InvocationType == "DryRun" || call.Retry {
				continue
			}
			if call.InvocationType != "Event" || call.Qualifier != "live" || call.Function != "hello" {
				t.Errorf("call %+v: want an Event invocation of hello:live", call)
			}
			if call.Result.FunctionError != "" {
				t.Errorf("function failed on %s", call.Payload)
			}
			got = append(got, string(call.Payload))
		}
		sort.Strings(got)
		want := append([]string(nil), events...)
		sort.Strings(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("function received %v, want %v", got, want)
		}
	})

	t.Run("on-failure records unwrapped to the function they name", func(t *testing.T) {
		tmpl, err := os.ReadFile(filepath.Join("testdata", "decode", "onfailure-awsdocs.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rec map[string]any
		if err := json.Unmarshal(tmpl, &rec); err != nil {
			t.Fatal(err)
		}
		dlq := newQueue(t, c, "onfailure", false)
		var bodies []string
		for i := range n {
			rec["requestContext"].(map[string]any)["functionArn"] = "arn:aws:lambda:us-east-1:123456789012:function:hello:$LATEST"
			rec["requestPayload"] = map[string]any{"order": i}
			b, _ := json.Marshal(rec)
			bodies = append(bodies, string(b))
		}
		sendBodies(t, c, dlq, bodies, nil)
		before := len(front.Invocations())
		res, err := replay.New(c, fn, replay.Options{}).Run(ctx, replay.Request{QueueURL: dlq})
		if err != nil {
			t.Fatal(err)
		}
		if res.Replayed != n {
			t.Errorf("result = %+v", res)
		}
		seen := map[string]bool{}
		for _, call := range front.Invocations()[before:] {
			if call.Qualifier != "$LATEST" || call.InvocationType != "Event" {
				t.Errorf("call %+v: want an Event invocation of hello:$LATEST", call)
			}
			seen[string(call.Payload)] = true
		}
		for i := range n {
			if p := `{"order":` + strconv.Itoa(i) + `}`; !seen[p] {
				t.Errorf("payload %s never reached the function", p)
			}
		}
	})

	t.Run("records naming a missing function stay", func(t *testing.T) {
		dlq := newQueue(t, c, "onfailure", false)
		body := `{"version":"1.0","requestContext":{"requestId":"r1","functionArn":"arn:aws:lambda:us-east-1:123456789012:function:gone","condition":"RetriesExhausted"},"requestPayload":{"x":1}}`
		sendBodies(t, c, dlq, []string{body, body}, nil)
		res, err := replay.New(c, fn, replay.Options{}).Run(ctx, replay.Request{QueueURL: dlq, VisibilityTimeout: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed != 2 || res.Replayed != 0 || res.RemainingApprox != 2 {
			t.Errorf("result = %+v", res)
		}
	})

	t.Run("reserved concurrency bounds the workers", func(t *testing.T) {
		front.Put(&awsfake.Function{Name: "hello", ReservedConcurrency: 2})
		defer front.Put(&awsfake.Function{Name: "hello"})
		dlq := newQueue(t, c, "fn-dlq", false)
		var many []string
		for i := range 60 {
			many = append(many, fmt.Sprintf(`{"order":%d}`, 100+i))
		}
		sendBodies(t, c, dlq, many, nil)
		res, err := replay.New(c, fn, replay.Options{}).Run(ctx, replay.Request{QueueURL: dlq, Target: "arn:aws:lambda:us-east-1:123456789012:function:hello"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Replayed != 60 || res.PeakConcurrency > 2 || res.Concurrency < 1 {
			t.Errorf("result = %+v; want 60 replayed by at most 2 workers (the function's reserved concurrency)", res)
		}
		if front.Count("GetFunctionConcurrency") == 0 {
			t.Error("the engine never asked for the function's reserved concurrency")
		}
	})

	t.Run("unknown target function touches nothing", func(t *testing.T) {
		dlq := newQueue(t, c, "fn-dlq", false)
		sendBodies(t, c, dlq, events[:3], nil)
		_, err := replay.New(c, fn, replay.Options{}).Run(ctx, replay.Request{QueueURL: dlq, Target: "arn:aws:lambda:us-east-1:123456789012:function:nope"})
		if !errors.Is(err, replay.ErrBadTarget) {
			t.Fatalf("err = %v, want ErrBadTarget", err)
		}
		if v, h := approx(t, c, dlq); v != 3 || h != 0 {
			t.Errorf("DLQ has %d visible, %d hidden; want 3 untouched", v, h)
		}
	})
}
