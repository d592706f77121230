package fleet

import (
	"testing"
	"time"
)

func TestRuntimeDeprecated(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		runtime string
		now     time.Time
		want    string // the deprecation date reported, "" for not flagged
	}{
		"AL1 runtime long past":           {runtime: "go1.x", now: now, want: "2024-01-08"},
		"AL2 runtime past":                {runtime: "provided.al2", now: now, want: "2026-06-30"},
		"python3.10 past":                 {runtime: "python3.10", now: now, want: "2026-10-31"},
		"dotnet8 past":                    {runtime: "dotnet8", now: now, want: "2026-11-10"},
		"on the date itself":              {runtime: "dotnet8", now: time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), want: "2026-11-10"},
		"the day before":                  {runtime: "dotnet8", now: time.Date(2026, 11, 9, 23, 59, 59, 0, time.UTC)},
		"java17 not yet":                  {runtime: "java17", now: now},
		"nodejs22.x not yet":              {runtime: "nodejs22.x", now: now},
		"python3.12 not yet":              {runtime: "python3.12", now: now},
		"OS-only provided.al2023 not yet": {runtime: "provided.al2023", now: now},
		"unknown runtime":                 {runtime: "cobol85", now: now},
		"empty runtime (container image)": {runtime: "", now: now},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := runtimeDeprecated(tc.runtime, tc.now)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("runtimeDeprecated(%q, %s) = %q, %v; want %q, %v", tc.runtime, tc.now.Format(time.DateOnly), got, ok, tc.want, tc.want != "")
			}
		})
	}
}

// TestRuntimeDeprecationDates checks that every date in the table parses as
// YYYY-MM-DD, since one that does not would silently never be flagged.
func TestRuntimeDeprecationDates(t *testing.T) {
	t.Parallel()
	for rt, d := range runtimeDeprecations {
		p, err := time.Parse(time.DateOnly, d)
		if err != nil {
			t.Errorf("%s: date %q: %v", rt, d, err)
			continue
		}
		if p.Format(time.DateOnly) != d {
			t.Errorf("%s: date %q is not in canonical YYYY-MM-DD form", rt, d)
		}
		if rt == "" {
			t.Errorf("empty runtime identifier with date %q", d)
		}
	}
}
