package orgaudit_test

import (
	"net/http"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// awsHTTPClient keeps enough idle connections for a hundred workers
// talking to one loopback server per service.
func awsHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = 1000
		tr.MaxIdleConnsPerHost = 300
		tr.IdleConnTimeout = 30 * time.Second
	})
}
