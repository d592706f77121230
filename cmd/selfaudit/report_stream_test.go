package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/cloudtrail"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// TestStreamedJSONMatchesWriteJSON pins writeJSONStreamed to the bytes of
// findings.WriteJSON: a change to the report's layout must reach both.
func TestStreamedJSONMatchesWriteJSON(t *testing.T) {
	t.Parallel()
	samples, st, err := cloudtrail.AnalyzePaths(context.Background(), []string{filepath.Join("..", "..", "events", "cloudtrail")},
		cloudtrail.Options{Source: "test", Now: func() time.Time { return time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) < 2 || len(st.Notes) == 0 {
		t.Fatalf("samples give %d findings and notes %v; want several of both", len(samples), st.Notes)
	}
	findings.Sort(samples)
	tests := map[string]struct {
		fs    []findings.Finding
		notes []string
	}{
		"no findings":            {},
		"no findings, notes":     {notes: st.Notes},
		"one finding":            {fs: samples[:1]},
		"samples with notes":     {fs: samples, notes: st.Notes},
		"html-like text escaped": {fs: []findings.Finding{{ID: "x", Check: "CT001", Severity: findings.High, Title: "<a> & b", Resource: "r", Source: "s", Evidence: map[string]any{"k": "<>"}}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var want, got bytes.Buffer
			if err := findings.WriteJSON(&want, tc.fs, tc.notes...); err != nil {
				t.Fatal(err)
			}
			if err := writeJSONStreamed(&got, tc.fs, tc.notes...); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("streamed JSON differs from WriteJSON:\n%s\nwant\n%s", got.String(), want.String())
			}
		})
	}
}
