package iameval

import (
	"bufio"
	"encoding/json"
	"fmt"
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
// disagreement, or "".
func knownDifference(req Request, set PolicySet, ours Decision) string {
	// The reference does not let a resource policy that names the session
	// escape the session policy (README.md, difference 1).
	if set.Session != nil && ours == Allowed {
		e := newEvaluator(req, set.Boundary != nil)
		if !e.analyze([]Policy{*set.Session}, kindSession).allowed() {
			return "session-named resource grant"
		}
	}
	return ""
}

func TestDifferentialAgainstIAMSimulate(t *testing.T) {
	o := newOracle(t)
	n := oracleCases
	if testing.Short() {
		n = 1000
	}
	cases := make([]genCase, n)
	for i := range cases {
		cases[i] = newCase(oracleSeed, i)
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
		if ours.Decision == a.Decision {
			continue
		}
		if why := knownDifference(req, set, ours.Decision); why != "" {
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
