package iameval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The differential suite: every generated case is evaluated by Evaluate and
// by @cloud-copilot/iam-simulate (pinned in .ci/emulators/package-lock.json)
// through .ci/emulators/iam-simulate-driver.mjs, in one node process.

const (
	oracleSeed  = 20261202
	oracleCases = 6000
)

// repoRoot finds the module root from the package folder.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
}

// oracle runs the driver; it skips the test when node or the package is
// missing, unless SELFAUDIT_REQUIRE_EMULATORS=1. SELFAUDIT_EMULATORS_DIR
// overrides where the node_modules are (default .tools/emulators).
type oracle struct {
	root, dir string
}

func newOracle(t *testing.T) *oracle {
	t.Helper()
	root := repoRoot(t)
	dir := os.Getenv("SELFAUDIT_EMULATORS_DIR")
	if dir == "" {
		dir = filepath.Join(root, ".tools", "emulators")
	}
	missing := func(why string) *oracle {
		if os.Getenv("SELFAUDIT_REQUIRE_EMULATORS") == "1" {
			t.Fatalf("reference evaluator unavailable: %s (run .ci/tools.sh)", why)
		}
		t.Skipf("reference evaluator unavailable: %s (run .ci/tools.sh)", why)
		return nil
	}
	if _, err := exec.LookPath("node"); err != nil {
		return missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")); err != nil {
		return missing(dir + " has no @cloud-copilot/iam-simulate")
	}
	return &oracle{root: root, dir: dir}
}

type oracleAnswer struct {
	ID       int      `json:"id"`
	Decision Decision `json:"decision"`
	Error    string   `json:"error"`
}

// run sends every case and returns the answers by ID.
func (o *oracle) run(t *testing.T, cases []genCase) map[int]oracleAnswer {
	t.Helper()
	cmd := exec.Command("node", filepath.Join(o.root, ".ci", "emulators", "iam-simulate-driver.mjs"), o.dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(stdin)
		enc := json.NewEncoder(w)
		for _, c := range cases {
			if err := enc.Encode(c); err != nil {
				werr <- err
				return
			}
		}
		if err := w.Flush(); err != nil {
			werr <- err
			return
		}
		werr <- stdin.Close()
	}()
	out := make(map[int]oracleAnswer, len(cases))
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var a oracleAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("driver answer %q: %v", sc.Text(), err)
		}
		out[a.ID] = a
	}
	if err := <-werr; err != nil {
		t.Fatalf("writing cases: %v (stderr: %s)", err, stderr.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("driver: %v\n%s", err, stderr.String())
	}
	return out
}

// knownDifference names the documented difference that explains a
// disagreement (README.md, "Documented differences"), or "": the
// reference's answer is reproduced by switching on one of its quirks.
func knownDifference(req Request, set PolicySet, reference Decision) string {
	diffs := []struct {
		name string
		q    func(*quirks)
	}{
		{"a session policy caps a grant to the session", func(q *quirks) { q.sessionCapsAll = true }},
		{"a variable opening the resource name", func(q *quirks) { q.variableResourceType = true }},
		{"SCPs on a service principal", func(q *quirks) { q.scpOnServices = true }},
	}
	// Every combination, fewest differences first.
	for n := 1; n <= len(diffs); n++ {
		for mask := 1; mask < 1<<len(diffs); mask++ {
			if bits.OnesCount(uint(mask)) != n {
				continue
			}
			var q quirks
			var names []string
			for i, d := range diffs {
				if mask&(1<<i) != 0 {
					d.q(&q)
					names = append(names, d.name)
				}
			}
			if evaluate(req, set, q).Decision == reference {
				return strings.Join(names, " + ")
			}
		}
	}
	return ""
}

// features names what a case exercises, for the tally in README.md.
func features(c genCase) []string {
	b, _ := json.Marshal(c)
	js := string(b)
	var out []string
	for _, f := range []struct{ name, needle string }{
		{"NotAction", `"NotAction"`}, {"NotResource", `"NotResource"`}, {"NotPrincipal", `"NotPrincipal"`},
		{"action wildcard", `:*"`}, {"action ?", `:?`}, {"String operators", `"String`}, {"Numeric operators", `"Numeric`},
		{"Date operators", `"Date`}, {"Bool", `"Bool`}, {"BinaryEquals", `"BinaryEquals`}, {"IpAddress/NotIpAddress", `IpAddress`},
		{"Arn operators", `"Arn`}, {"...IfExists", `IfExists"`}, {"Null", `"Null"`}, {"ForAllValues", `"ForAllValues:`},
		{"ForAnyValue", `"ForAnyValue:`}, {"policy variables", `${aws:`}, {"variable default", `, '`}, {"${*} ${?}", `${*}`},
		{"explicit Deny", `"Deny"`},
	} {
		if strings.Contains(js, f.needle) || (f.name == "${*} ${?}" && strings.Contains(js, "${?}")) {
			out = append(out, f.name)
		}
	}
	if c.Request.Resource == "*" {
		out = append(out, "request on every resource")
	}
	if c.Res != nil {
		if c.Request.ResourceAccount == accountOf(c.Request.Principal) {
			out = append(out, "resource policy, same account")
		} else {
			out = append(out, "resource policy, cross-account or service")
		}
	}
	for _, x := range []struct {
		name string
		on   bool
	}{{"permissions boundary", c.Bound != nil}, {"session policy", c.Session != nil}, {"SCPs", len(c.SCPs) > 0}, {"RCPs", len(c.RCPs) > 0}} {
		if x.on {
			out = append(out, x.name)
		}
	}
	return out
}

func accountOf(principal string) string {
	p, _ := splitARN(principal)
	return p.account
}

func TestDifferentialAgainstIAMSimulate(t *testing.T) {
	o := newOracle(t)
	n := oracleCases
	if testing.Short() {
		n = 1000
	}
	seed := uint64(oracleSeed)
	if v := os.Getenv("SELFAUDIT_IAMEVAL_SEED"); v != "" {
		// Another seed explores other cases; the committed figures are
		// those of oracleSeed.
		if _, err := fmt.Sscan(v, &seed); err != nil {
			t.Fatalf("SELFAUDIT_IAMEVAL_SEED: %v", err)
		}
	}
	cases := make([]genCase, n)
	for i := range cases {
		cases[i] = newCase(seed, i)
	}
	answers := o.run(t, cases)
	counts := map[string]int{}
	var disagree []string
	for _, c := range cases {
		req, set, err := c.policySet()
		if err != nil {
			t.Fatalf("case %d: generated an invalid policy: %v", c.ID, err)
		}
		a, ok := answers[c.ID]
		if !ok || a.Error != "" {
			t.Fatalf("case %d: the reference failed: %s", c.ID, a.Error)
		}
		ours := Evaluate(req, set)
		counts[ours.Decision.String()]++
		for _, f := range features(c) {
			counts["feature: "+f]++
		}
		if ours.Decision == a.Decision {
			continue
		}
		if why := knownDifference(req, set, a.Decision); why != "" {
			counts["documented difference: "+why]++
			continue
		}
		b, _ := json.Marshal(c)
		disagree = append(disagree, fmt.Sprintf("case %d: ours %s (%s), reference %s\n%s", c.ID, ours.Decision, ours.Reason, a.Decision, b))
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%s: %d", k, counts[k])
	}
	if len(disagree) > 0 {
		for i, d := range disagree {
			if i == 10 {
				break
			}
			t.Error(d)
		}
		t.Fatalf("%d of %d cases disagree with the reference", len(disagree), n)
	}
}

// documentedDifferences are the cases where this engine follows AWS's
// documentation and the reference does not (README.md, "Documented
// differences"). Each runs through Evaluate always, and through the
// reference when it is installed, which must still give its own answer:
// if it no longer does, the difference is gone and README.md is out of
// date.
var documentedDifferences = []struct {
	name            string
	c               genCase
	ours, reference Decision
}{
	{
		// access_policies.html#policies_session: "the permissions from
		// the resource-based policy are added after the session is
		// created. The session policy permissions don't limit them."
		name: "a resource policy naming the session is not capped by the session policy",
		c: genCase{
			Request: genRequest{Principal: sessionA, Action: "sqs:SendMessage", Resource: queueA, ResourceAccount: "111111111111"},
			Res:     json.RawMessage(stmt(`{"Effect":"Allow","Principal":{"AWS":"` + sessionA + `"},"Action":"sqs:*","Resource":"*"}`)),
			Session: json.RawMessage(stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)),
		},
		ours: Allowed, reference: ImplicitlyDenied,
	},
	{
		// reference_policies_variables.html: a variable in the resource
		// part is replaced by its value before matching, so it may stand
		// for the whole name of a queue or topic.
		name: "a policy variable may open the resource name",
		c: genCase{
			Request: genRequest{Principal: roleA, Action: "sqs:SendMessage", Resource: queueA, ResourceAccount: "111111111111",
				Context: map[string][]string{"aws:PrincipalTag/queue": {"orders"}}},
			Ident: []namedDoc{{"identity", json.RawMessage(stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:*:${aws:PrincipalTag/queue}"}`))}},
		},
		ours: Allowed, reference: ImplicitlyDenied,
	},
	{
		// orgs_manage_policies_scps.html: SCPs restrict the IAM users and
		// roles of member accounts; a service principal acting on a
		// resource through its resource policy is not one of them.
		name: "SCPs do not restrict a service principal",
		c: genCase{
			Request: genRequest{Principal: "sns.amazonaws.com", Action: "sqs:SendMessage", Resource: queueA, ResourceAccount: "111111111111"},
			Res:     json.RawMessage(stmt(`{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"}`)),
			SCPs:    [][]namedDoc{{{"scp", json.RawMessage(stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`))}}},
		},
		ours: Allowed, reference: ImplicitlyDenied,
	},
	{
		// reference_policies_elements_condition_operators.html, "IP
		// address condition operators": values are CIDR blocks (RFC
		// 4632), and 0.0.0.0/0 holds every IPv4 address. The reference
		// shifts a 32-bit mask by 32, which JavaScript reads as 0, and so
		// compares whole addresses.
		name: "IpAddress 0.0.0.0/0 holds every IPv4 address",
		c: genCase{
			Request: genRequest{Principal: roleA, Action: "sqs:SendMessage", Resource: queueA, ResourceAccount: "111111111111",
				Context: map[string][]string{"aws:SourceIp": {"10.1.2.3"}}},
			Ident: []namedDoc{{"identity", json.RawMessage(stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}`))}},
		},
		ours: Allowed, reference: ImplicitlyDenied,
	},
	{
		// reference_policies_elements_condition_operators.html, "Date
		// condition operators": a value is an ISO 8601 date or an epoch
		// time in seconds, and the two forms compare as the instants they
		// name. The reference compares epoch seconds with ISO dates in
		// milliseconds.
		name: "epoch seconds and ISO 8601 dates compare as instants",
		c: genCase{
			Request: genRequest{Principal: roleA, Action: "sqs:SendMessage", Resource: queueA, ResourceAccount: "111111111111",
				Context: map[string][]string{"aws:EpochTime": {"1780315200"}}},
			Ident: []namedDoc{{"identity", json.RawMessage(stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:EpochTime":"2025-01-01T00:00:00Z"}}}`))}},
		},
		ours: Allowed, reference: ImplicitlyDenied,
	},
}

func TestDocumentedDifferences(t *testing.T) {
	cases := make([]genCase, len(documentedDifferences))
	for i, d := range documentedDifferences {
		c := d.c
		c.ID = i
		cases[i] = c
		req, set, err := c.policySet()
		if err != nil {
			t.Fatal(err)
		}
		if got := Evaluate(req, set).Decision; got != d.ours {
			t.Errorf("%s: ours %s, want %s", d.name, got, d.ours)
		}
	}
	o := newOracle(t)
	answers := o.run(t, cases)
	for i, d := range documentedDifferences {
		if a := answers[i]; a.Error != "" || a.Decision != d.reference {
			t.Errorf("%s: the reference now says %s %s (was %s): update README.md", d.name, a.Decision, a.Error, d.reference)
		}
	}
}
