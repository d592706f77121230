package findings

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
)

// busServer is the EventBridge fake failing the entries whose finding ID
// is listed in failOnce on their first attempt, and those in failAlways
// every time.
type busServer struct {
	*awsfake.EventBridge
	mu         sync.Mutex
	attempts   map[string]int
	failOnce   map[string]bool
	failAlways map[string]bool
}

func newBusServer(failOnce, failAlways map[string]bool) *busServer {
	s := &busServer{EventBridge: awsfake.NewEventBridge(), attempts: map[string]int{}, failOnce: failOnce, failAlways: failAlways}
	s.FailEntry = func(e awsfake.Entry) (string, string) {
		var f Finding
		_ = json.Unmarshal([]byte(e.Detail), &f)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.attempts[f.ID]++
		if s.failAlways[f.ID] || (s.failOnce[f.ID] && s.attempts[f.ID] == 1) {
			return "InternalFailure", "try again"
		}
		return "", ""
	}
	return s
}

func newBusClient(t *testing.T, bus *busServer) *eventbridge.Client {
	t.Helper()
	return eventbridge.New(eventbridge.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(awsfake.Serve(t, bus.EventBridge).URL(bus.EventBridge)),
		Credentials:  aws.AnonymousCredentials{},
	})
}

func TestEventBridgePublisherBatchesAndRetries(t *testing.T) {
	t.Parallel()
	var fs []Finding
	for i := range 23 {
		fs = append(fs, sample("IAM002", High, fmt.Sprintf("arn:aws:iam::123456789012:role/r%d", i)))
	}
	srv := newBusServer(map[string]bool{fs[3].ID: true, fs[15].ID: true}, map[string]bool{})
	p := &EventBridgePublisher{Client: newBusClient(t, srv), BusName: "selfaudit-findings", BaseDelay: time.Millisecond}
	if err := p.Publish(context.Background(), fs); err != nil {
		t.Fatal(err)
	}
	// 23 entries: batches of 10, 10, 3, then one retry call per failed batch.
	var sizes []int
	for _, c := range srv.Batches() {
		sizes = append(sizes, len(c))
		if len(c) > MaxEntriesPerPut {
			t.Errorf("a call carried %d entries", len(c))
		}
		for _, e := range c {
			if e.Source != EventSource || e.DetailType != EventDetailType || e.EventBusName != "selfaudit-findings" {
				t.Errorf("entry = %+v", e)
			}
			if rs := e.Resources; len(rs) != 1 || !strings.HasPrefix(rs[0], "arn:aws:iam::") {
				t.Errorf("entry resources = %v", e.Resources)
			}
			// A publisher without a store announces every finding NEW.
			var tr Tracked
			if err := json.Unmarshal([]byte(e.Detail), &tr); err != nil || tr.Status != StatusNew || tr.PreviousStatus != "" || tr.Occurrences != 0 {
				t.Errorf("entry detail %s: %v", e.Detail, err)
			}
		}
	}
	if fmt.Sprint(sizes) != "[10 1 10 1 3]" {
		t.Errorf("call sizes = %v, want [10 1 10 1 3]", sizes)
	}
	for _, f := range fs {
		if n := srv.attempts[f.ID]; n < 1 {
			t.Errorf("finding %s never sent", f.Resource)
		}
	}
}

// TestAnnounceCarriesStatus: Announce sends each tracked finding as it is,
// and the entry's size counts the status fields.
func TestAnnounceCarriesStatus(t *testing.T) {
	t.Parallel()
	seen := observed.Add(24 * time.Hour)
	ts := []Tracked{
		{Finding: sample("IAM004", High, "arn:aws:iam::1:role/a"), Status: StatusResolved, PreviousStatus: StatusOpen, FirstSeen: observed, LastSeen: seen, Occurrences: 2},
		{Finding: sample("IAM006", Medium, "arn:aws:iam::1:role/b"), Status: StatusReopened, PreviousStatus: StatusResolved, FirstSeen: observed, LastSeen: seen, Occurrences: 3},
	}
	srv := newBusServer(map[string]bool{}, map[string]bool{})
	p := &EventBridgePublisher{Client: newBusClient(t, srv), BusName: "b", BaseDelay: time.Millisecond}
	if err := p.Announce(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
	var got []Tracked
	for _, e := range srv.Entries() {
		var tr Tracked
		if err := json.Unmarshal([]byte(e.Detail), &tr); err != nil {
			t.Fatal(err)
		}
		got = append(got, tr)
		fake := awsfake.Entry{Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources}
		if want, _ := p.entry(tr); entrySize(want) != awsfake.EntrySize(fake) {
			t.Errorf("entry size %d, the EventBridge fake counts %d", entrySize(want), awsfake.EntrySize(fake))
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d events, want 2", len(got))
	}
	for i, tr := range got {
		w := ts[i]
		if tr.ID != w.ID || tr.Status != w.Status || tr.PreviousStatus != w.PreviousStatus || !tr.FirstSeen.Equal(w.FirstSeen) ||
			!tr.LastSeen.Equal(w.LastSeen) || tr.Occurrences != w.Occurrences {
			t.Errorf("event %d = %+v, want %+v", i, tr, w)
		}
	}
}

func TestEventBridgePublisherReportsPersistentFailures(t *testing.T) {
	t.Parallel()
	fs := []Finding{sample("IAM001", Critical, "arn:aws:iam::1:role/a"), sample("IAM001", Critical, "arn:aws:iam::1:role/b")}
	srv := newBusServer(map[string]bool{}, map[string]bool{fs[1].ID: true})
	p := &EventBridgePublisher{Client: newBusClient(t, srv), Attempts: 3, BaseDelay: time.Millisecond}
	err := p.Publish(context.Background(), fs)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 entries failed") {
		t.Fatalf("err = %v, want a persistent failure", err)
	}
	if srv.attempts[fs[1].ID] != 3 || srv.attempts[fs[0].ID] != 1 {
		t.Fatalf("attempts = %v", srv.attempts)
	}
}

func TestBatchEntriesBySize(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 100*1024)
	var entries []types.PutEventsRequestEntry
	for range 5 {
		entries = append(entries, types.PutEventsRequestEntry{Source: aws.String(EventSource), DetailType: aws.String(EventDetailType), Detail: aws.String(big)})
	}
	batches := batchEntries(entries)
	if len(batches) != 3 {
		t.Fatalf("%d batches, want 3 (two 100 KiB entries fit in 256 KiB)", len(batches))
	}
	for _, b := range batches {
		n := 0
		for _, e := range b {
			n += entrySize(e)
			// The publisher counts as the EventBridge fake does.
			fake := awsfake.Entry{Source: aws.ToString(e.Source), DetailType: aws.ToString(e.DetailType), Detail: aws.ToString(e.Detail), Resources: e.Resources}
			if got := awsfake.EntrySize(fake); got != entrySize(e) {
				t.Fatalf("entry size %d, the EventBridge fake counts %d", entrySize(e), got)
			}
		}
		if n > MaxPutBytes || n > awsfake.MaxPutBytes || len(b) > awsfake.MaxPutEntries {
			t.Fatalf("batch of %d entries and %d bytes", len(b), n)
		}
	}
}

func TestOversizedEvidenceIsTruncated(t *testing.T) {
	t.Parallel()
	f := sample("CT005", High, "arn:aws:iam::1:user/u")
	f.Evidence = map[string]any{"events": strings.Repeat("y", MaxPutBytes)}
	e, err := (&EventBridgePublisher{}).entry(Tracked{Finding: f, Status: StatusReopened, PreviousStatus: StatusResolved, Occurrences: 4})
	if err != nil {
		t.Fatal(err)
	}
	if entrySize(e) > MaxPutBytes || !strings.Contains(*e.Detail, `"truncated":true`) || !strings.Contains(*e.Detail, f.ID) ||
		!strings.Contains(*e.Detail, `"status":"REOPENED","previousStatus":"RESOLVED","occurrences":4`) {
		t.Fatalf("oversized entry not reduced: %d bytes", entrySize(e))
	}
}

func TestBusPublisherFromEnv(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		bus     string
		wantErr string
	}{
		"set":     {bus: "selfaudit-findings"},
		"missing": {wantErr: "environment variable FINDINGS_BUS_NAME is not set"},
		"blank":   {bus: " ", wantErr: "FINDINGS_BUS_NAME is not set"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := BusPublisherFromEnv(aws.Config{Region: "eu-west-1"}, func(k string) string {
				if k == EnvBusName {
					return tc.bus
				}
				return ""
			})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || p.BusName != tc.bus || p.Client == nil {
				t.Fatalf("publisher %+v, err %v", p, err)
			}
		})
	}
}
