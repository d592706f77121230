package suppress

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/cfntemplate"
	"github.com/selfaudit/selfaudit/shared/findings"
)

func day(s string) time.Time {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t.Add(13 * time.Hour)
}

func finding(check, resource string, evidence map[string]any) findings.Finding {
	return findings.Finding{ID: findings.StableID(check, resource, ""), Check: check, Severity: findings.High, Title: "t",
		Resource: resource, Evidence: evidence, Source: "test", ObservedAt: day("2027-01-01")}
}

func exampleMatcher(t *testing.T, scope []string) *Matcher {
	t.Helper()
	data, err := os.ReadFile("testdata/selfaudit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := Parse("selfaudit.yaml", data, testChecks)
	if err != nil {
		t.Fatal(err)
	}
	return NewMatcher(rules, scope)
}

func TestMatch(t *testing.T) {
	t.Parallel()
	legacy := "arn:aws:iam::123456789012:role/legacy-vendor"
	cases := []struct {
		name        string
		f           findings.Finding
		today       string
		wantSource  string
		wantExpired string
	}{
		{"check, resource and account", finding("IAM006", legacy, nil), "2027-03-30", "selfaudit.yaml:3", ""},
		{"on its end date it no longer applies", finding("IAM006", legacy, nil), "2027-03-31", "", "selfaudit.yaml:3"},
		{"other check", finding("IAM005", legacy, nil), "2027-01-01", "", ""},
		{"other resource", finding("IAM006", "arn:aws:iam::123456789012:role/new-vendor", nil), "2027-01-01", "", ""},
		{"other account", finding("IAM006", "arn:aws:iam::999999999999:role/legacy-vendor", nil), "2027-01-01", "", ""},
		{"glob on check, account from the ARN", finding("LMB110", "arn:aws:lambda:eu-west-1:210987654321:function:f", nil), "2030-01-01", "selfaudit.yaml:8", ""},
		{"account from the evidence", finding("LMB110", "f", map[string]any{"accountId": "210987654321"}), "2030-01-01", "selfaudit.yaml:8", ""},
		{"no account known", finding("LMB110", "template.yaml#/Resources/F", nil), "2030-01-01", "", ""},
		{"resource defaults to every resource", finding("CT006", "arn:aws:iam::123456789012:root", nil), "2030-01-01", "selfaudit.yaml:11", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := exampleMatcher(t, nil)
			got := m.Match(c.f, day(c.today))
			var src, exp string
			if got.Rule != nil {
				src = got.Rule.Source
			}
			if got.Expired != nil {
				exp = got.Expired.Source
			}
			if src != c.wantSource || exp != c.wantExpired {
				t.Errorf("matched %q, expired %q; want %q, %q", src, exp, c.wantSource, c.wantExpired)
			}
		})
	}
}

func TestNotes(t *testing.T) {
	t.Parallel()
	m := exampleMatcher(t, []string{"IAM006", "CT006"})
	legacy := finding("IAM006", "arn:aws:iam::123456789012:role/legacy-vendor", nil)
	ts := m.Apply([]findings.Finding{legacy, finding("IAM001", "x", nil)}, findings.StatusNew, day("2027-04-01"))
	if ts[0].Status != findings.StatusNew || ts[0].Suppression != nil {
		t.Errorf("expired suppression still applied: %+v", ts[0])
	}
	notes := m.Notes()
	want := []string{
		"suppression selfaudit.yaml:3 (IAM006) expired on 2027-03-31: 1 finding it matched counts again",
		"suppression selfaudit.yaml:11 (CT006) matched no finding",
	}
	// The LMB1* rule is out of the run's scope, so it is not reported.
	if strings.Join(notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(want, "\n"))
	}
	ts = m.Apply([]findings.Finding{legacy}, findings.StatusNew, day("2027-01-01"))
	if ts[0].Status != findings.StatusSuppressed || ts[0].Suppression == nil || ts[0].Suppression.Source != "selfaudit.yaml:3" || ts[0].Suppression.Expires != "2027-03-31" {
		t.Errorf("live suppression: %+v", ts[0])
	}
}

func TestMatcherConcurrent(t *testing.T) {
	t.Parallel()
	m := exampleMatcher(t, nil)
	f := finding("IAM006", "arn:aws:iam::123456789012:role/legacy-vendor", nil)
	suppressed := m.Suppressor(day("2027-01-01"))
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if !suppressed(f) {
					t.Error("not suppressed")
					return
				}
				_ = m.Notes()
			}
		}()
	}
	wg.Wait()
}

func TestNilMatcher(t *testing.T) {
	t.Parallel()
	var m *Matcher
	if got := m.Match(finding("IAM001", "x", nil), day("2027-01-01")); got.Rule != nil || got.Expired != nil {
		t.Errorf("nil matcher matched: %+v", got)
	}
	if m.Notes() != nil || m.Unused() != nil || m.Len() != 0 || m.Suppressor(day("2027-01-01")) != nil {
		t.Error("nil matcher has notes")
	}
	if ts := m.Apply([]findings.Finding{finding("IAM001", "x", nil)}, findings.StatusOpen, day("2027-01-01")); ts[0].Status != findings.StatusOpen {
		t.Errorf("status %s", ts[0].Status)
	}
}

func loadTemplate(t *testing.T, path string) *cfntemplate.File {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := cfntemplate.Load(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFromTemplate(t *testing.T) {
	t.Parallel()
	const file = "testdata/template.yaml"
	rules, err := FromTemplate(file, loadTemplate(t, file), testChecks)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rules {
		got = append(got, r.Check+" "+r.Source)
	}
	want := []string{
		"IAM006 testdata/template.yaml:8 (Metadata.selfaudit of VendorRole)",
		"IAM004 testdata/template.yaml:13 (Metadata.cfn_nag F38 of VendorRole)",
		"IAM008 testdata/template.yaml:19 (Metadata.checkov CKV_AWS_60 of VendorRole)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	m := NewMatcher(rules, nil)
	perm := file + "#/Resources/VendorRole/Properties/Policies/0/PolicyDocument/Statement/0"
	trust := file + "#/Resources/VendorRole/Properties/AssumeRolePolicyDocument/Statement/0"
	cases := []struct {
		f    findings.Finding
		want bool
	}{
		{finding("IAM006", perm, nil), true},
		{finding("IAM004", perm, nil), true},
		{finding("IAM008", trust, nil), true},
		// F38 is about permissions policies, CKV_AWS_60 about the trust policy.
		{finding("IAM004", trust, nil), false},
		{finding("IAM008", perm, nil), false},
		// Another resource, another file, a logical ID that only shares a prefix.
		{finding("IAM006", file+"#/Resources/OtherRole/Properties/Policies/0", nil), false},
		{finding("IAM006", "other.yaml#/Resources/VendorRole/Properties/Policies/0", nil), false},
		{finding("IAM006", file+"#/Resources/VendorRoleTwo/Properties/Policies/0", nil), false},
		{finding("IAM006", file+"#/Resources/VendorRole", nil), true},
	}
	for _, c := range cases {
		if got := m.Match(c.f, day("2027-01-01")).Rule != nil; got != c.want {
			t.Errorf("%s on %s: suppressed %v, want %v", c.f.Check, c.f.Resource, got, c.want)
		}
	}
}

func TestFromTemplateProblems(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, tmpl, want string }{
		{"selfaudit without reason", `Resources:
  R:
    Type: AWS::IAM::Role
    Metadata:
      selfaudit:
        suppress:
          - check: IAM006
`, "t.yaml:7: Metadata.selfaudit.suppress entry 1 of R: reason is required"},
		{"unknown check", `Resources:
  R:
    Type: AWS::IAM::Role
    Metadata:
      selfaudit:
        suppress:
          - check: IAM066
            reason: r
`, `t.yaml:7: Metadata.selfaudit.suppress entry 1 of R: unknown check "IAM066"`},
		{"bad date", `Resources:
  R:
    Type: AWS::IAM::Role
    Metadata:
      selfaudit:
        suppress:
          - check: IAM006
            reason: r
            expires: next year
`, `t.yaml:9: Metadata.selfaudit.suppress entry 1 of R: expires "next year" is not a date`},
		{"unknown key", `Resources:
  R:
    Type: AWS::IAM::Role
    Metadata:
      selfaudit:
        suppress:
          - check: IAM006
            reason: r
            resource: "*"
`, `t.yaml:9: Metadata.selfaudit.suppress entry 1 of R: unknown key "resource"`},
		{"cfn_nag without reason", `Resources:
  R:
    Type: AWS::IAM::Role
    Metadata:
      cfn_nag:
        rules_to_suppress:
          - id: W11
`, "t.yaml:7: Metadata.cfn_nag.rules_to_suppress entry 1 of R: W11 suppresses IAM006 but has no reason"},
		{"suppress not a list", `Resources:
  R:
    Type: AWS::IAM::Role
    Metadata:
      selfaudit:
        suppress: IAM006
`, "t.yaml:6: Metadata.selfaudit of R.suppress must be a list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f, err := cfntemplate.Load("t.yaml", []byte(c.tmpl))
			if err != nil {
				t.Fatal(err)
			}
			_, err = FromTemplate("t.yaml", f, testChecks)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("err %v\nwant %s...", err, c.want)
			}
		})
	}
}

// TestMappedRulesNeverUnused: a cfn_nag or checkov suppression may be
// there for that tool, so it is not reported when no selfaudit finding
// matches it.
func TestMappedRulesNeverUnused(t *testing.T) {
	t.Parallel()
	rules, err := FromTemplate("testdata/template.yaml", loadTemplate(t, "testdata/template.yaml"), testChecks)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(rules, nil)
	unused := m.Unused()
	if len(unused) != 1 || unused[0].Tool != "" || unused[0].Check != "IAM006" {
		t.Errorf("unused %+v, want only the selfaudit rule", unused)
	}
}

func TestMappingsNameKnownChecks(t *testing.T) {
	t.Parallel()
	for _, ms := range [][]Mapping{CfnNagRules, CheckovRules} {
		for _, m := range ms {
			for _, c := range m.Checks {
				var ids []string
				if msg := checkProblem(c, testChecks, &ids); msg != "" {
					t.Errorf("%s: %s", m.Rule, msg)
				}
			}
		}
	}
}

var _ Template = (*cfntemplate.File)(nil)

// TestRuleBuiltByHand: a rule made without Parse still ends on its date.
func TestRuleBuiltByHand(t *testing.T) {
	t.Parallel()
	m := NewMatcher([]Rule{{Check: "IAM006", Resource: "*", Reason: "r", Expires: "2027-03-31", Source: "code"}}, nil)
	f := finding("IAM006", "x", nil)
	if m.Match(f, day("2027-03-30")).Rule == nil || m.Match(f, day("2027-03-31")).Expired == nil {
		t.Error("a rule built by hand does not end on its date")
	}
}
