package replay_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/awsconfig/chain"
)

// fauxqs points the SDK at fauxqs for this test and returns a client built
// the way production builds it (chain.Load, adaptive retries). A non-nil
// transport sits between the client and fauxqs.
func fauxqs(t testing.TB, transport http.RoundTripper) *sqs.Client {
	t.Helper()
	testenv.FakeAWSEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_SQS", testenv.FauxqsEndpoint(t))
	var opts []func(*config.LoadOptions) error
	if transport != nil {
		opts = append(opts, config.WithHTTPClient(&http.Client{Transport: transport, Timeout: 10 * time.Second}))
	}
	cfg, err := chain.Load(context.Background(), nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return sqs.NewFromConfig(cfg)
}

func newQueue(t testing.TB, c *sqs.Client, prefix string, fifo bool) string {
	t.Helper()
	return testenv.NewQueue(t, c, prefix, fifo)
}

func queueARN(t testing.TB, c *sqs.Client, url string) string {
	t.Helper()
	return testenv.QueueARN(t, c, url)
}

func fill(t testing.TB, c *sqs.Client, url string, n int, attrs map[string]types.MessageAttributeValue) {
	t.Helper()
	testenv.FillQueue(t, c, url, n, attrs)
}

func drain(t testing.TB, c *sqs.Client, url string) (map[string]int, []types.Message) {
	t.Helper()
	return testenv.DrainQueue(t, c, url)
}

func approx(t testing.TB, c *sqs.Client, url string) (visible, hidden int) {
	t.Helper()
	return testenv.QueueDepth(t, c, url)
}

func checkAll(t testing.TB, got map[string]int, n int) (duplicates int) {
	t.Helper()
	return testenv.CheckAllBodies(t, got, n)
}
