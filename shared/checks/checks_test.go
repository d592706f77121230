package checks

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// valid is a complete check for tests to break one field of.
func valid() Check {
	return Check{
		ID: "TST001", Engine: EngineFleet, Severity: findings.Medium,
		Title: "a title", Description: "what and why", Remediation: "what to do",
		References: References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/welcome.html"}, SecurityHub: []string{"Lambda.1"}},
		Inputs:     []Input{InputFleet},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		mutate  func(c *Check)
		wantErr string // "" for valid
	}{
		"complete":                           {mutate: func(*Check) {}},
		"INFO without remediation":           {mutate: func(c *Check) { c.Severity, c.Remediation = findings.Info, "" }},
		"several inputs":                     {mutate: func(c *Check) { c.Inputs = []Input{InputTemplate, InputAccount} }},
		"empty ID":                           {mutate: func(c *Check) { c.ID = "" }, wantErr: "check ID"},
		"lower-case ID":                      {mutate: func(c *Check) { c.ID = "tst001" }, wantErr: "check ID"},
		"ID without three digits":            {mutate: func(c *Check) { c.ID = "TST01" }, wantErr: "check ID"},
		"ID with a suffix":                   {mutate: func(c *Check) { c.ID = "TST001a" }, wantErr: "check ID"},
		"unknown engine":                     {mutate: func(c *Check) { c.Engine = "s3" }, wantErr: "unknown engine"},
		"no engine":                          {mutate: func(c *Check) { c.Engine = "" }, wantErr: "unknown engine"},
		"no severity":                        {mutate: func(c *Check) { c.Severity = 0 }, wantErr: "invalid severity"},
		"severity out of range":              {mutate: func(c *Check) { c.Severity = findings.Critical + 1 }, wantErr: "invalid severity"},
		"blank title":                        {mutate: func(c *Check) { c.Title = " " }, wantErr: "empty title"},
		"no description":                     {mutate: func(c *Check) { c.Description = "" }, wantErr: "empty description"},
		"no remediation above INFO":          {mutate: func(c *Check) { c.Remediation = "" }, wantErr: "empty remediation"},
		"no documentation":                   {mutate: func(c *Check) { c.References.Docs = nil }, wantErr: "no documentation"},
		"documentation elsewhere":            {mutate: func(c *Check) { c.References.Docs = []string{"https://example.com/x"} }, wantErr: "not an AWS documentation page"},
		"documentation with a space":         {mutate: func(c *Check) { c.References.Docs = []string{"https://docs.aws.amazon.com/a b"} }, wantErr: "not an AWS documentation page"},
		"bad Security Hub ID":                {mutate: func(c *Check) { c.References.SecurityHub = []string{"Lambda-1"} }, wantErr: "Security Hub control"},
		"no inputs":                          {mutate: func(c *Check) { c.Inputs = nil }, wantErr: "no inputs"},
		"unknown input":                      {mutate: func(c *Check) { c.Inputs = []Input{"s3"} }, wantErr: "unknown input"},
		"input twice":                        {mutate: func(c *Check) { c.Inputs = []Input{InputFleet, InputFleet} }, wantErr: "listed twice"},
		"ATT&CK techniques":                  {mutate: func(c *Check) { c.Techniques = []string{"T1562.008", "T1078"} }},
		"ATT&CK tactic, not technique":       {mutate: func(c *Check) { c.Techniques = []string{"TA0005"} }, wantErr: "ATT&CK technique"},
		"ATT&CK sub-technique of two digits": {mutate: func(c *Check) { c.Techniques = []string{"T1562.08"} }, wantErr: "ATT&CK technique"},
		"ATT&CK technique twice":             {mutate: func(c *Check) { c.Techniques = []string{"T1078", "T1078"} }, wantErr: "listed twice"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			tc.mutate(&c)
			err := c.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestRegistryRefusesDuplicatesAndMalformedChecks(t *testing.T) {
	t.Parallel()
	r := newRegistry()
	if _, err := r.add(valid()); err != nil {
		t.Fatal(err)
	}
	dup := valid()
	dup.Engine = EngineHook
	if _, err := r.add(dup); err == nil || !strings.Contains(err.Error(), "registered twice") {
		t.Errorf("duplicate: error %v", err)
	}
	bad := valid()
	bad.ID = "nope"
	if _, err := r.add(bad); err == nil {
		t.Error("malformed check accepted")
	}
	if got := r.all(); len(got) != 1 || got[0].Engine != EngineFleet {
		t.Errorf("registry holds %+v, want the first check only", got)
	}
}

// TestRegisterPanics: Register runs at package initialisation, where a bad
// check is a programming error that must stop the first test run.
func TestRegisterPanics(t *testing.T) {
	// Not parallel: it registers into the package registry.
	tests := map[string]Check{
		"malformed": func() Check { c := valid(); c.ID = "X1"; return c }(),
		"duplicate": func() Check { c := valid(); c.ID = "TST900"; return c }(),
	}
	Register(tests["duplicate"])
	for name, c := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%s) did not panic", c.ID)
				}
			}()
			Register(c)
		})
	}
	if _, ok := Lookup("TST900"); !ok {
		t.Error("Lookup does not find a registered check")
	}
}

func TestAllIsSortedAndCopied(t *testing.T) {
	t.Parallel()
	r := newRegistry()
	for _, id := range []string{"TST003", "TST001", "TST002"} {
		c := valid()
		c.ID = id
		if _, err := r.add(c); err != nil {
			t.Fatal(err)
		}
	}
	all := r.all()
	if all[0].ID != "TST001" || all[1].ID != "TST002" || all[2].ID != "TST003" {
		t.Fatalf("not sorted by ID: %v", all)
	}
	all[0].Inputs[0] = InputDeployment
	all[0].References.Docs[0] = "changed"
	again, _ := r.lookup("TST001")
	if again.Inputs[0] != InputFleet || again.References.Docs[0] == "changed" {
		t.Errorf("a caller changed the registry's copy: %+v", again)
	}
}

func TestSecurityHubURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Lambda.1":     "https://docs.aws.amazon.com/securityhub/latest/userguide/lambda-controls.html#lambda-1",
		"CloudWatch.4": "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-4",
		"IAM.21":       "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-21",
		"nodot":        "",
	}
	for in, want := range tests {
		if got := SecurityHubURL(in); got != want {
			t.Errorf("SecurityHubURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTechniqueURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"T1562.008": "https://attack.mitre.org/techniques/T1562/008/",
		"T1078":     "https://attack.mitre.org/techniques/T1078/",
		"TA0005":    "",
		"t1078":     "",
	}
	for in, want := range tests {
		if got := TechniqueURL(in); got != want {
			t.Errorf("TechniqueURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderers(t *testing.T) {
	t.Parallel()
	info := valid()
	info.ID, info.Engine, info.Severity, info.Remediation = "TST002", EngineHook, findings.Info, ""
	info.Techniques = []string{"T1562.008", "T1078"}
	info.Title = "title with * and | in it"
	cs := []Check{valid(), info}
	tests := map[string]struct {
		write func(*bytes.Buffer, []Check) error
		want  []string
	}{
		"text": {func(b *bytes.Buffer, cs []Check) error { return WriteText(b, cs) },
			[]string{"ID", "ATT&CK", "TST001", "fleet", "MEDIUM", "TST002", "T1562.008,T1078", "2 checks"}},
		"markdown": {func(b *bytes.Buffer, cs []Check) error { return WriteMarkdown(b, cs) },
			[]string{"# Checks", "## Lambda fleet operations checklist (`fleet`)", "| [TST001](#tst001) | MEDIUM |",
				"### TST002", `title with \* and \| in it`, "Remediation: none; this check records a verdict.",
				"[Lambda.1](https://docs.aws.amazon.com/securityhub/latest/userguide/lambda-controls.html#lambda-1)", "Runs on: fleet.",
				"| ID | Severity | Title | Inputs | ATT&CK |", "| T1562.008, T1078 |",
				"MITRE ATT&CK: [T1562.008](https://attack.mitre.org/techniques/T1562/008/), [T1078](https://attack.mitre.org/techniques/T1078/)"}},
		"json": {func(b *bytes.Buffer, cs []Check) error { return WriteJSON(b, cs) },
			[]string{`"id": "TST001"`, `"severity": "MEDIUM"`, `"securityHub": [`, `"inputs": [`, `"techniques": [`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := tc.write(&b, cs); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, nil); err != nil || strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("empty list = %q, %v; want []", b.String(), err)
	}
	var back []Check
	b.Reset()
	if err := WriteJSON(&b, cs); err != nil || json.Unmarshal(b.Bytes(), &back) != nil || len(back) != 2 || back[1].Severity != findings.Info {
		t.Errorf("JSON does not read back: %v %+v", err, back)
	}
}
