package awsfake_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfaudit/selfaudit/internal/awsfake"
)

// TestLambdaFunctionConcurrency: GetFunctionConcurrency answers the
// reserved concurrency, nothing for a function without one, and
// ResourceNotFoundException for an unknown function.
func TestLambdaFunctionConcurrency(t *testing.T) {
	lam := awsfake.NewLambda(nil)
	lam.Put(&awsfake.Function{Name: "capped", ReservedConcurrency: 5})
	lam.Put(&awsfake.Function{Name: "open"})
	c := lambda.NewFromConfig(cfg(awsfake.Serve(t, lam).URL(lam)))
	ctx := context.Background()
	out, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(awsfake.FunctionARN("capped"))})
	if err != nil || out.ReservedConcurrentExecutions == nil || *out.ReservedConcurrentExecutions != 5 {
		t.Errorf("capped: %+v, %v; want 5", out, err)
	}
	out, err = c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("open")})
	if err != nil || out.ReservedConcurrentExecutions != nil {
		t.Errorf("open: %+v, %v; want no reserved concurrency", out, err)
	}
	_, err = c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("nope")})
	if got := apiCode(err); got != "ResourceNotFoundException" {
		t.Errorf("unknown function: code %q, want ResourceNotFoundException", got)
	}
}
