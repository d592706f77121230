package testenv

import (
	"net/http"
	"strings"
)

// IsSDKRetry reports whether the AWS SDK marked the request as a second or
// later attempt of one call (header amz-sdk-request: attempt=N; max=M).
// Fakes that count the calls a piece of code makes count these apart: on
// a loaded machine the SDK retries calls whose connection dropped
// mid-response, which says nothing about the code under test.
func IsSDKRetry(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("amz-sdk-request"), ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == "attempt" && v != "1" {
			return true
		}
	}
	return false
}
