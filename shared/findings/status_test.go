package findings

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	t.Parallel()
	for _, s := range Statuses {
		got, err := ParseStatus(string(s))
		if err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %q, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "open", "CLOSED"} {
		if _, err := ParseStatus(bad); err == nil {
			t.Errorf("ParseStatus(%q) accepted", bad)
		}
	}
}

// TestTrackedJSON: a tracked finding is the finding's JSON with the status
// fields beside it; those a publisher without a store cannot know are left
// out rather than sent empty.
func TestTrackedJSON(t *testing.T) {
	t.Parallel()
	f := sample("IAM004", High, "arn:aws:iam::1:role/r")
	plain, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	seen := time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		in   Tracked
		want string
	}{
		"without a store": {in: AsNew([]Finding{f})[0], want: `,"status":"NEW"}`},
		"resolved": {
			in:   Tracked{Finding: f, Status: StatusResolved, PreviousStatus: StatusOpen, FirstSeen: observed, LastSeen: seen, Occurrences: 3},
			want: `,"status":"RESOLVED","previousStatus":"OPEN","firstSeen":"2026-11-27T10:00:00Z","lastSeen":"2026-11-28T06:00:00Z","occurrences":3}`,
		},
		"severity change": {
			in:   Tracked{Finding: f, Status: StatusOpen, PreviousStatus: StatusOpen, PreviousSeverity: Medium, FirstSeen: observed, LastSeen: seen, Occurrences: 2},
			want: `,"status":"OPEN","previousStatus":"OPEN","previousSeverity":"MEDIUM","firstSeen":"2026-11-27T10:00:00Z","lastSeen":"2026-11-28T06:00:00Z","occurrences":2}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.TrimSuffix(string(plain), "}") + tc.want
			if string(b) != want {
				t.Errorf("JSON\n%s\nwant\n%s", b, want)
			}
			var back Finding
			if err := json.Unmarshal(b, &back); err != nil || back.ID != f.ID || back.Severity != f.Severity {
				t.Errorf("a finding consumer reads %+v, %v", back, err)
			}
		})
	}
}

// TestWriteStatusEMF: the gauge has a line per severity, zeros included,
// and is left out when the run cannot know it; the change counts are
// always written.
func TestWriteStatusEMF(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		m         StatusMetrics
		wantLines int
	}{
		"whole scope": {m: StatusMetrics{Open: Summary{"CRITICAL": 2, "HIGH": 1}, New: 1, Resolved: 4}, wantLines: 6},
		"targeted":    {m: StatusMetrics{Reopened: 1}, wantLines: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf strings.Builder
			if err := WriteStatusEMF(&buf, "iam-wildcard-scanner", tc.m, observed); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != tc.wantLines {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), tc.wantLines, buf.String())
			}
			// dims is the dimension sets of a line, as CloudWatch reads
			// them: the dashboard's metrics have Severity alone, or none.
			dims := func(m map[string]any) string {
				b, _ := json.Marshal(m["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Dimensions"])
				return string(b)
			}
			open := map[string]float64{}
			for _, l := range lines[:len(lines)-1] {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil || m["_aws"] == nil {
					t.Fatalf("line %s: %v", l, err)
				}
				if d := dims(m); d != `[["Source","Severity"],["Severity"]]` {
					t.Errorf("gauge dimensions %s", d)
				}
				open[m["Severity"].(string)] = m[MetricOpen].(float64)
			}
			if tc.m.Open != nil && (len(open) != 5 || open["CRITICAL"] != 2 || open["HIGH"] != 1 || open["LOW"] != 0) {
				t.Errorf("gauge %v", open)
			}
			var last map[string]any
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
				t.Fatal(err)
			}
			if d := dims(last); d != `[["Source"],[]]` {
				t.Errorf("count dimensions %s", d)
			}
			for name, want := range map[string]int{MetricNew: tc.m.New, MetricReopened: tc.m.Reopened, MetricResolved: tc.m.Resolved, MetricSeverityChanged: tc.m.SeverityChanged} {
				if got, ok := last[name].(float64); !ok || int(got) != want {
					t.Errorf("%s = %v, want %d", name, last[name], want)
				}
			}
		})
	}
}
