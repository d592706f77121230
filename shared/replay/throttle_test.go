package replay

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

func TestThrottleCode(t *testing.T) {
	t.Parallel()
	op := func(err error) error {
		return &smithy.OperationError{ServiceID: "SQS", OperationName: "SendMessageBatch", Err: fmt.Errorf("https response error StatusCode: 400: %w", err)}
	}
	tests := map[string]struct {
		err  error
		want string
	}{
		"nil":                {nil, ""},
		"other error":        {errors.New("connection reset"), ""},
		"sqs internal error": {op(&smithy.GenericAPIError{Code: "InternalError"}), ""},
		"request throttled":  {op(&sqstypes.RequestThrottled{}), "RequestThrottled"},
		"query-compatible code": {op(&smithy.GenericAPIError{Code: "AWS.SimpleQueueService.RequestThrottled"}),
			"AWS.SimpleQueueService.RequestThrottled"},
		"over limit":              {op(&sqstypes.OverLimit{}), "OverLimit"},
		"kms throttled":           {op(&sqstypes.KmsThrottled{}), "KmsThrottled"},
		"kms throttled, its code": {op(&smithy.GenericAPIError{Code: "KMS.ThrottlingException"}), "KMS.ThrottlingException"},
		"lambda without reason":   {op(&lambdatypes.TooManyRequestsException{}), "TooManyRequestsException"},
		"lambda concurrency": {op(&lambdatypes.TooManyRequestsException{Reason: lambdatypes.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded}),
			"TooManyRequestsException:ReservedFunctionConcurrentInvocationLimitExceeded"},
		"lambda rate": {op(&lambdatypes.TooManyRequestsException{Reason: lambdatypes.ThrottleReasonCallerRateLimitExceeded}),
			"TooManyRequestsException:CallerRateLimitExceeded"},
		"sdk gave up": {&retry.MaxAttemptsError{Attempt: 5, Err: op(&sqstypes.RequestThrottled{})}, "RequestThrottled"},
	}
	for name, tc := range tests {
		if got := throttleCode(tc.err); got != tc.want {
			t.Errorf("%s: throttleCode = %q, want %q", name, got, tc.want)
		}
	}
	if !isThrottleCode("RequestThrottled") || isThrottleCode("InternalError") {
		t.Error("isThrottleCode: wrong answer for a batch entry's code")
	}
}

// TestRetriedThrottles: a call that succeeded after the SDK retried
// throttled attempts still tells the controller to slow down.
func TestRetriedThrottles(t *testing.T) {
	t.Parallel()
	var md middleware.Metadata
	if n := retriedThrottles(md); n != 0 {
		t.Errorf("no attempt results: %d", n)
	}
	res := retry.AttemptResults{Results: []retry.AttemptResult{
		{Err: &sqstypes.RequestThrottled{}, Retryable: true, Retried: true},
		{Err: &smithy.GenericAPIError{Code: "InternalError"}, Retryable: true, Retried: true},
		{Err: &lambdatypes.TooManyRequestsException{}, Retryable: true, Retried: true},
		{},
	}}
	if n := countThrottled(res); n != 2 {
		t.Errorf("throttled attempts = %d, want 2", n)
	}
}
