package iamscan

import (
	"os"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iamgraph"
)

// TestTemplateEscalations: IAM009 on a template built from
// pathfinding.cloud's paths finds the one-hop and the two-hop escalation
// and stays silent on the traps (a Deny, a trust policy that does not
// admit the caller, a condition no request satisfies).
func TestTemplateEscalations(t *testing.T) {
	t.Parallel()
	const name = "testdata/escalation/template.yaml"
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&FileScanner{Now: fixedNow}).ScanFile(name, data)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]findings.Finding{}
	for _, f := range rep.Findings {
		if f.Check == "IAM009" {
			got[f.Evidence["logicalId"].(string)] = f
		}
	}
	want := map[string]struct {
		sev   findings.Severity
		steps int
		how   string
	}{
		"Deployer": {findings.Critical, 1, "lambda-001"},
		"Hopper":   {findings.High, 2, "sts-001"},
		"Middle":   {findings.Critical, 1, "sts-001"},
	}
	for id, w := range want {
		f, ok := got[id]
		if !ok {
			t.Errorf("%s: no IAM009", id)
			continue
		}
		if f.Severity != w.sev || f.Evidence["steps"] != w.steps || f.Location == nil || f.Location.Line == 0 ||
			!strings.HasSuffix(f.Resource, "#/Resources/"+id) || !strings.Contains(fmtPath(f), w.how) {
			t.Errorf("%s: %s %v at %v: %s", id, f.Severity, f.Evidence["steps"], f.Location, fmtPath(f))
		}
	}
	for id, f := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("unexpected IAM009 on %s: %s", id, fmtPath(f))
		}
	}
}

func fmtPath(f findings.Finding) string {
	var b strings.Builder
	for _, h := range f.Evidence["path"].([]iamgraph.Hop) {
		b.WriteString(h.From + " -> " + h.To + " (" + h.How + "); ")
	}
	return b.String()
}

// TestTemplateEffectivePermissions: a role's grants in a template are
// judged by everything the template gives the role: a Deny in another of
// its policies, a boundary that lets nothing reported through, and a
// condition no request satisfies each take the finding away, with a note;
// the same grant without them stays, naming the granting statement.
func TestTemplateEffectivePermissions(t *testing.T) {
	t.Parallel()
	const name = "testdata/escalation/effective.yaml"
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&FileScanner{Now: fixedNow}).ScanFile(name, data)
	if err != nil {
		t.Fatal(err)
	}
	byRole := map[string][]string{}
	for _, f := range rep.Findings {
		id, _ := f.Evidence["logicalId"].(string)
		if strings.HasPrefix(f.Check, "IAM00") && f.Check != "IAM008" {
			byRole[id] = append(byRole[id], f.Check)
			if id == "Kept" && f.Evidence["grantedBy"] == nil {
				t.Errorf("Kept %s: no grantedBy: %v", f.Check, f.Evidence)
			}
		}
	}
	for _, id := range []string{"Cancelled", "Bounded", "Never"} {
		if len(byRole[id]) > 0 {
			t.Errorf("%s: %v reported", id, byRole[id])
		}
	}
	if len(byRole["Kept"]) == 0 {
		t.Error("Kept: nothing reported")
	}
	notes := strings.Join(rep.Notes, "\n")
	for _, want := range []string{"Cancelled not reported: a Deny cancels", "NoS3", "Bounded not reported: permissions boundary", "Never not reported: its condition is satisfied by no request"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}
