package htmlreport

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"html/template"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/checks"
	// The engines register the checks of the fixture's findings.
	_ "github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/findings"
	_ "github.com/selfaudit/selfaudit/shared/iampolicy"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixture reads testdata/findings.json: the findings of `selfaudit audit`
// and of a scan of the command line's wildcard template, with statuses,
// history and a suppression (testdata/README.md).
func fixture(t testing.TB) []findings.Tracked {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ts []findings.Tracked
	if err := json.Unmarshal(b, &ts); err != nil {
		t.Fatalf("testdata/findings.json: %v", err)
	}
	return ts
}

var generated = time.Date(2026, 11, 20, 10, 5, 0, 0, time.UTC)

func fixtureReport(t testing.TB) Report {
	return Report{
		Title: "selfaudit report: 111122223333", Generated: generated, Findings: fixture(t),
		Notes: []string{"suppression IAM006 (selfaudit.yaml:9) matched no finding", "CT009 was skipped: no baseline table"},
	}
}

// fixedLookup documents two checks in fixed words, so that the golden page
// changes only when the writer does, not when the registry is reworded.
func fixedLookup(id string) (checks.Check, bool) {
	switch id {
	case "IAM001":
		return checks.Check{ID: id, Title: "Policy allows every action on every resource",
			Description: "An Allow statement with Action * and Resource * grants administrator access.",
			Remediation: "List the actions and resources the role needs.",
			References: checks.References{Docs: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html"},
				SecurityHub: []string{"IAM.1"}}}, true
	case "CT003":
		return checks.Check{ID: id, Title: "Lambda permission added for principal *",
			Description: "A resource policy statement lets anyone invoke the function.",
			References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html"}}}, true
	}
	return checks.Check{}, false
}

func render(t testing.TB, r Report, lookup lookupFunc) string {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, r, lookup); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestGolden pins the whole page for the fixture. Run with -update after
// a deliberate change and read the diff.
func TestGolden(t *testing.T) {
	t.Parallel()
	got := render(t, fixtureReport(t), fixedLookup)
	path := filepath.Join("testdata", "report.golden.html")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("page differs from %s (run go test -run TestGolden -update and read the diff)", path)
	}
}

// TestDeterministic: the order findings arrive in does not change a byte.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	r := fixtureReport(t)
	want := render(t, r, checks.Lookup)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		r.Findings = slices.Clone(r.Findings)
		rng.Shuffle(len(r.Findings), func(i, j int) { r.Findings[i], r.Findings[j] = r.Findings[j], r.Findings[i] })
		if got := render(t, r, checks.Lookup); got != want {
			t.Fatal("a shuffled input gave another page")
		}
	}
}

// TestCounts reads the figures off the page: per severity, per status, the
// chart's bars and the rows.
func TestCounts(t *testing.T) {
	t.Parallel()
	page := render(t, fixtureReport(t), checks.Lookup)
	for _, want := range []string{
		`<tr data-severity="CRITICAL"><th scope="row"><span class="badge sev-critical">CRITICAL</span></th><td class="n">4</td></tr>`,
		`<tr data-severity="HIGH"><th scope="row"><span class="badge sev-high">HIGH</span></th><td class="n">4</td></tr>`,
		`<tr data-severity="MEDIUM"><th scope="row"><span class="badge sev-medium">MEDIUM</span></th><td class="n">4</td></tr>`,
		`<tr data-severity="LOW"><th scope="row"><span class="badge sev-low">LOW</span></th><td class="n">1</td></tr>`,
		`<tr data-severity="INFO"><th scope="row"><span class="badge sev-info">INFO</span></th><td class="n">0</td></tr>`,
		`<tr data-status="NEW"><th scope="row"><span class="status st-new">NEW</span></th><td class="n">4</td></tr>`,
		`<tr data-status="OPEN"><th scope="row"><span class="status st-open">OPEN</span></th><td class="n">5</td></tr>`,
		`<tr data-status="REOPENED"><th scope="row"><span class="status st-reopened">REOPENED</span></th><td class="n">1</td></tr>`,
		`<tr data-status="SUPPRESSED"><th scope="row"><span class="status st-suppressed">SUPPRESSED</span></th><td class="n">1</td></tr>`,
		`<tr data-status="BASELINE"><th scope="row"><span class="status st-baseline">BASELINE</span></th><td class="n">1</td></tr>`,
		`<tr data-status="RESOLVED"><th scope="row"><span class="status st-resolved">RESOLVED</span></th><td class="n">1</td></tr>`,
		// CT007 has one HIGH and one LOW finding: two segments, total 2.
		`<desc id="chart-desc">Findings per check: CT002: 2 (2 MEDIUM); CT007: 2 (1 HIGH, 1 LOW); CT011: 2 (2 HIGH); CT001: 1 (1 HIGH);`,
		`<dt>Reason</dt><dd>SEC-42: vendor integration, until the Q2 migration</dd>`,
		`<time datetime="2027-03-31">2027-03-31</time>`,
		`<dt>Previous severity</dt><dd>MEDIUM</dd>`,
		`<li>CT009 was skipped: no baseline table</li>`,
		`13 findings &middot; generated <time datetime="2026-11-20T10:05:00Z">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if n := strings.Count(page, `<tbody class="finding"`); n != 13 {
		t.Errorf("%d finding rows, want 13", n)
	}
	if n := strings.Count(page, `<rect class="bar`); n != 11 {
		t.Errorf("%d bar segments, want 11 (10 checks, CT007 split in two)", n)
	}
}

// TestRegistryDocumentsTheCheck: with the engines linked, each finding
// shows its check's title, description and AWS documentation link.
func TestRegistryDocumentsTheCheck(t *testing.T) {
	t.Parallel()
	page := render(t, fixtureReport(t), checks.Lookup)
	for _, id := range []string{"IAM001", "CT003", "CT008"} {
		c, ok := checks.Lookup(id)
		if !ok {
			t.Fatalf("%s is not registered", id)
		}
		esc := template.HTMLEscapeString(c.Title)
		if !strings.Contains(page, "<h3>Check "+id+": "+esc+"</h3>") {
			t.Errorf("page lacks the registry's title of %s: %q", id, esc)
		}
		if !strings.Contains(page, `href="`+c.HelpURI()+`"`) {
			t.Errorf("page lacks %s's documentation link %s", id, c.HelpURI())
		}
	}
}

// xss are strings an attacker can put in a CloudTrail event (a role
// session name, a user agent, a statement ID) and so in a finding.
var xss = []string{
	`<script>window.__xss=1</script>`,
	`"><img src=x onerror="window.__xss=1">`,
	`'><svg onload=window.__xss=1>`,
	`</textarea></title></style></script><script>window.__xss=1</script>`,
	`javascript:window.__xss=1`,
	`<a href="javascript:window.__xss=1">x</a>`,
	"\u003cscript\u003ewindow.__xss=1\u003c/script\u003e",
	`]]><!--<script>window.__xss=1</script>-->`,
}

// hostile is one finding with attacker-controlled text in every field a
// person reads, and a suppression and note that quote it.
func hostile(payload string) findings.Tracked {
	return findings.Tracked{
		Finding: findings.Finding{
			ID: findings.StableID("CT003", payload, payload), Check: "CT003", Severity: findings.Critical,
			Title: "Lambda permission added for principal " + payload, Resource: "arn:aws:lambda:eu-west-1:111122223333:function:" + payload,
			Evidence: map[string]any{
				"statementId": payload, payload: "key", "userAgent": []any{payload, 1.5},
				"request": map[string]any{"principal": payload, "nested": []any{map[string]any{payload: payload}}},
			},
			Remediation: payload, Source: payload, ObservedAt: generated,
		},
		Status:      findings.StatusSuppressed,
		Suppression: &findings.Suppression{Reason: payload, Expires: payload, Source: payload},
	}
}

func hostileReport(payloads ...string) Report {
	r := Report{Title: payloads[0], Generated: generated, Notes: payloads}
	for _, p := range payloads {
		r.Findings = append(r.Findings, hostile(p))
	}
	return r
}

// assertInert checks what the browser test checks by running the page: no
// payload survives as markup. Escaped text holds no '<', so once the
// page's own style sheet and script are cut out, every '<' left opens an
// element the template wrote: each must be one the template uses, with no
// event handler attribute and no script URL.
func assertInert(t *testing.T, page string, payloads []string) {
	t.Helper()
	lower := strings.ToLower(page)
	if n := strings.Count(lower, "<script"); n != 1 {
		t.Errorf("%d <script elements, want 1 (the page's own)", n)
	}
	if n := strings.Count(lower, "<style"); n != 1 {
		t.Errorf("%d <style elements, want 1 (the page's own)", n)
	}
	body := ownAssets.ReplaceAllString(page, "")
	for _, m := range tagPattern.FindAllStringSubmatch(body, -1) {
		if !allowedTags[strings.ToLower(m[1])] {
			t.Errorf("page has a <%s> element: %.80s", m[1], m[0])
		}
		for _, a := range attrPattern.FindAllStringSubmatch(m[2], -1) {
			name, value := strings.ToLower(a[1]), strings.ToLower(strings.TrimSpace(a[2]))
			if strings.HasPrefix(name, "on") || name == "style" || name == "srcdoc" || name == "src" {
				t.Errorf("element <%s> has attribute %s: %.80s", m[1], name, m[0])
			}
			if (name == "href" || name == "xlink:href" || name == "action") && !strings.HasPrefix(value, "https://") {
				t.Errorf("element <%s> links to %q", m[1], value)
			}
		}
	}
	for _, p := range payloads {
		if strings.ContainsAny(p, "<>") && strings.Contains(page, p) {
			t.Errorf("payload %q appears unescaped", p)
		}
	}
}

var (
	ownAssets   = regexp.MustCompile(`(?s)<style>.*?</style>|<script>.*?</script>`)
	tagPattern  = regexp.MustCompile(`<([a-zA-Z][^\s/>]*)([^>]*)>`)
	attrPattern = regexp.MustCompile(`\s([^\s="'>/]+)(?:="([^"]*)")?`)
	allowedTags = map[string]bool{}
)

func init() {
	for _, tag := range strings.Fields(`html head meta title body header main footer section h1 h2 h3 p div span time
		table caption thead tbody tr th td button form label select option input details summary dl dt dd ul li
		code pre a svg desc g text rect`) {
		allowedTags[tag] = true
	}
}

func TestEscapesAttackerStrings(t *testing.T) {
	t.Parallel()
	page := render(t, hostileReport(xss...), checks.Lookup)
	assertInert(t, page, xss)
	if !strings.Contains(page, "&lt;script&gt;window.__xss=1&lt;/script&gt;") {
		t.Error("the script payload is not shown as text")
	}
}

// TestPolicyNamesThePageAssets: the policy allows the page's own style
// sheet and script by hash, and nothing else; a change to either that
// forgot the hash would leave the page unstyled and unsorted.
func TestPolicyNamesThePageAssets(t *testing.T) {
	t.Parallel()
	page := render(t, fixtureReport(t), checks.Lookup)
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(page)
	if csp == nil {
		t.Fatal("no Content-Security-Policy meta element")
	}
	policy := html.UnescapeString(csp[1])
	for _, el := range []struct{ name, directive string }{{"style", "style-src"}, {"script", "script-src"}} {
		m := regexp.MustCompile(`(?s)<` + el.name + `>(.*?)</` + el.name + `>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no <%s> element", el.name)
		}
		sum := sha256.Sum256([]byte(m[1]))
		want := el.directive + " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"
		if !strings.Contains(policy, want) {
			t.Errorf("policy %q lacks %q", policy, want)
		}
	}
	for _, want := range []string{"default-src 'none'", "connect-src 'none'", "img-src 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(policy, want) {
			t.Errorf("policy %q lacks %q", policy, want)
		}
	}
	if strings.Contains(policy, "unsafe") {
		t.Errorf("policy %q allows unsafe inline content", policy)
	}
	// A style attribute would be refused by the policy.
	if strings.Contains(page, " style=") {
		t.Error("page uses a style attribute, which the policy refuses")
	}
}

func TestZeroFindings(t *testing.T) {
	t.Parallel()
	for _, r := range []Report{{}, {Findings: []findings.Tracked{}, Generated: generated}} {
		page := render(t, r, checks.Lookup)
		for _, want := range []string{"<title>selfaudit report</title>", "0 findings", "No findings to chart.", "<td colspan=\"6\">No findings.</td>", "0 of 0 findings shown."} {
			if !strings.Contains(page, want) {
				t.Errorf("empty report lacks %s", want)
			}
		}
		if strings.Contains(page, "<svg") || strings.Contains(page, "<h2 id=\"h-notes\">") {
			t.Error("empty report has a chart or notes")
		}
	}
}

func TestRefusesWhatItCannotCount(t *testing.T) {
	t.Parallel()
	good := fixture(t)[0]
	tests := map[string]struct {
		mutate  func(*findings.Tracked)
		wantErr string
	}{
		"no severity":      {func(f *findings.Tracked) { f.Severity = 0 }, "invalid severity 0"},
		"severity too big": {func(f *findings.Tracked) { f.Severity = 9 }, "invalid severity 9"},
		"unknown status":   {func(f *findings.Tracked) { f.Status = "open" }, `unknown status "open"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := good
			tc.mutate(&f)
			var buf bytes.Buffer
			err := Write(&buf, Report{Findings: []findings.Tracked{good, f}})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), f.ID) {
				t.Fatalf("err = %v, want one naming %s and %q", err, f.ID, tc.wantErr)
			}
			if buf.Len() != 0 {
				t.Error("a refused report wrote part of a page")
			}
		})
	}
}

// TestEmptyStatusIsNew: a finding from a run without a store has no
// status; the page counts it as NEW, as the bus would announce it.
func TestEmptyStatusIsNew(t *testing.T) {
	t.Parallel()
	f := fixture(t)[0]
	f.Status = ""
	page := render(t, Report{Findings: []findings.Tracked{f}}, checks.Lookup)
	if !strings.Contains(page, `<tr data-status="NEW"><th scope="row"><span class="status st-new">NEW</span></th><td class="n">1</td></tr>`) {
		t.Error("a finding without status is not counted NEW")
	}
}

func TestEvidenceIsReadable(t *testing.T) {
	t.Parallel()
	type statement struct {
		Effect string
		Action []string
	}
	got := renderEvidence(map[string]any{
		"occurrences": 3, "ratio": 0.25, "big": float64(21788), "ok": true, "none": nil, "empty": []string{},
		"sampleEventIDs": []string{"b", "a"},
		"statement":      statement{Effect: "Allow", Action: []string{"*"}},
		"mixed":          []any{"x", map[string]any{"k": 1}},
		"bad":            map[string]any{"c": make(chan int)},
	})
	want := []evidence{
		{Key: "bad", Text: "map[c:" + got[0].Text[len("map[c:"):]},
		{Key: "big", Text: "21788"},
		{Key: "empty", Text: "(none)"},
		{Key: "mixed", Block: "[\n  \"x\",\n  {\n    \"k\": 1\n  }\n]"},
		{Key: "none", Text: "null"},
		{Key: "occurrences", Text: "3"},
		{Key: "ok", Text: "true"},
		{Key: "ratio", Text: "0.25"},
		{Key: "sampleEventIDs", List: []string{"b", "a"}},
		{Key: "statement", Block: "{\n  \"Action\": [\n    \"*\"\n  ],\n  \"Effect\": \"Allow\"\n}"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].Key != want[i].Key || got[i].Text != want[i].Text || got[i].Block != want[i].Block || !slices.Equal(got[i].List, want[i].List) {
			t.Errorf("item %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestLocation: a finding about a file says where in it.
func TestLocation(t *testing.T) {
	t.Parallel()
	f := fixture(t)[0]
	f.Location = &findings.Location{File: "template.yaml", Line: 42}
	page := render(t, Report{Findings: []findings.Tracked{f}}, checks.Lookup)
	if !strings.Contains(page, "<dt>Location</dt><dd>template.yaml:42</dd>") {
		t.Error("page lacks the finding's file and line")
	}
}

// BenchmarkWrite writes a page of 1,000 findings, the fixture's thirteen
// repeated on as many resources.
func BenchmarkWrite(b *testing.B) {
	base := fixture(b)
	r := Report{Title: "bench", Generated: generated}
	for i := range 1000 {
		f := base[i%len(base)]
		f.Resource = fmt.Sprintf("%s-%d", f.Resource, i)
		f.ID = findings.StableID(f.Check, f.Resource, "")
		r.Findings = append(r.Findings, f)
	}
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, r); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// FuzzWrite: whatever text a finding carries, Write succeeds, never panics
// and lets no markup through.
func FuzzWrite(f *testing.F) {
	for _, p := range xss {
		f.Add(p, p)
	}
	f.Add("", "")
	f.Add("\x00\xff", "\u2028")
	f.Fuzz(func(t *testing.T, a, b string) {
		r := hostileReport(a, b)
		r.Findings[1].Check = b
		var buf bytes.Buffer
		if err := Write(&buf, r); err != nil {
			t.Fatal(err)
		}
		assertInert(t, buf.String(), []string{a, b})
	})
}
