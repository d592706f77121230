package findings

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestWriteJSONLayout pins the streamed WriteJSON to the bytes
// json.Encoder writes for the whole Report, the layout consumers have
// always read.
func TestWriteJSONLayout(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	sample := []Finding{
		{ID: "a1", Check: "CT003", Severity: Critical, Title: "Lambda permission added for principal *", Resource: "arn:aws:lambda:eu-west-1:111122223333:function:f",
			Evidence: map[string]any{"occurrences": 3, "sampleEventIDs": []string{"e1", "e2"}, "nested": map[string]any{"k": 1.5}}, Remediation: "Remove it.", Source: "test", ObservedAt: at},
		{ID: "b2", Check: "IAM006", Severity: Medium, Title: "Write actions", Resource: "template.yaml#/Resources/R", Source: "test", ObservedAt: at,
			Location: &Location{File: "template.yaml", Line: 3}},
	}
	tests := map[string]struct {
		fs    []Finding
		notes []string
	}{
		"no findings":            {},
		"no findings, notes":     {notes: []string{"one", "two"}},
		"one finding":            {fs: sample[:1]},
		"findings with notes":    {fs: sample, notes: []string{"skipped a line"}},
		"html-like text escaped": {fs: []Finding{{ID: "x", Check: "CT001", Severity: High, Title: "<a> & b", Resource: "r", Source: "s", Evidence: map[string]any{"k": "<>"}}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var want, got bytes.Buffer
			all := tc.fs
			if all == nil {
				all = []Finding{}
			}
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			if err := enc.Encode(Report{Findings: all, Summary: Summarize(all), Notes: tc.notes}); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSON(&got, tc.fs, tc.notes...); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("WriteJSON:\n%s\nwant\n%s", got.String(), want.String())
			}
		})
	}
}
