package sarif

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
	// The IAM engine registers IAM002, the check the tests describe.
	_ "github.com/selfaudit/selfaudit/shared/iampolicy"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	res := "template.yaml#/Resources/Role/Properties/Policies/0/PolicyDocument/Statement/0"
	f := findings.Finding{
		ID: findings.StableID("IAM002", res, "k"), Check: "IAM002", Severity: findings.High, Title: "IAM002 title",
		Resource: res, Evidence: map[string]any{"action": "*"}, Remediation: "fix it",
		Source: "test", ObservedAt: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		Location: &findings.Location{File: "template.yaml", Line: 12},
	}
	var sarif bytes.Buffer
	if err := Write(&sarif, []findings.Finding{f}); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(sarif.Bytes(), &log); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	r := log.Runs[0].Results[0]
	if log.Version != "2.1.0" || log.Runs[0].Tool.Driver.Rules[0].ID != "IAM002" || r.RuleID != "IAM002" || r.Level != "error" ||
		r.Locations[0].PhysicalLocation.ArtifactLocation.URI != "template.yaml" || r.Locations[0].PhysicalLocation.Region.StartLine != 12 {
		t.Fatalf("SARIF = %s", sarif.String())
	}
}

// TestRulesComeFromTheRegistry: a registered check's rule carries the
// registry's title, description, remediation and documentation link, not
// the wording of whichever finding came first; an unknown check falls back
// to its finding.
func TestRulesComeFromTheRegistry(t *testing.T) {
	t.Parallel()
	iam002, ok := checks.Lookup("IAM002")
	if !ok {
		t.Fatal("IAM002 is not registered; the iampolicy import registers it")
	}
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	fs := []findings.Finding{
		{ID: "a", Check: "IAM002", Severity: findings.Medium, Title: "IAM002 worded by one finding", Resource: "r1",
			Remediation: "finding remediation", Source: "test", ObservedAt: at},
		{ID: "b", Check: "ZZZ999", Severity: findings.Low, Title: "unregistered title", Resource: "r2",
			Remediation: "unregistered remediation", Source: "test", ObservedAt: at},
	}
	var out bytes.Buffer
	if err := Write(&out, fs); err != nil {
		t.Fatal(err)
	}
	type text struct {
		Text string `json:"text"`
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID               string            `json:"id"`
						ShortDescription text              `json:"shortDescription"`
						FullDescription  *text             `json:"fullDescription"`
						Help             text              `json:"help"`
						HelpURI          string            `json:"helpUri"`
						Properties       map[string]string `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out.Bytes(), &log); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	rules := log.Runs[0].Tool.Driver.Rules
	if len(rules) != 2 {
		t.Fatalf("%d rules, want 2: %s", len(rules), out.String())
	}
	tests := []struct {
		id, short, full, help, uri, severity string
	}{
		{"IAM002", iam002.Title, iam002.Description, iam002.Remediation, iam002.HelpURI(), iam002.Severity.String()},
		{"ZZZ999", "unregistered title", "", "unregistered remediation", "", "LOW"},
	}
	for i, tc := range tests {
		r := rules[i]
		full := ""
		if r.FullDescription != nil {
			full = r.FullDescription.Text
		}
		if r.ID != tc.id || r.ShortDescription.Text != tc.short || full != tc.full || r.Help.Text != tc.help ||
			r.HelpURI != tc.uri || r.Properties["severity"] != tc.severity {
			t.Errorf("rule %d = %+v (full %q), want %+v", i, r, full, tc)
		}
	}
}

// TestWriteAnnotated: an annotation adds baselineState and properties to
// its finding's result only; without one the result has neither.
func TestWriteAnnotated(t *testing.T) {
	t.Parallel()
	mk := func(res string) findings.Finding {
		return findings.Finding{
			ID: findings.StableID("IAM002", res, ""), Check: "IAM002", Severity: findings.High, Title: "t",
			Resource: res, Source: "test", ObservedAt: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		}
	}
	fs := []findings.Finding{mk("a.yaml#/x"), mk("b.yaml#/x")}
	var buf bytes.Buffer
	err := WriteAnnotated(&buf, fs, func(f findings.Finding) Annotation {
		if f.Resource != "a.yaml#/x" {
			return Annotation{}
		}
		return Annotation{BaselineState: "new", Properties: map[string]any{"status": "NEW"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				BaselineState *string         `json:"baselineState"`
				Properties    json.RawMessage `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	rs := log.Runs[0].Results
	if len(rs) != 2 {
		t.Fatalf("%d results", len(rs))
	}
	if rs[0].BaselineState == nil || *rs[0].BaselineState != "new" || !bytes.Contains(rs[0].Properties, []byte(`"status":"NEW"`)) {
		t.Errorf("annotated result: baselineState %v, properties %s", rs[0].BaselineState, rs[0].Properties)
	}
	if rs[1].BaselineState != nil || rs[1].Properties != nil {
		t.Errorf("plain result: baselineState %v, properties %s", rs[1].BaselineState, rs[1].Properties)
	}
}

// TestWriteSuppressed: a suppressed finding's result carries one SARIF
// suppression, kind external, status accepted, the reason as
// justification (the values SARIF 2.1.0 allows for kind and status), the
// end date and the source as properties; other results carry none.
func TestWriteSuppressed(t *testing.T) {
	t.Parallel()
	f := findings.Finding{ID: "a", Check: "IAM002", Severity: findings.High, Title: "t", Resource: "arn:aws:iam::123456789012:role/r",
		Source: "test", ObservedAt: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	g := f
	g.ID = "b"
	sup := &findings.Suppression{Reason: "SEC-42: vendor", Expires: "2027-03-31", Source: "selfaudit.yaml:3"}
	var out bytes.Buffer
	err := WriteAnnotated(&out, []findings.Finding{f, g}, func(x findings.Finding) Annotation {
		if x.ID == "a" {
			return Annotation{Suppression: sup}
		}
		return Annotation{}
	})
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				Suppressions []struct {
					Kind, Status, Justification string
					Properties                  map[string]string
				}
			}
		}
	}
	if err := json.Unmarshal(out.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	rs := log.Runs[0].Results
	if len(rs) != 2 || len(rs[0].Suppressions) != 1 || len(rs[1].Suppressions) != 0 {
		t.Fatalf("results %+v", rs)
	}
	s := rs[0].Suppressions[0]
	if s.Kind != "external" || s.Status != "accepted" || s.Justification != sup.Reason || s.Properties["expires"] != sup.Expires || s.Properties["source"] != sup.Source {
		t.Errorf("suppression %+v", s)
	}
}
