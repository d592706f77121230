package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// consoleEdit is a record CT001 flags, and no other check: a console edit
// of function fn by IAM user who. api UpdateFunctionCode is HIGH,
// UpdateFunctionConfiguration MEDIUM. An empty at leaves eventTime out.
type consoleEdit struct{ id, at, who, fn, api string }

func (e consoleEdit) json() string {
	api := e.api
	if api == "" {
		api = "UpdateFunctionCode"
	}
	when := ""
	if e.at != "" {
		when = fmt.Sprintf(`"eventTime":"2026-11-20T%sZ",`, e.at)
	}
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/%s","accountId":"111122223333","userName":"%s"},%s"eventSource":"lambda.amazonaws.com","eventName":"%s20150331v2","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.1","userAgent":"console.amazonaws.com","requestParameters":{"functionName":"%s"},"responseElements":null,"eventID":"%s","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333","sessionCredentialFromConsole":"true"}`,
		e.who, e.who, when, api, e.fn, e.id)
}

// foldedGroup is what a test expects of one folded finding.
type foldedGroup struct {
	fn, who     string
	severity    findings.Severity
	api         string
	occurrences int64
	first, last string
	samples     []string
}

// analyzeRecords runs records through an analyzer, one at a time, and
// returns its findings.
func analyzeRecords(t *testing.T, recs []consoleEdit) []findings.Finding {
	t.Helper()
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	a := NewAnalyzer(Options{Source: "test", Workers: 1, Now: func() time.Time { return now }})
	for _, r := range recs {
		if err := a.AddRecord(context.Background(), []byte(r.json()), r.id); err != nil {
			t.Fatal(err)
		}
	}
	fs, _, err := a.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestFoldByCheckResourcePrincipalHour(t *testing.T) {
	t.Parallel()
	const fnA, fnB = "orders-api", "billing-api"
	tests := map[string]struct {
		records []consoleEdit
		want    []foldedGroup
	}{
		"same hour folds": {
			records: []consoleEdit{{id: "e1", at: "10:05:00", who: "alice", fn: fnA}, {id: "e2", at: "10:55:00", who: "alice", fn: fnA}},
			want:    []foldedGroup{{fn: fnA, who: "alice", severity: findings.High, api: "UpdateFunctionCode", occurrences: 2, first: "10:05:00", last: "10:55:00", samples: []string{"e1", "e2"}}},
		},
		"next hour does not": {
			records: []consoleEdit{{id: "e1", at: "10:59:59", who: "alice", fn: fnA}, {id: "e2", at: "11:00:00", who: "alice", fn: fnA}},
			want: []foldedGroup{
				{fn: fnA, who: "alice", severity: findings.High, api: "UpdateFunctionCode", occurrences: 1, first: "10:59:59", last: "10:59:59", samples: []string{"e1"}},
				{fn: fnA, who: "alice", severity: findings.High, api: "UpdateFunctionCode", occurrences: 1, first: "11:00:00", last: "11:00:00", samples: []string{"e2"}},
			},
		},
		"other principal does not": {
			records: []consoleEdit{{id: "e1", at: "10:05:00", who: "alice", fn: fnA}, {id: "e2", at: "10:06:00", who: "bob", fn: fnA}},
			want: []foldedGroup{
				{fn: fnA, who: "alice", severity: findings.High, api: "UpdateFunctionCode", occurrences: 1, first: "10:05:00", last: "10:05:00", samples: []string{"e1"}},
				{fn: fnA, who: "bob", severity: findings.High, api: "UpdateFunctionCode", occurrences: 1, first: "10:06:00", last: "10:06:00", samples: []string{"e2"}},
			},
		},
		"other resource does not": {
			records: []consoleEdit{{id: "e1", at: "10:05:00", who: "alice", fn: fnA}, {id: "e2", at: "10:06:00", who: "alice", fn: fnB}},
			want: []foldedGroup{
				{fn: fnA, who: "alice", severity: findings.High, api: "UpdateFunctionCode", occurrences: 1, first: "10:05:00", last: "10:05:00", samples: []string{"e1"}},
				{fn: fnB, who: "alice", severity: findings.High, api: "UpdateFunctionCode", occurrences: 1, first: "10:06:00", last: "10:06:00", samples: []string{"e2"}},
			},
		},
		"samples are the earliest five by time then ID": {
			records: []consoleEdit{
				{id: "e7", at: "10:40:00", who: "alice", fn: fnA}, {id: "e3", at: "10:10:00", who: "alice", fn: fnA},
				{id: "e9", at: "10:50:00", who: "alice", fn: fnA}, {id: "e2", at: "10:10:00", who: "alice", fn: fnA},
				{id: "e1", at: "10:30:00", who: "alice", fn: fnA}, {id: "e8", at: "10:20:00", who: "alice", fn: fnA},
				{id: "e4", at: "10:10:00", who: "alice", fn: fnA}, {id: "e0", at: "10:59:00", who: "alice", fn: fnA},
			},
			want: []foldedGroup{{fn: fnA, who: "alice", severity: findings.High, api: "UpdateFunctionCode", occurrences: 8, first: "10:10:00", last: "10:59:00",
				samples: []string{"e2", "e3", "e4", "e8", "e1"}}},
		},
		"the most severe hit speaks for the fold": {
			records: []consoleEdit{
				{id: "e1", at: "10:05:00", who: "alice", fn: fnA, api: "UpdateFunctionConfiguration"},
				{id: "e2", at: "10:30:00", who: "alice", fn: fnA},
				{id: "e3", at: "10:45:00", who: "alice", fn: fnA},
			},
			want: []foldedGroup{{fn: fnA, who: "alice", severity: findings.High, api: "UpdateFunctionCode", occurrences: 3, first: "10:05:00", last: "10:45:00", samples: []string{"e1", "e2", "e3"}}},
		},
		"an event read twice counts twice but samples once": {
			records: []consoleEdit{{id: "e1", at: "10:05:00", who: "alice", fn: fnA}, {id: "e1", at: "10:05:00", who: "alice", fn: fnA}},
			want:    []foldedGroup{{fn: fnA, who: "alice", severity: findings.High, api: "UpdateFunctionCode", occurrences: 2, first: "10:05:00", last: "10:05:00", samples: []string{"e1"}}},
		},
		"records without a time fold together": {
			records: []consoleEdit{{id: "e1", who: "alice", fn: fnA}, {id: "e2", who: "alice", fn: fnA}},
			want:    []foldedGroup{{fn: fnA, who: "alice", severity: findings.High, api: "UpdateFunctionCode", occurrences: 2, samples: []string{"e1", "e2"}}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fs := analyzeRecords(t, tc.records)
			if len(fs) != len(tc.want) {
				t.Fatalf("%d findings, want %d: %+v", len(fs), len(tc.want), fs)
			}
			for _, w := range tc.want {
				f := findFold(fs, w)
				if f == nil {
					t.Errorf("no finding on %s by %s with first event %q: %+v", w.fn, w.who, w.first, fs)
					continue
				}
				checkFold(t, f, w)
			}
			// Any order of the same records gives the same findings.
			for i, order := range [][]consoleEdit{reversed(tc.records), rotated(tc.records)} {
				if again := analyzeRecords(t, order); !reflect.DeepEqual(again, fs) {
					t.Errorf("order %d gives other findings:\n%+v\nwant\n%+v", i, again, fs)
				}
			}
		})
	}
}

// findFold picks the finding a group describes.
func findFold(fs []findings.Finding, w foldedGroup) *findings.Finding {
	for i, f := range fs {
		first, _ := f.Evidence[rules.EvidenceFirstEventTime].(string)
		if strings.HasSuffix(f.Resource, ":function:"+w.fn) && strings.HasSuffix(f.Evidence["principal"].(string), "/"+w.who) &&
			(w.first == "" || first == "2026-11-20T"+w.first+"Z") {
			return &fs[i]
		}
	}
	return nil
}

func checkFold(t *testing.T, f *findings.Finding, w foldedGroup) {
	t.Helper()
	if err := f.Validate(); err != nil {
		t.Error(err)
	}
	ev := f.Evidence
	if f.Check != "CT001" || f.Severity != w.severity || ev["api"] != w.api {
		t.Errorf("%s %s api %v, want CT001 %s api %s", f.Check, f.Severity, ev["api"], w.severity, w.api)
	}
	if ev[rules.EvidenceOccurrences] != w.occurrences {
		t.Errorf("occurrences = %v, want %d", ev[rules.EvidenceOccurrences], w.occurrences)
	}
	for field, want := range map[string]string{rules.EvidenceFirstEventTime: w.first, rules.EvidenceLastEventTime: w.last} {
		got, ok := ev[field]
		switch {
		case want == "" && ok:
			t.Errorf("%s = %v, want none", field, got)
		case want != "" && got != "2026-11-20T"+want+"Z":
			t.Errorf("%s = %v, want %s", field, got, want)
		}
	}
	if got, _ := ev[rules.EvidenceSampleEventIDs].([]string); !slices.Equal(got, w.samples) {
		t.Errorf("sample event IDs = %v, want %v", got, w.samples)
	}
	var hour time.Time
	if w.first != "" {
		at, _ := time.Parse(time.RFC3339, "2026-11-20T"+w.first+"Z")
		hour = at.Truncate(time.Hour)
	}
	key := rules.FoldKey{Check: "CT001", Resource: f.Resource, Principal: "arn:aws:iam::111122223333:user/" + w.who, Hour: hour}
	if f.ID != key.ID() {
		t.Errorf("ID = %s, want the fold key's %s", f.ID, key.ID())
	}
}

func reversed(l []consoleEdit) []consoleEdit {
	out := slices.Clone(l)
	slices.Reverse(out)
	return out
}

func rotated(l []consoleEdit) []consoleEdit {
	if len(l) < 2 {
		return l
	}
	return append(slices.Clone(l[len(l)/2:]), l[:len(l)/2]...)
}

// TestFoldIDAcrossDeliveries reads the same events as an S3 log file, as
// EventBridge events and as a LookupEvents page, in different orders: each
// delivery yields the same findings with the same IDs.
func TestFoldIDAcrossDeliveries(t *testing.T) {
	t.Parallel()
	recs := []consoleEdit{
		{id: "e1", at: "10:05:00", who: "alice", fn: "orders-api"},
		{id: "e2", at: "10:15:00", who: "alice", fn: "orders-api", api: "UpdateFunctionConfiguration"},
		{id: "e3", at: "10:25:00", who: "alice", fn: "orders-api"},
	}
	var logFile, page bytes.Buffer
	logFile.WriteString(`{"Records":[`)
	page.WriteString(`{"Events":[`)
	for i, r := range reversed(recs) {
		if i > 0 {
			logFile.WriteString(",")
			page.WriteString(",")
		}
		logFile.WriteString(r.json())
		text, _ := json.Marshal(r.json())
		fmt.Fprintf(&page, `{"EventId":%q,"CloudTrailEvent":%s}`, r.id, text)
	}
	logFile.WriteString("]}")
	page.WriteString("]}")
	var bridge bytes.Buffer
	for _, r := range recs {
		fmt.Fprintf(&bridge, `{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.lambda","detail":%s}`+"\n", r.json())
	}
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	var want []findings.Finding
	for _, in := range []struct{ name, data string }{{"S3 log file", logFile.String()}, {"EventBridge events", bridge.String()}, {"LookupEvents page", page.String()}} {
		a := NewAnalyzer(Options{Source: "test", Now: func() time.Time { return now }})
		if err := a.Read(context.Background(), strings.NewReader(in.data), in.name); err != nil {
			t.Fatal(err)
		}
		fs, st, err := a.Finish(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != 3 || len(fs) != 1 {
			t.Fatalf("%s: %d records and %d findings, want 3 folded into 1: %+v", in.name, st.Records, len(fs), fs)
		}
		if want == nil {
			want = fs
			continue
		}
		if !reflect.DeepEqual(fs, want) {
			t.Errorf("%s gives\n%+v\nwant (as the S3 log file)\n%+v", in.name, fs, want)
		}
	}
}
