package awsconfig

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// readOnlyBodies keeps a request body from offering io.WriterTo to
// net/http.
//
// Why: smithy-go (v1.28 and earlier) closes the request body as soon as
// the response headers arrive, and its closed body answers WriteTo with
// io.EOF where Read answers a plain end of stream. net/http, once it has
// sent Content-Length bytes, reads the body once more to check for extra
// bytes; when that late read goes through WriteTo it fails with io.EOF,
// and the transport closes the connection while the response body is
// still being read. The call then fails with "use of closed network
// connection" after the service executed it, and the SDK retries it: a
// SendMessageBatch is sent twice, a ReceiveMessage's messages stay hidden
// until their visibility timeout. Through Read the same late read is a
// normal end of stream.
//
// The wrapped client is no longer an *awshttp.BuildableClient, so a
// service client does not add its defaults-mode dial and TLS timeouts to
// it; with the SDK's default ("legacy") mode there are none, and the
// project does not set another.
type readOnlyBodies struct {
	next aws.HTTPClient
}

// HTTPClient is the SDK's default HTTP client with the same fix, for code
// that builds an aws.Config by hand (tests that talk to a fake with
// anonymous credentials) instead of through Load.
func HTTPClient() aws.HTTPClient { return withReadOnlyBodies(nil) }

// withReadOnlyBodies wraps c, or the SDK's default client when c is nil.
func withReadOnlyBodies(c aws.HTTPClient) aws.HTTPClient {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	return readOnlyBodies{next: c}
}

// readCloser hides every method of the body but Read and Close.
type readCloser struct {
	io.ReadCloser
}

func (c readOnlyBodies) Do(r *http.Request) (*http.Response, error) {
	if _, ok := r.Body.(io.WriterTo); ok && r.Body != http.NoBody {
		r.Body = readCloser{r.Body}
	}
	return c.next.Do(r)
}
