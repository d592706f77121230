package sarif

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/findings"
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
