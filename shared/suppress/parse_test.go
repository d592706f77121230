package suppress

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testChecks stands in for the registry, which a test of this package
// does not fill (no engine is linked).
var testChecks = Options{Checks: []string{"IAM001", "IAM002", "IAM003", "IAM004", "IAM005", "IAM006", "IAM007", "IAM008",
	"LMB001", "LMB002", "LMB003", "LMB101", "LMB110", "CT006"}}

func TestParseExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/selfaudit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := Parse("selfaudit.yaml", data, testChecks)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Check: "IAM006", Resource: "arn:aws:iam::*:role/legacy-*", Account: "123456789012", Reason: "SEC-42: vendor integration, until the Q2 migration", Expires: "2027-03-31", Source: "selfaudit.yaml:3"},
		{Check: "LMB1*", Resource: "*", Account: "210987654321", Reason: "SEC-7: the sandbox account's functions are throwaway", Source: "selfaudit.yaml:8"},
		{Check: "CT006", Resource: "*", Reason: "SEC-9: break-glass drill every quarter", Source: "selfaudit.yaml:11"},
	}
	if len(rules) != len(want) {
		t.Fatalf("got %d rules, want %d", len(rules), len(want))
	}
	for i, w := range want {
		g := rules[i]
		g.expires = w.expires
		if g != w {
			t.Errorf("rule %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if rules[0].expires.IsZero() {
		t.Error("expires not parsed")
	}
}

func TestParseEmpty(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "# nothing yet\n", "suppressions: []\n", "suppressions:\n", "---\n"} {
		rules, err := Parse("s.yaml", []byte(in), testChecks)
		if err != nil || len(rules) != 0 {
			t.Errorf("%q: rules %v, err %v; want none", in, rules, err)
		}
	}
}

// TestParseMalformed holds every malformed file of testdata/malformed to
// one line naming the file and the line of the problem.
func TestParseMalformed(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"no-reason.yaml":            "no-reason.yaml:2: suppression 1: reason is required",
		"empty-reason.yaml":         "empty-reason.yaml:3: suppression 1: reason is empty",
		"unknown-check.yaml":        `unknown-check.yaml:2: suppression 1: unknown check "IAM999"`,
		"glob-matches-nothing.yaml": `glob-matches-nothing.yaml:2: suppression 1: check "XYZ*" matches no known check`,
		"bad-date.yaml":             `bad-date.yaml:4: suppression 1: expires "2027-02-30" is not a date YYYY-MM-DD`,
		"bad-date-format.yaml":      `bad-date-format.yaml:4: suppression 1: expires "31/03/2027" is not a date`,
		"unknown-key.yaml":          `unknown-key.yaml:4: unknown key "expire"`,
		"unknown-top-key.yaml":      `unknown-top-key.yaml:1: unknown key "suppression"`,
		"bad-account.yaml":          `bad-account.yaml:4: suppression 1: account "12345" is not a 12-digit AWS account ID`,
		"list-check.yaml":           "list-check.yaml:2: suppression 1: check must be a single value",
		"not-a-list.yaml":           "not-a-list.yaml:2: suppressions must be a list",
		"item-not-mapping.yaml":     "item-not-mapping.yaml:2: suppression 1 must be a mapping",
		"bad-yaml.yaml":             "bad-yaml.yaml:1: malformed YAML",
		"top-not-mapping.yaml":      "top-not-mapping.yaml:1: the file must be a mapping",
		"duplicate-key.yaml":        `duplicate-key.yaml:3: key "check" given twice`,
		"two-documents.yaml":        "two-documents.yaml:2: more than one YAML document",
		"empty-resource.yaml":       "empty-resource.yaml:4: suppression 1: resource is empty",
	}
	files, err := filepath.Glob("testdata/malformed/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cases) {
		t.Errorf("%d files in testdata/malformed, %d cases", len(files), len(cases))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(name, data, testChecks)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err %v, want *Error", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, cases[name]) {
				t.Errorf("got  %s\nwant %s...", msg, cases[name])
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is more than one line: %q", msg)
			}
		})
	}
}

func TestParseCountsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Parse("s.yaml", []byte("suppressions:\n  - check: IAM999\n  - check: IAM006\n    reason: r\n    expires: soon\n"), testChecks)
	var pe *Error
	if !errors.As(err, &pe) || len(pe.Problems) != 3 {
		t.Fatalf("err %v, want 3 problems (unknown check, no reason, bad date)", err)
	}
	if !strings.HasSuffix(err.Error(), "(and 2 more problems)") {
		t.Errorf("message %q does not count the other problems", err)
	}
}

func TestAnyCheck(t *testing.T) {
	t.Parallel()
	in := []byte("suppressions:\n  - check: ZZZ123\n    reason: another engine's check\n")
	if _, err := Parse("s.yaml", in, testChecks); err == nil {
		t.Error("unknown check accepted without AnyCheck")
	}
	if _, err := Parse("s.yaml", in, Options{AnyCheck: true}); err != nil {
		t.Errorf("AnyCheck: %v", err)
	}
	if _, err := Parse("s.yaml", []byte("suppressions:\n  - check: 'IAM 006'\n    reason: r\n"), Options{AnyCheck: true}); err == nil {
		t.Error("AnyCheck accepted a check with a space")
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything/at:all", true},
		{"IAM00*", "IAM006", true},
		{"IAM00*", "IAM010", false},
		{"IAM00?", "IAM006", true},
		{"IAM00?", "IAM0061", false},
		{"arn:aws:iam::*:role/legacy-*", "arn:aws:iam::123456789012:role/legacy-vendor", true},
		{"arn:aws:iam::*:role/legacy-*", "arn:aws:iam::123456789012:role/path/legacy-vendor", false},
		{"arn:aws:iam::*:role/*legacy-*", "arn:aws:iam::123456789012:role/path/legacy-vendor", true},
		{"template.yaml#/Resources/Role/*", "template.yaml#/Resources/Role/Properties/Policies/0", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"", "", true},
		{"", "x", false},
		{"**", "x", true},
	}
	for _, c := range cases {
		if got := Glob(c.pattern, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}
