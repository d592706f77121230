package iampolicy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// accountPolicy is one policy of the example account with the kind it is
// judged as.
type accountPolicy struct {
	name    string
	kind    Kind
	tree    any    // the decoded document, or nil for an embedded managed policy
	managed string // the managed policy ARN when tree is nil
}

// exampleAccount loads cloudsplaining's example GetAccountAuthorizationDetails
// output (kept once, with its licence, in shared/iamscan/testdata) as the
// offline scan sees it: the default version of every managed policy in the
// file, every role's trust policy, inline policies and attached managed
// policies (from the file or else the embedded AWS managed policies), and
// the same for users and groups.
func exampleAccount(tb testing.TB) []accountPolicy {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "iamscan", "testdata", "cloudsplaining", "example-authz-details.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var d struct {
		UserDetailList []struct {
			UserName       string
			UserPolicyList []struct {
				PolicyName     string
				PolicyDocument any
			}
			AttachedManagedPolicies []struct{ PolicyArn string }
		}
		GroupDetailList []struct {
			GroupName       string
			GroupPolicyList []struct {
				PolicyName     string
				PolicyDocument any
			}
			AttachedManagedPolicies []struct{ PolicyArn string }
		}
		RoleDetailList []struct {
			RoleName                 string
			AssumeRolePolicyDocument any
			RolePolicyList           []struct {
				PolicyName     string
				PolicyDocument any
			}
			AttachedManagedPolicies []struct{ PolicyArn string }
		}
		Policies []struct {
			Arn               string
			DefaultVersionId  string
			PolicyVersionList []struct {
				Document  any
				VersionId string
			}
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		tb.Fatal(err)
	}
	managed := map[string]any{}
	for _, p := range d.Policies {
		for _, v := range p.PolicyVersionList {
			if v.VersionId == p.DefaultVersionId {
				managed[p.Arn] = v.Document
			}
		}
	}
	var out []accountPolicy
	// Every managed policy of the account once, as the live scan reviews
	// them, then each principal's own policies.
	for _, p := range d.Policies {
		if tree, ok := managed[p.Arn]; ok {
			out = append(out, accountPolicy{name: p.Arn, kind: Identity, tree: tree})
		}
	}
	attach := func(owner string, arns []struct{ PolicyArn string }) {
		for _, a := range arns {
			if tree, ok := managed[a.PolicyArn]; ok {
				out = append(out, accountPolicy{name: owner + " " + a.PolicyArn, kind: Identity, tree: tree})
			} else if _, ok := ManagedPolicy(a.PolicyArn); ok {
				out = append(out, accountPolicy{name: owner + " " + a.PolicyArn, kind: Identity, managed: a.PolicyArn})
			}
		}
	}
	for _, r := range d.RoleDetailList {
		out = append(out, accountPolicy{name: r.RoleName + " trust", kind: Trust, tree: r.AssumeRolePolicyDocument})
		for _, p := range r.RolePolicyList {
			out = append(out, accountPolicy{name: r.RoleName + " " + p.PolicyName, kind: Identity, tree: p.PolicyDocument})
		}
		attach(r.RoleName, r.AttachedManagedPolicies)
	}
	for _, u := range d.UserDetailList {
		for _, p := range u.UserPolicyList {
			out = append(out, accountPolicy{name: u.UserName + " " + p.PolicyName, kind: Identity, tree: p.PolicyDocument})
		}
		attach(u.UserName, u.AttachedManagedPolicies)
	}
	for _, g := range d.GroupDetailList {
		for _, p := range g.GroupPolicyList {
			out = append(out, accountPolicy{name: g.GroupName + " " + p.PolicyName, kind: Identity, tree: p.PolicyDocument})
		}
		attach(g.GroupName, g.AttachedManagedPolicies)
	}
	return out
}

// scanAccount parses and evaluates every policy once and returns the
// number of issues.
func scanAccount(tb testing.TB, ps []accountPolicy) int {
	n := 0
	for _, p := range ps {
		var doc *Document
		if p.tree == nil {
			doc, _ = ManagedPolicy(p.managed)
		} else {
			var err error
			if doc, err = FromValue(p.tree); err != nil {
				tb.Fatalf("%s: %v", p.name, err)
			}
		}
		n += len(Evaluate(doc, p.kind, Options{AccountID: "012345678901"}))
	}
	return n
}

// TestExampleAccountScan scans the whole example account and reports how
// long it took, loading the catalog and managed policies included when this
// test runs first. It is not parallel, so that its figure is its own.
func TestExampleAccountScan(t *testing.T) {
	ps := exampleAccount(t)
	if len(ps) < 40 {
		t.Fatalf("only %d policies in the example account", len(ps))
	}
	start := time.Now()
	n := scanAccount(t, ps)
	el := time.Since(start)
	t.Logf("%d policies, %d issues, %v", len(ps), n, el)
	if n == 0 {
		t.Error("no issues in an account with AdministratorAccess attached")
	}
	// The target is 50 ms on an idle machine (see the benchmarks); this
	// bound leaves room for a busy CI runner and still catches a regression
	// by two orders of magnitude. The race detector's slowdown has no bound
	// worth asserting.
	if !raceEnabled && el > 10*time.Second {
		t.Errorf("scan took %v", el)
	}
}

// BenchmarkEvaluateExampleAccount measures one offline scan of the whole
// example account: FromValue plus Evaluate for every policy.
func BenchmarkEvaluateExampleAccount(b *testing.B) {
	ps := exampleAccount(b)
	scanAccount(b, ps) // load the catalog outside the timing
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		scanAccount(b, ps)
	}
}

// BenchmarkEvaluateAdministratorAccess is the cheapest worst case: "*".
func BenchmarkEvaluateAdministratorAccess(b *testing.B) {
	doc, _ := ManagedPolicy("AdministratorAccess")
	Evaluate(doc, Identity, Options{})
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(doc, Identity, Options{})
	}
}

// BenchmarkEvaluateWildcards expands several patterns against the catalog.
func BenchmarkEvaluateWildcards(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "policies", "wildcards.json"))
	if err != nil {
		b.Fatal(err)
	}
	doc, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	Evaluate(doc, Identity, Options{})
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(doc, Identity, Options{})
	}
}

// BenchmarkCatalogLoad is the one-off cost a cold start pays on its first
// scan: inflating and indexing the embedded catalog.
func BenchmarkCatalogLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := loadCatalog(catalogGz); err != nil {
			b.Fatal(err)
		}
	}
}
