package replay

import (
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// The engine's own calls (receive, deliver, delete, release) retry with
// the SDK's standard retryer, with as many attempts as the client's own
// retryer allows, whatever that retryer is. The clients of the project use
// the SDK's adaptive mode, whose client-side rate limiter answers one
// throttle by holding back every call of the client for seconds (3 to 5 s
// measured in TestReplayBacksOffWhenThrottled, for a throttle of 2 % of
// the batches): a second controller that fights the engine's own, which
// already halves its workers on the same throttle. The standard retryer
// keeps what matters: backoff with jitter on each retried call and a retry
// quota that stops retrying when most calls fail.

// standardRetries swaps a client's retryer for one standard retryer, made
// at the first call from the client's maximum attempts and shared by all
// later calls so its retry quota is one.
type standardRetries struct {
	once sync.Once
	r    aws.Retryer
}

func (s *standardRetries) swap(current aws.Retryer) aws.Retryer {
	if current == nil {
		return nil
	}
	s.once.Do(func() {
		n := current.MaxAttempts()
		s.r = retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = n })
	})
	return s.r
}

func (s *standardRetries) sqs(o *sqs.Options)       { o.Retryer = s.swap(o.Retryer) }
func (s *standardRetries) lambda(o *lambda.Options) { o.Retryer = s.swap(o.Retryer) }
