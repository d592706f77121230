package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
)

func rec(i int, name string) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u%d","accountId":"111122223333"},"eventTime":"2026-11-20T10:00:%02dZ","eventSource":"lambda.amazonaws.com","eventName":%q,"awsRegion":"eu-west-1","eventID":"id-%d","requestParameters":{"functionName":"f","s":"a}]\"{["}}`, i, i%60, name, i)
}

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.String()
}

type collected struct {
	mu    sync.Mutex
	names []string
}

func (c *collected) handle(_ context.Context, r *record.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.names = append(c.names, r.EventID)
	return nil
}

func TestReadFormats(t *testing.T) {
	t.Parallel()
	logFile := `{"Records":[` + rec(1, "A") + `,` + rec(2, "B") + `,` + rec(3, "C") + "]}"
	envelope := `{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.lambda","account":"111122223333","detail":` + rec(4, "D") + `}`
	otherEnvelope := `{"version":"0","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`
	lookup := func(r string) string {
		b, _ := json.Marshal(r)
		return `{"EventId":"e","EventName":"X","CloudTrailEvent":` + string(b) + `}`
	}
	tests := map[string]struct {
		in                          string
		records, malformed, unknown int64
	}{
		"S3 log file":                 {in: logFile, records: 3},
		"gzip S3 log file":            {in: gz(logFile), records: 3},
		"empty Records":               {in: `{"Records":[]}`},
		"Records after other members": {in: `{"Records":[` + rec(1, "A") + `],"x":{"y":[1]}}`, records: 1},
		"EventBridge envelope":        {in: envelope, records: 1},
		"other detail type":           {in: otherEnvelope, unknown: 1},
		"JSON lines":                  {in: rec(1, "A") + "\n" + rec(2, "B") + "\n\n" + envelope + "\n", records: 3},
		"LookupEvents page":           {in: `{"Events":[` + lookup(rec(5, "E")) + `,` + lookup(rec(6, "F")) + `],"NextToken":"t"}`, records: 2},
		"top-level array":             {in: `[` + logFile + `,` + envelope + `]`, records: 4},
		"malformed record mid-file":   {in: `{"Records":[` + rec(1, "A") + `,{"eventName":"B","eventSource":x},` + rec(3, "C") + "]}", records: 2, malformed: 1},
		"non-object element":          {in: `{"Records":[` + rec(1, "A") + `,42,` + rec(3, "C") + "]}", records: 2, malformed: 1},
		"unknown object":              {in: `{"hello":"world"}`, unknown: 1},
		"truncated file":              {in: `{"Records":[` + rec(1, "A") + `,` + rec(2, "B")[:40], records: 1, malformed: 1},
		"not JSON":                    {in: "hello", malformed: 1},
		"corrupt gzip":                {in: "\x1f\x8b\x08\x00garbage", malformed: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var c collected
			st, err := Read(context.Background(), strings.NewReader(tc.in), name, c.handle, ReadOptions{Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if st.Records != tc.records || st.Malformed != tc.malformed || st.Unknown != tc.unknown {
				t.Errorf("stats = %+v, want records %d malformed %d unknown %d", st, tc.records, tc.malformed, tc.unknown)
			}
			if int64(len(c.names)) != tc.records {
				t.Errorf("handler saw %d records, want %d", len(c.names), tc.records)
			}
		})
	}
}

// TestReadLargeFileStreams reads a log file much larger than a batch and
// checks every record arrives once.
func TestReadLargeFileStreams(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	const n = 5000
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(rec(i, "UpdateFunctionCode20150331v2"))
	}
	b.WriteString("]}")
	var c collected
	st, err := Read(context.Background(), strings.NewReader(gz(b.String())), "big", c.handle, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != n || len(c.names) != n {
		t.Fatalf("records = %d (handler %d), want %d", st.Records, len(c.names), n)
	}
	seen := map[string]bool{}
	for _, id := range c.names {
		if seen[id] {
			t.Fatalf("record %s delivered twice", id)
		}
		seen[id] = true
	}
}

func TestReadHandlerErrorStops(t *testing.T) {
	t.Parallel()
	in := `{"Records":[` + rec(1, "A") + `,` + rec(2, "B") + "]}"
	boom := fmt.Errorf("boom")
	_, err := Read(context.Background(), strings.NewReader(in), "f", func(context.Context, *record.Record) error { return boom }, ReadOptions{Workers: 1})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v, want the handler's error", err)
	}
}

// FuzzRead feeds arbitrary bytes, and mutations of each accepted format,
// through the reader: it must never panic or hang, and every item is
// either a record or counted.
func FuzzRead(f *testing.F) {
	logFile := `{"Records":[` + rec(1, "A") + `,` + rec(2, "B") + "]}"
	f.Add([]byte(logFile))
	f.Add([]byte(gz(logFile)))
	f.Add([]byte(`{"version":"0","detail-type":"AWS API Call via CloudTrail","detail":` + rec(3, "C") + `}`))
	f.Add([]byte(rec(1, "A") + "\n" + rec(2, "B")))
	f.Add([]byte(`{"Events":[{"CloudTrailEvent":"{\"eventName\":\"X\",\"eventSource\":\"s\"}"}]}`))
	f.Add([]byte(`[{"Records":[]},{"Events":[]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var n int64
		var mu sync.Mutex
		st, err := Read(context.Background(), bytes.NewReader(b), "fuzz", func(_ context.Context, r *record.Record) error {
			mu.Lock()
			n++
			mu.Unlock()
			if r.EventName == "" {
				t.Error("record without event name delivered")
			}
			return nil
		}, ReadOptions{Workers: 2})
		if err != nil {
			t.Fatalf("Read returned %v; malformed input must be counted, not fatal", err)
		}
		if st.Records != n {
			t.Fatalf("stats say %d records, handler saw %d", st.Records, n)
		}
	})
}
