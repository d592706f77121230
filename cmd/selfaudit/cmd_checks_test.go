package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/shared/checks"
)

// checksRun runs `selfaudit checks args...` in-process.
func checksRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run(context.Background(), env, append([]string{"checks"}, args...))
	return code, out.String(), errOut.String()
}

// idRange lists prefix+N for N in [from, to], three digits.
func idRange(prefix string, from, to int) []string {
	var out []string
	for n := from; n <= to; n++ {
		out = append(out, fmt.Sprintf("%s%03d", prefix, n))
	}
	return out
}

// expectedIDs is every check of every engine. Adding a check means adding
// it here, so that removing one by accident fails a test.
func expectedIDs() []string {
	var ids []string
	for _, r := range [][]string{
		idRange("IAM", 0, 9), idRange("LMB", 1, 3), idRange("CT", 1, 14), idRange("LMB", 101, 120),
		idRange("HOOK", 0, 8), idRange("HOOK", 10, 12), idRange("HOOK", 90, 94), idRange("ORG", 1, 1),
	} {
		ids = append(ids, r...)
	}
	slices.Sort(ids)
	return ids
}

// TestEveryCheckIsRegistered: the command links every engine, and the
// registry holds exactly the expected checks, each complete.
func TestEveryCheckIsRegistered(t *testing.T) {
	t.Parallel()
	all := checks.All()
	got := make([]string, len(all))
	for i, c := range all {
		got[i] = c.ID
	}
	if want := expectedIDs(); !slices.Equal(got, want) {
		t.Fatalf("registered checks:\n%v\nwant:\n%v", got, want)
	}
	wantEngine := map[string]checks.Engine{"IAM": checks.EngineIAM, "CT": checks.EngineCloudTrail, "HOOK": checks.EngineHook, "ORG": checks.EngineOrg}
	for _, c := range all {
		t.Run(c.ID, func(t *testing.T) {
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			prefix := strings.TrimRight(c.ID, "0123456789")
			want, ok := wantEngine[prefix]
			if prefix == "LMB" {
				want, ok = checks.EngineIAM, true
				if c.ID >= "LMB100" {
					want = checks.EngineFleet
				}
			}
			if !ok || c.Engine != want {
				t.Errorf("engine %s, want %s", c.Engine, want)
			}
			if c.Remediation == "" && c.ID != "HOOK000" {
				t.Errorf("no remediation")
			}
		})
	}
}

// TestChecksJSON: one object per check with the fields tools rely on.
func TestChecksJSON(t *testing.T) {
	t.Parallel()
	code, out, errOut := checksRun(t, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	if len(list) != len(expectedIDs()) {
		t.Fatalf("%d objects, want %d", len(list), len(expectedIDs()))
	}
	for i, obj := range list {
		id, _ := obj["id"].(string)
		if id != expectedIDs()[i] {
			t.Errorf("object %d has id %q, want %s (sorted by ID)", i, id, expectedIDs()[i])
		}
		for _, key := range []string{"engine", "severity", "title", "description", "remediation"} {
			v, ok := obj[key].(string)
			if !ok || (v == "" && !(key == "remediation" && obj["severity"] == "INFO")) {
				t.Errorf("%s: %s = %#v, want a non-empty string", id, key, obj[key])
			}
		}
		refs, _ := obj["references"].(map[string]any)
		if docs, _ := refs["docs"].([]any); len(docs) == 0 {
			t.Errorf("%s: references.docs = %#v", id, obj["references"])
		}
		if inputs, _ := obj["inputs"].([]any); len(inputs) == 0 {
			t.Errorf("%s: inputs = %#v", id, obj["inputs"])
		}
	}
}

// TestChecksCommand covers each format and the usage errors.
func TestChecksCommand(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		args       []string
		wantCode   int
		wantOut    []string
		wantStderr string
	}{
		"text by default":    {wantCode: exitOK, wantOut: []string{"ID ", "IAM001", "CT011", "LMB120", "HOOK094", fmt.Sprintf("%d checks", len(expectedIDs()))}},
		"markdown":           {args: []string{"--format", "markdown"}, wantCode: exitOK, wantOut: []string{"# Checks", "### HOOK000", "Security Hub control [Lambda.1]"}},
		"format in capitals": {args: []string{"--format", "JSON"}, wantCode: exitOK, wantOut: []string{`"id": "CT001"`}},
		"help":               {args: []string{"--help"}, wantCode: exitOK, wantStderr: "usage: selfaudit checks"},
		"bad format":         {args: []string{"--format", "sarif"}, wantCode: exitUsage, wantStderr: "selfaudit checks: --format must be text, json or markdown"},
		"unknown flag":       {args: []string{"--fail-on", "high"}, wantCode: exitUsage, wantStderr: "selfaudit checks: "},
		"stray argument":     {args: []string{"IAM001"}, wantCode: exitUsage, wantStderr: `unexpected argument "IAM001"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := checksRun(t, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.wantCode, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, tc.wantStderr) {
				t.Errorf("stderr %q, want %q", errOut, tc.wantStderr)
			}
			if lines := strings.Split(strings.TrimSpace(errOut), "\n"); tc.wantCode == exitUsage && !strings.HasPrefix(lines[len(lines)-1], "selfaudit checks: ") {
				t.Errorf("usage error does not end with one selfaudit checks: line: %q", errOut)
			}
		})
	}
}

// TestChecksDocIsCurrent: docs/checks.md is what the registry prints, so
// that the page never disagrees with the tool.
func TestChecksDocIsCurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "docs", "checks.md")
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("docs/checks.md: %v (run `make docs` to generate it)", err)
	}
	code, got, errOut := checksRun(t, "--format", "markdown")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got != string(want) {
		t.Fatalf("docs/checks.md is stale: it differs from the check registry; run `make docs` and commit the result")
	}
}
