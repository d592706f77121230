package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/shared/findings"
)

func trailEnv() (*cliEnv, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &cliEnv{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, &out, &errb
}

func TestTrailCommand(t *testing.T) {
	t.Parallel()
	samples := filepath.Join("..", "..", "events", "cloudtrail")
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.json")
	if err := os.WriteFile(clean, []byte(`{"Records":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		args       []string
		wantCode   int
		wantOut    []string
		wantStderr string
	}{
		"samples text fail on high": {args: []string{samples}, wantCode: exitFindings,
			wantOut: []string{"CT003", "CT004", "CT005", "CT006", "CT007", "CT008", "CT011", "note: CT009 and CT010 skipped"}},
		"samples fail on none": {args: []string{"--fail-on", "none", samples}, wantCode: exitOK},
		"clean file":           {args: []string{clean}, wantCode: exitOK, wantOut: []string{"0 findings"}},
		"missing file":         {args: []string{filepath.Join(dir, "nope.json")}, wantCode: exitUsage, wantStderr: "nope.json"},
		"no paths":             {args: nil, wantCode: exitUsage, wantStderr: "no CloudTrail files"},
		"paths and lookup":     {args: []string{"--lookup", clean}, wantCode: exitUsage, wantStderr: "not both"},
		"bad format":           {args: []string{"--format", "xml", clean}, wantCode: exitUsage, wantStderr: "unknown format"},
		"sarif refused":        {args: []string{"--format", "sarif", clean}, wantCode: exitUsage, wantStderr: "sarif"},
		"bad fail-on":          {args: []string{"--fail-on", "urgent", clean}, wantCode: exitUsage, wantStderr: "--fail-on"},
		"pipeline silences CI": {args: []string{"--fail-on", "critical", "--pipeline", "arn:aws:iam::111122223333:role/legacy-ci", samples}, wantCode: exitFindings},
		"help":                 {args: []string{"--help"}, wantCode: exitOK, wantStderr: "usage: selfaudit trail"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env, out, errb := trailEnv()
			code := runTrailWith(context.Background(), env, tc.args, defaultTrailDeps)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errb)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tc.wantStderr != "" && !strings.Contains(errb.String(), tc.wantStderr) {
				t.Errorf("stderr lacks %q: %s", tc.wantStderr, errb)
			}
			if tc.wantCode == exitUsage && strings.Count(strings.TrimSpace(errb.String()), "\n") > 0 && name != "help" {
				t.Errorf("usage error is more than one line: %q", errb)
			}
		})
	}
}

func TestTrailJSON(t *testing.T) {
	t.Parallel()
	env, out, _ := trailEnv()
	code := runTrailWith(context.Background(), env, []string{"--format", "json", filepath.Join("..", "..", "events", "cloudtrail")}, defaultTrailDeps)
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	var rep findings.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary["CRITICAL"] < 3 || len(rep.Notes) == 0 {
		t.Errorf("report = %+v", rep)
	}
	for _, f := range rep.Findings {
		if err := f.Validate(); err != nil {
			t.Error(err)
		}
		if (f.Check == "CT003" || f.Check == "CT007") && !strings.HasPrefix(f.Resource, "arn:aws:") {
			t.Errorf("%s resource %q is not an ARN", f.Check, f.Resource)
		}
	}
}
