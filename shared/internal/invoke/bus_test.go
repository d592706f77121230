package invoke

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// busRecorder answers EventBridge PutEvents (AWS JSON 1.1) and keeps the
// findings it was sent.
type busRecorder struct {
	mu       sync.Mutex
	findings []map[string]any
}

func (b *busRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"%s"}`, r.Header.Get("X-Amz-Target"))
		return
	}
	body, _ := io.ReadAll(r.Body)
	var in struct{ Entries []struct{ Detail string } }
	_ = json.Unmarshal(body, &in)
	type result struct{ EventId string }
	out := struct {
		FailedEntryCount int
		Entries          []result
	}{}
	b.mu.Lock()
	for i, e := range in.Entries {
		var f map[string]any
		_ = json.Unmarshal([]byte(e.Detail), &f)
		b.findings = append(b.findings, f)
		out.Entries = append(out.Entries, result{EventId: fmt.Sprintf("local-%d-%d", len(b.findings), i)})
	}
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// String lists the published findings one per line.
func (b *busRecorder) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := []string{fmt.Sprintf("%d findings published to the findings bus", len(b.findings))}
	for _, f := range b.findings {
		lines = append(lines, fmt.Sprintf("  %v %v %v: %v", f["severity"], f["check"], f["resource"], f["title"]))
	}
	return strings.Join(lines, "\n")
}
