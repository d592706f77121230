package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
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
			wantOut: []string{"CT003", "CT004", "CT005", "CT006", "CT007", "CT008", "CT011", "CT013", "CT014", "SQS queue made public", "GuardDuty detector disabled", `"attack":["T1537"`, "note: CT009 and CT010 skipped"}},
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

// TestTrailFoldsFlood runs `selfaudit trail --format json` over a flood of
// console edits (CT001 and nothing else), spread over hours, principals and
// functions and split into gzip files: the report has one finding per
// distinct (check, resource, principal, hour), and their occurrences add
// up to the records.
func TestTrailFoldsFlood(t *testing.T) {
	t.Parallel()
	const records, perFile = 3000, 700
	type group struct{ fn, who, hour string }
	groups := map[group]bool{}
	dir := t.TempDir()
	var buf bytes.Buffer
	for i := 0; i < records; i += perFile {
		buf.Reset()
		zw := gzip.NewWriter(&buf)
		io.WriteString(zw, `{"Records":[`)
		for j := i; j < min(i+perFile, records); j++ {
			g := group{fn: fmt.Sprintf("fn-%d", j%5), who: fmt.Sprintf("dev-%d", j/7%3), hour: fmt.Sprintf("%02d", 8+j*4/records)}
			groups[g] = true
			if j > i {
				io.WriteString(zw, ",")
			}
			fmt.Fprintf(zw, `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/%s","accountId":"111122223333","userName":"%s"},"eventTime":"2026-11-20T%s:%02d:%02dZ","eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionCode20150331v2","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.1","userAgent":"console.amazonaws.com","requestParameters":{"functionName":"%s"},"responseElements":null,"eventID":"ev-%d","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333","sessionCredentialFromConsole":"true"}`,
				g.who, g.who, g.hour, j/60%60, j%60, g.fn, j)
		}
		io.WriteString(zw, "]}")
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("trail-%d.json.gz", i)), buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env, out, errb := trailEnv()
	if code := runTrailWith(context.Background(), env, []string{"--format", "json", "--fail-on", "none", dir}, defaultTrailDeps); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var rep findings.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != len(groups) {
		t.Errorf("%d findings, want %d: one per check, resource, principal and hour", len(rep.Findings), len(groups))
	}
	var occurrences float64
	seen := map[group]bool{}
	for _, f := range rep.Findings {
		first, _ := f.Evidence["firstEventTime"].(string)
		principal, _ := f.Evidence["principal"].(string)
		g := group{fn: f.Resource[strings.LastIndex(f.Resource, ":")+1:], who: principal[strings.LastIndex(principal, "/")+1:]}
		if len(first) > 13 {
			g.hour = first[11:13]
		}
		if f.Check != "CT001" || !groups[g] || seen[g] {
			t.Errorf("unexpected or repeated finding %s for %+v", f.Check, g)
		}
		seen[g] = true
		n, _ := f.Evidence["occurrences"].(float64)
		occurrences += n
	}
	if occurrences != records {
		t.Errorf("occurrences add up to %v, want %d", occurrences, records)
	}
}

// TestTrailAdminUsers: with --iam-details, the password sign-in without
// MFA of legacy-ops, an administrator through its group, is HIGH; without
// it the same sign-in is MEDIUM, and a file that is not authorization
// details is a usage error.
func TestTrailAdminUsers(t *testing.T) {
	t.Parallel()
	samples := filepath.Join("..", "..", "events", "cloudtrail")
	tests := map[string]struct {
		args     []string
		wantCode int
		wantSev  string
	}{
		"administrator": {args: []string{"--format", "json", "--fail-on", "none", "--iam-details", "testdata/trail/iam-details.json", samples}, wantSev: "HIGH"},
		"unknown":       {args: []string{"--format", "json", "--fail-on", "none", samples}, wantSev: "MEDIUM"},
		"not details":   {args: []string{"--iam-details", "testdata/trail/nope.json", samples}, wantCode: exitUsage},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env, out, errb := trailEnv()
			if code := runTrailWith(context.Background(), env, tc.args, defaultTrailDeps); code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, errb)
			}
			if tc.wantSev == "" {
				if !strings.Contains(errb.String(), "--iam-details") {
					t.Errorf("stderr %q does not name the flag", errb)
				}
				return
			}
			var rep struct{ Findings []findings.Finding }
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range rep.Findings {
				if f.Check == "CT014" && f.Resource == "arn:aws:iam::111122223333:user/legacy-ops" {
					found = true
					if f.Severity.String() != tc.wantSev {
						t.Errorf("CT014 for legacy-ops is %s, want %s", f.Severity, tc.wantSev)
					}
				}
			}
			if !found {
				t.Error("no CT014 finding for legacy-ops")
			}
		})
	}
}
