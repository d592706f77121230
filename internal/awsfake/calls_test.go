package awsfake

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestIsSDKRetry(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"attempt=1; max=6", false},
		{"attempt=2; max=6", true},
		{"max=6; attempt=3", true},
		{"attempt=1", false},
		{"garbage", false},
	} {
		r := httptest.NewRequest("POST", "/", nil)
		if tc.header != "" {
			r.Header.Set("amz-sdk-request", tc.header)
		}
		if got := IsSDKRetry(r); got != tc.want {
			t.Errorf("IsSDKRetry(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestCallsCountRetriesApart(t *testing.T) {
	var c CallCounter
	first := httptest.NewRequest("POST", "/", nil)
	first.Header.Set("amz-sdk-request", "attempt=1; max=6")
	again := httptest.NewRequest("POST", "/", nil)
	again.Header.Set("amz-sdk-request", "attempt=2; max=6")
	c.Add(first, "GetRole")
	c.Add(again, "GetRole")
	if c.Count("GetRole") != 1 || c.Total() != 1 || c.Retries() != 1 {
		t.Errorf("count %d total %d retries %d, want 1 1 1 (%s)", c.Count("GetRole"), c.Total(), c.Retries(), c.String())
	}
	if snap := c.Snapshot(); len(snap) != 1 || snap["GetRole"] != 1 {
		t.Errorf("snapshot %v", snap)
	}
	c.Reset()
	if c.Total() != 0 || c.Retries() != 0 {
		t.Errorf("after Reset: %s", c.String())
	}
}

func TestResends(t *testing.T) {
	attempt := func(n string) *http.Request {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("amz-sdk-request", "attempt="+n+"; max=6")
		return r
	}
	var s Resends
	for _, step := range []struct {
		name    string
		attempt string
		body    string
		want    bool
	}{
		{"a first call is new", "1", "batch-a", false},
		{"its retry resends it", "2", "batch-a", true},
		{"a later retry of it too", "3", "batch-a", true},
		{"the same body asked for again is new", "1", "batch-a", false},
		{"a retry of a call never seen is new", "2", "batch-b", false},
		{"and then its next retry resends it", "3", "batch-b", true},
	} {
		if got := s.Seen(attempt(step.attempt), []byte(step.body)); got != step.want {
			t.Errorf("%s: Seen = %v, want %v", step.name, got, step.want)
		}
	}
}
