package rules

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// labelledCase is one line of testdata/<family>.jsonl: a record and whether
// a check must fire on it (and, when given, at which severity and on which
// resource).
type labelledCase struct {
	Name     string `json:"name"`
	Check    string `json:"check"`
	Fire     bool   `json:"fire"`
	Severity string `json:"severity"`
	Resource string `json:"resource"`
	// Note says the record must raise a note for the check (something it
	// could not judge) rather than a finding.
	Note   bool            `json:"note"`
	Record json.RawMessage `json:"record"`
	// Source names where the record's shape comes from.
	Source string `json:"source"`
}

func testConfig() Config {
	c := DefaultConfig()
	c.PipelinePrincipals = []string{"arn:aws:iam::111122223333:role/selfaudit-deploy"}
	c.TrustedAccounts = []string{"444455556666"}
	c.Admins = AdminUserSet{"arn:aws:iam::123456789012:user/ops-admin": true}
	return c
}

func loadCases(t testing.TB, file string) []labelledCase {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelledCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c labelledCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, c)
	}
	return out
}

// TestLabelledRecords runs every family's labelled records: the check
// fires exactly when the label says so, with the labelled severity and
// resource, and every finding is valid against the schema.
func TestLabelledRecords(t *testing.T) {
	files, err := filepath.Glob("testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no labelled records: %v", err)
	}
	cfg := testConfig()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, file := range files {
		for _, tc := range loadCases(t, file) {
			t.Run(filepath.Base(file)+"/"+tc.Check+"/"+tc.Name, func(t *testing.T) {
				t.Parallel()
				r, err := record.Parse(tc.Record)
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				var got []findings.Finding
				for _, f := range Evaluate(&cfg, r, "test", now) {
					if err := f.Validate(); err != nil {
						t.Errorf("invalid finding: %v", err)
					}
					if at, _ := f.Evidence[EvidenceAttack].([]string); !slices.Equal(at, ByID(f.Check).Techniques) {
						t.Errorf("%s evidence attack = %v, want %v", f.Check, f.Evidence[EvidenceAttack], ByID(f.Check).Techniques)
					}
					if f.Check == tc.Check {
						got = append(got, f)
					}
				}
				noted := false
				EachHit(&cfg, r, func(rl *Rule, h Hit) {
					if rl.ID == tc.Check && h.Note != "" {
						noted = true
					}
				})
				if noted != tc.Note {
					t.Errorf("%s raised a note: %v, want %v", tc.Check, noted, tc.Note)
				}
				if tc.Fire != (len(got) > 0) {
					t.Fatalf("%s fired %d times, want fire=%v", tc.Check, len(got), tc.Fire)
				}
				if !tc.Fire {
					return
				}
				if tc.Severity != "" && got[0].Severity.String() != tc.Severity {
					t.Errorf("severity = %s, want %s", got[0].Severity, tc.Severity)
				}
				if tc.Resource != "" && got[0].Resource != tc.Resource {
					t.Errorf("resource = %s, want %s", got[0].Resource, tc.Resource)
				}
			})
		}
	}
}

func TestCatalogIsComplete(t *testing.T) {
	want := []string{"CT001", "CT002", "CT003", "CT004", "CT005", "CT006", "CT007", "CT008", "CT009", "CT010", "CT011", "CT012", "CT013", "CT014"}
	got := Catalog()
	if len(got) != len(want) {
		t.Fatalf("catalog has %d checks, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.ID != want[i] || r.Title == "" || r.Remediation == "" || r.Severity == 0 || len(r.Techniques) == 0 {
			t.Errorf("check %d = %+v, want ID %s with title, remediation, severity and ATT&CK techniques", i, r, want[i])
		}
	}
}

func TestFindingIDIsStable(t *testing.T) {
	t.Parallel()
	cases := loadCases(t, "testdata/lambda.jsonl")
	r, err := record.Parse(cases[0].Record)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	a := Evaluate(&cfg, r, "x", time.Now())
	b := Evaluate(&cfg, r, "x", time.Now().Add(time.Hour))
	if len(a) == 0 || a[0].ID != b[0].ID {
		t.Fatalf("IDs differ between runs: %v vs %v", a, b)
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		pattern, s string
		want       bool
	}{
		"exact":          {"arn:aws:iam::1:role/deploy", "arn:aws:iam::1:role/deploy", true},
		"exact mismatch": {"arn:aws:iam::1:role/deploy", "arn:aws:iam::1:role/deployer", false},
		"star session":   {"arn:aws:sts::1:assumed-role/deploy/*", "arn:aws:sts::1:assumed-role/deploy/cb-1", true},
		"star middle":    {"arn:aws:iam::*:role/deploy", "arn:aws:iam::2:role/deploy", true},
		"star prefix":    {"*deploy", "arn:aws:iam::2:role/predeploy", true},
		"star no match":  {"arn:aws:iam::*:role/deploy", "arn:aws:iam::2:role/other", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := glob(tc.pattern, tc.s); got != tc.want {
				t.Errorf("glob(%q, %q) = %v", tc.pattern, tc.s, got)
			}
		})
	}
}

// FuzzMember holds member to what decoding the object would give: the
// string value of the key, or "" when it is absent or not a string, and
// never a panic.
func FuzzMember(f *testing.F) {
	for _, s := range []string{
		`{"functionName":"orders-api","functionArn":"arn:aws:lambda:eu-west-1:1:function:f"}`,
		`{"roleName":"app","roleName":"app-2"}`,
		`{"policyArn":null,"userName":"b\u00e9"}`,
		`{"policyDocument":"{\"Statement\":[]}"}`,
		`{"a":{"roleName":"nested"}}`,
		`null`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s), "roleName")
		f.Add([]byte(s), "functionName")
	}
	f.Fuzz(func(t *testing.T, raw []byte, key string) {
		got := member(raw, key)
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil || !json.Valid(raw) {
			return
		}
		if want, _ := m[key].(string); got != want && utf8.ValidString(want) && !strings.ContainsRune(want, utf8.RuneError) {
			t.Errorf("member(%s, %q) = %q, want %q", raw, key, got, want)
		}
	})
}
