package lambdamain

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// InvokedARN is the ARN the running invocation was made through, from its
// context. Its partition, account and region are where the function runs,
// and so what a scan of "this account" reads: a function learns its account
// from it without a call to STS.
func InvokedARN(ctx context.Context) (arn.ARN, error) {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok || lc.InvokedFunctionArn == "" {
		return arn.ARN{}, errors.New("the invocation's context names no invoked function ARN, so the account is unknown")
	}
	a, err := arn.Parse(lc.InvokedFunctionArn)
	if err != nil || a.AccountID == "" || a.Region == "" {
		return arn.ARN{}, fmt.Errorf("invoked function ARN %q names no account and region", lc.InvokedFunctionArn)
	}
	return a, nil
}
