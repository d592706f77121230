package suppress

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/shared/cfntemplate"
)

// FuzzParse feeds the parser arbitrary documents: it must return rules or
// an *Error whose message is one line, never panic, and every rule it
// returns must have a check and a reason.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/malformed/*.yaml")
	seeds = append(seeds, "testdata/selfaudit.yaml")
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("suppressions: &a [*a]\n"))
	f.Add([]byte("suppressions:\n  - &r {check: IAM006, reason: r}\n  - *r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := Parse("f.yaml", data, testChecks)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("error %v is not an *Error with problems", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is more than one line: %q", err)
			}
			return
		}
		for _, r := range rules {
			if r.Check == "" || r.Reason == "" || r.Resource == "" || !strings.HasPrefix(r.Source, "f.yaml:") {
				t.Fatalf("incomplete rule %+v", r)
			}
		}
	})
}

// FuzzFromTemplate feeds template metadata arbitrary content: rules or an
// *Error of one line, never a panic.
func FuzzFromTemplate(f *testing.F) {
	data, err := os.ReadFile("testdata/template.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Metadata:\n      selfaudit: {suppress: [{check: IAM006}]}\n"))
	f.Add([]byte("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Metadata:\n      cfn_nag: {rules_to_suppress: [{id: W11, reason: r}, 3]}\n      checkov: [1]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := cfntemplate.Load("t.yaml", data)
		if err != nil {
			return
		}
		rules, err := FromTemplate("t.yaml", tf, testChecks)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q", err)
			}
			return
		}
		for _, r := range rules {
			if r.Check == "" || r.Reason == "" || r.LogicalID == "" || r.Template != "t.yaml" {
				t.Fatalf("incomplete rule %+v", r)
			}
		}
	})
}
