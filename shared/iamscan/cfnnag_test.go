package iamscan

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var printAgreement = flag.Bool("agreement", false, "print the cfn_nag agreement table as Markdown")

// cfnNagRule maps a cfn_nag rule onto our checks: which checks correspond,
// on which resource types, and whether the rule is about the trust policy
// (AssumeRolePolicyDocument) or the permissions policies of a role.
type cfnNagRule struct {
	checks []string
	types  []string
	trust  bool
}

// cfnNagRules is the mapping documented in README.md. PassRole rules also
// accept IAM001: Action "*" on Resource "*" includes iam:PassRole on every
// role, and cfn_nag flags it under F38-F40 too.
var cfnNagRules = map[string]cfnNagRule{
	"F2":  {checks: []string{"IAM002", "IAM008"}, types: []string{"AWS::IAM::Role"}, trust: true},
	"W14": {checks: []string{"IAM003", "IAM008"}, types: []string{"AWS::IAM::Role"}, trust: true},
	"F3":  {checks: []string{"IAM001", "IAM002"}, types: []string{"AWS::IAM::Role"}},
	"F4":  {checks: []string{"IAM001", "IAM002"}, types: []string{"AWS::IAM::Policy"}},
	"F5":  {checks: []string{"IAM001", "IAM002"}, types: []string{"AWS::IAM::ManagedPolicy"}},
	"W15": {checks: []string{"IAM003"}, types: []string{"AWS::IAM::Role"}},
	"W16": {checks: []string{"IAM003"}, types: []string{"AWS::IAM::Policy"}},
	"W17": {checks: []string{"IAM003"}, types: []string{"AWS::IAM::ManagedPolicy"}},
	"W21": {checks: []string{"IAM007"}, types: []string{"AWS::IAM::Role"}},
	"W22": {checks: []string{"IAM007"}, types: []string{"AWS::IAM::Policy"}},
	"W23": {checks: []string{"IAM007"}, types: []string{"AWS::IAM::ManagedPolicy"}},
	"F38": {checks: []string{"IAM004", "IAM001"}, types: []string{"AWS::IAM::Role"}},
	"F39": {checks: []string{"IAM004", "IAM001"}, types: []string{"AWS::IAM::Policy"}},
	"F40": {checks: []string{"IAM004", "IAM001"}, types: []string{"AWS::IAM::ManagedPolicy"}},
	"F13": {checks: []string{"LMB001"}, types: []string{"AWS::Lambda::Permission"}},
}

// minAgreement is the share of labelled (template, rule) pairs on which our
// offending logical IDs must equal cfn_nag's. The pairs below it are the
// intentional differences README.md explains.
const minAgreement = 17.0 / 18.0

type labelRow struct {
	Template string   `json:"template"`
	RuleID   string   `json:"rule_id"`
	Expected string   `json:"expected"`
	Offend   []string `json:"expected_offending_logical_ids"`
}

type ruleTally struct{ pairs, agree int }

// TestCfnNagAgreement runs the scanner on cfn_nag's labelled test templates
// and compares, per (template, rule), the logical IDs we flag under the
// mapped checks with those cfn_nag's own spec expects.
func TestCfnNagAgreement(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/cfnnag/labels.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tally := map[string]*ruleTally{}
	var disagreements []string
	total, agree := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var row labelRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		rule, ok := cfnNagRules[row.RuleID]
		if !ok {
			t.Fatalf("rule %s has no mapping", row.RuleID)
		}
		path := filepath.Join("testdata/cfnnag", strings.TrimPrefix(row.Template, "spec/test_templates/"))
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fs := &FileScanner{Now: func() time.Time { return time.Unix(0, 0) }}
		rep, err := fs.ScanFile(path, data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got := map[string]bool{}
		for _, fd := range rep.Findings {
			if !contains(rule.checks, fd.Check) {
				continue
			}
			typ, _ := fd.Evidence["resourceType"].(string)
			id, _ := fd.Evidence["logicalId"].(string)
			if !contains(rule.types, typ) {
				continue
			}
			if strings.Contains(fd.Resource, "/AssumeRolePolicyDocument") != rule.trust {
				continue
			}
			got[id] = true
		}
		want := map[string]bool{}
		for _, id := range row.Offend {
			want[id] = true
		}
		tr := tally[row.RuleID]
		if tr == nil {
			tr = &ruleTally{}
			tally[row.RuleID] = tr
		}
		tr.pairs++
		total++
		if equalSets(got, want) {
			tr.agree++
			agree++
		} else {
			disagreements = append(disagreements, fmt.Sprintf("%s %s: cfn_nag %v, selfaudit %v", row.RuleID, filepath.Base(path), keys(want), keys(got)))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(tally))
	for id := range tally {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ruleOrder(ids[i]) < ruleOrder(ids[j]) })
	var b strings.Builder
	b.WriteString("| cfn_nag rule | our checks | labelled pairs | agree | disagree |\n|---|---|---|---|---|\n")
	for _, id := range ids {
		tr := tally[id]
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d |\n", id, strings.Join(cfnNagRules[id].checks, ", "), tr.pairs, tr.agree, tr.pairs-tr.agree)
	}
	fmt.Fprintf(&b, "| **all** | | %d | %d | %d |\n", total, agree, total-agree)
	if *printAgreement {
		fmt.Println(b.String())
		for _, d := range disagreements {
			fmt.Println("disagreement:", d)
		}
	}
	t.Logf("agreement %d/%d\n%s", agree, total, b.String())
	for _, d := range disagreements {
		t.Log("disagreement:", d)
	}
	if total == 0 || float64(agree)/float64(total) < minAgreement {
		t.Errorf("agreement %d/%d is below the pinned minimum %.2f", agree, total, minAgreement)
	}
}

func ruleOrder(id string) string {
	// F before W, then numerically.
	n := 0
	fmt.Sscanf(id[1:], "%d", &n)
	return fmt.Sprintf("%c%03d", id[0], n)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
