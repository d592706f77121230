package iamscan

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestTemplateAccountPrincipals: a literal account ID on a Lambda
// permission is LMB002 unless it is the stack's own account, given with
// FileScanner.Account; ${AWS::AccountId} in any spelling is always the
// stack's own. Without the account the evidence says it was unknown.
func TestTemplateAccountPrincipals(t *testing.T) {
	t.Parallel()
	const other, own = "210987654321", "123456789012"
	tests := []struct {
		file, account string
		want          string // "LMB002 account owner [when]", comma-separated; "" for none
	}{
		{file: "literal-id.yaml", want: "LMB002 210987654321 unknown"},
		{file: "literal-id.yaml", account: own, want: "LMB002 210987654321 123456789012"},
		{file: "literal-id.yaml", account: other},
		{file: "literal-arn.yaml", want: "LMB002 210987654321 unknown"},
		{file: "literal-arn.yaml", account: other},
		{file: "own-ref.yaml"},
		{file: "own-sub.yaml"},
		{file: "own-sub-arn.yaml"},
		{file: "own-sub-arn.yaml", account: own},
		{file: "conditional.yaml", want: "LMB002 210987654321 unknown [Shared]"},
		{file: "conditional.yaml", account: other},
		// A Lambda resource policy file is judged the same way.
		{file: "policy-file.json", want: "LMB002 210987654321 unknown"},
		{file: "policy-file.json", account: own, want: "LMB002 210987654321 123456789012"},
		{file: "policy-file.json", account: other},
		// SourceAccount names the bucket's owner, not a caller.
		{file: "service.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+tc.account, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "lmb002", tc.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s := scanner()
			s.Account = tc.account
			rep, err := s.ScanFile(path, data)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				if f.Check != "LMB002" {
					t.Errorf("unexpected %s: %v", f.Check, f.Evidence)
					continue
				}
				if err := f.Validate(); err != nil {
					t.Error(err)
				}
				g := f.Check + " " + f.Evidence["account"].(string) + " " + f.Evidence["ownerAccount"].(string)
				if w, ok := f.Evidence["when"].([]string); ok {
					g += " [" + strings.Join(w, " | ") + "]"
				}
				_, unknown := f.Evidence["ownerUnknown"]
				if unknown != (tc.account == "") {
					t.Errorf("ownerUnknown in evidence = %v with account %q", unknown, tc.account)
				}
				got = append(got, g)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != tc.want {
				t.Errorf("findings %q, want %q", strings.Join(got, ","), tc.want)
			}
		})
	}
}
