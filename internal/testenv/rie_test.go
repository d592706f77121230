package testenv

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
)

// TestInvokerThroughSDK runs the hello function under aws-lambda-rie behind
// the Lambda fake and invokes it through the real SDK client, checking that
// function errors are marked as real Lambda marks them.
func TestInvokerThroughSDK(t *testing.T) {
	FakeAWSEnv(t)
	bin := BuildPackage(t, "./internal/testenv/testdata/hello", "hello")
	front := awsfake.NewLambda(nil)
	front.Invoke = Invoker(map[string]*RIE{"hello": StartRIE(t, bin, "AWS_LAMBDA_FUNCTION_TIMEOUT=10")})
	awsfake.Serve(t, front).Setenv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := lambda.NewFromConfig(cfg)

	tests := map[string]struct {
		payload   string
		wantError string
		wantBody  string
	}{
		"echo":  {payload: `{"x":1}`, wantBody: `{"x":1}`},
		"error": {payload: `{"fail":true}`, wantError: "Unhandled", wantBody: "asked to fail"},
		"panic": {payload: `{"panic":true}`, wantError: "Unhandled", wantBody: "asked to panic"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := client.Invoke(ctx, &lambda.InvokeInput{
				FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:hello:live"),
				Payload:      []byte(tc.payload),
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.FunctionError); got != tc.wantError {
				t.Errorf("FunctionError = %q, want %q (payload %s)", got, tc.wantError, out.Payload)
			}
			if !strings.Contains(string(out.Payload), tc.wantBody) {
				t.Errorf("payload %s does not contain %q", out.Payload, tc.wantBody)
			}
		})
	}

	if _, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("hello"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"async":true}`)}); err != nil {
		t.Fatal(err)
	}
	calls := front.Invocations()
	last := calls[len(calls)-1]
	if last.InvocationType != "Event" || string(last.Result.Payload) != `{"async":true}` {
		t.Errorf("async call = %+v", last)
	}
	if calls[0].Qualifier != "live" {
		t.Errorf("qualifier = %q, want live", calls[0].Qualifier)
	}
}
