package replay

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// throttleCodes are the error codes by which SQS, KMS (for an encrypted
// queue) and the generic AWS protocols say "slow down". SQS answers
// RequestThrottled past a queue's or an account's request rate, OverLimit
// past the in-flight message limit, and passes on KMS's throttling for
// encrypted queues (KmsThrottled, KMS.ThrottlingException on the wire).
var throttleCodes = map[string]bool{
	"RequestThrottled":                        true,
	"AWS.SimpleQueueService.RequestThrottled": true,
	"OverLimit":                               true,
	"AWS.SimpleQueueService.OverLimit":        true,
	"KmsThrottled":                            true,
	"KMS.ThrottlingException":                 true,
	"ThrottlingException":                     true,
	"Throttling":                              true,
	"TooManyRequestsException":                true,
}

// throttleCode names the throttling err reports, or returns "". Lambda's
// TooManyRequestsException carries a reason (ConcurrentInvocationLimitExceeded,
// ReservedFunctionConcurrentInvocationLimitExceeded,
// FunctionInvocationRateLimitExceeded, CallerRateLimitExceeded, ...),
// which is kept in the name: every one of them means fewer calls at once.
func throttleCode(err error) string {
	if err == nil {
		return ""
	}
	var tm *lambdatypes.TooManyRequestsException
	if errors.As(err, &tm) {
		if tm.Reason != "" {
			return "TooManyRequestsException:" + string(tm.Reason)
		}
		return "TooManyRequestsException"
	}
	var api smithy.APIError
	if errors.As(err, &api) && throttleCodes[api.ErrorCode()] {
		return api.ErrorCode()
	}
	return ""
}

// isThrottleCode says whether a batch entry's failure code is a throttle.
func isThrottleCode(code string) bool { return throttleCodes[code] }

// retriedThrottles counts the attempts of a successful call that were
// throttled and retried by the SDK: the call succeeded, but the endpoint
// said to slow down on the way.
func retriedThrottles(md middleware.Metadata) int {
	res, ok := retry.GetAttemptResults(md)
	if !ok {
		return 0
	}
	return countThrottled(res)
}

func countThrottled(res retry.AttemptResults) int {
	n := 0
	for _, a := range res.Results {
		if throttleCode(a.Err) != "" {
			n++
		}
	}
	return n
}
