package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/internal/testenv"
)

// TestScanSCP: --scp caps what the scan of an account reports. A deny list
// cancels IAM004, the IAM005 of iam:CreateAccessKey and the IAM009 path
// built on it; an allow list of s3:* leaves only findings on S3 actions;
// a missing file is a usage error.
func TestScanSCP(t *testing.T) {
	t.Parallel()
	exampleAccount := filepath.Join(testenv.ModuleRoot(t), "shared", "iamscan", "testdata", "cloudsplaining", "example-authz-details.json")
	scan := func(args ...string) (int, map[string]int, string) {
		var out, errOut bytes.Buffer
		env := &cliEnv{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
		code := run(context.Background(), env, append(append([]string{"scan", "--format", "json"}, args...), exampleAccount))
		var rep struct {
			Findings []struct{ Check string }
			Notes    []string
		}
		if code != 2 {
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out.String())
			}
		}
		checks := map[string]int{}
		for _, f := range rep.Findings {
			checks[f.Check]++
		}
		return code, checks, strings.Join(rep.Notes, "\n") + errOut.String()
	}
	_, none, _ := scan()
	if none["IAM004"] != 2 || none["IAM009"] != 1 || none["IAM005"] != 2 {
		t.Fatalf("without --scp: %v", none)
	}
	_, deny, notes := scan("--scp", filepath.Join("testdata", "scp", "deny-passrole-accesskeys.json"))
	if deny["IAM004"] != 0 || deny["IAM009"] != 0 || deny["IAM005"] != 1 || deny["IAM006"] != 3 {
		t.Errorf("deny list: %v", deny)
	}
	if !strings.Contains(notes, "NoIAMWrites") {
		t.Errorf("notes do not name the cancelling statement:\n%s", notes)
	}
	_, s3, _ := scan("--scp", filepath.Join("testdata", "scp", "allow-s3.json"))
	if s3["IAM004"] != 0 || s3["IAM006"] != 1 || s3["IAM005"] != 1 {
		t.Errorf("allow list of s3:*: %v", s3)
	}
	if code, _, msg := scan("--scp", "no-such-file.json"); code != 2 || !strings.Contains(msg, "no-such-file.json") {
		t.Errorf("missing SCP file: exit %d, %q", code, msg)
	}
}
