package htmlreport

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// chromium finds Debian's Chromium (package chromium), or the binary
// SELFAUDIT_CHROMIUM names. Without it the browser tests skip, unless
// SELFAUDIT_REQUIRE_BROWSER=1 (.ci/run sets it after installing the
// package), which makes its absence a failure.
func chromium(t *testing.T) string {
	t.Helper()
	candidates := []string{"chromium", "/usr/bin/chromium"}
	if name := os.Getenv("SELFAUDIT_CHROMIUM"); name != "" {
		candidates = []string{name}
	}
	for _, name := range candidates {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	msg := fmt.Sprintf("Chromium not found as %s (apt-get install chromium, or set SELFAUDIT_CHROMIUM to a Chromium binary): the HTML report is not tested in a browser",
		strings.Join(candidates, " or "))
	if os.Getenv("SELFAUDIT_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + ", and SELFAUDIT_REQUIRE_BROWSER=1")
	}
	t.Skip(msg)
	return ""
}

// browser is one headless Chromium with a fresh profile, started with the
// flags that keep it from reaching for any network of its own (updates,
// sync, QUIC probes), so that every request it reports is the page's.
type browser struct {
	ctx context.Context

	mu       sync.Mutex
	requests []string // every URL the page asked for, as the browser saw it
	problems []string // exceptions, console errors and warnings, policy violations
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(acancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	b := &browser{ctx: ctx}

	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	t.Logf("%s started in %v", path, time.Since(start).Round(time.Millisecond))

	// Every request is recorded as the browser announces it...
	if err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok {
			b.mu.Lock()
			b.requests = append(b.requests, ev.Request.URL)
			b.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	// ...and stops first at the Fetch domain: the page's own file goes on,
	// anything else is refused, so that nothing leaves the machine even
	// when a test is wrong.
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	messages := chromedp.Console(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for ev, err := range paused {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.requests = append(b.requests, ev.Request.URL)
			b.mu.Unlock()
			if strings.HasPrefix(ev.Request.URL, "file://") {
				_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			} else {
				_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
			}
		}
	}()
	go func() {
		defer wg.Done()
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				b.mu.Lock()
				b.problems = append(b.problems, fmt.Sprintf("%s (%s): %s", m.Type, m.Source, m.Text))
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })

	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}})
		return err
	})); err != nil {
		t.Fatalf("enabling the network, log, runtime and fetch domains: %v", err)
	}
	return b
}

// open writes page into a fresh directory and loads it as a file, as a
// reader double-clicking it would, and returns its URL.
func (b *browser) open(t *testing.T, page string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + path
	if err := b.do(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	return url
}

// do runs steps with a time limit, so that a page that never answers
// fails the test rather than hanging it.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

func (b *browser) run(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := b.do(steps...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates js in the page and decodes its value.
func eval[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// settle waits for stray events (a late request, a console error) to be
// delivered before the test reads what was recorded.
func (b *browser) settle(t *testing.T) (requests, problems []string) {
	t.Helper()
	b.run(t, chromedp.Sleep(300*time.Millisecond))
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.requests), slices.Clone(b.problems)
}

// visible lists the check IDs of the finding rows a reader sees, top to
// bottom.
const visibleJS = `Array.from(document.querySelectorAll('#findings tbody.finding'))
	.filter(b => !b.hidden && b.getClientRects().length > 0)
	.map(b => b.querySelector('td.check').innerText + ' ' + b.dataset.severity + ' ' + b.dataset.statusName)`

func (b *browser) visible(t *testing.T) []string {
	t.Helper()
	return eval[[]string](t, b, visibleJS)
}

// setSelect chooses a value in a filter's select element as a reader's
// choice would, with the change event the page listens to.
func setSelect(id, value string) string {
	return fmt.Sprintf(`(() => { const el = document.getElementById(%q); el.value = %q; el.dispatchEvent(new Event('change')); return true })()`, id, value)
}

// erase deletes typed text with the Backspace key, as a reader would.
func erase(sel, typed string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), strings.Repeat(kb.Backspace, len(typed)))
}

// TestInBrowser renders the fixture's page in Chromium and uses it as a
// reader would: reads the counts and the chart, sorts by a column, filters,
// opens a finding; and the page asks for nothing but itself.
func TestInBrowser(t *testing.T) {
	b := newBrowser(t)
	var page bytes.Buffer
	r := fixtureReport(t)
	if err := Write(&page, r); err != nil {
		t.Fatal(err)
	}
	url := b.open(t, page.String())

	// The script ran (it shows the filters), which the policy allows
	// only if the script's hash is right.
	b.run(t, chromedp.WaitVisible(chromedp.CSS("#filters")))

	counts := eval[map[string]string](t, b, `Object.fromEntries(Array.from(document.querySelectorAll('#by-severity tbody tr, #by-status tbody tr'))
		.map(r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()]))`)
	want := map[string]string{"CRITICAL": "4", "HIGH": "4", "MEDIUM": "4", "LOW": "1", "INFO": "0",
		"NEW": "4", "OPEN": "5", "REOPENED": "1", "SUPPRESSED": "1", "BASELINE": "1", "RESOLVED": "1"}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("rendered count %s = %q, want %q (all: %v)", k, counts[k], v, counts)
		}
	}

	text := eval[string](t, b, `document.body.innerText`)
	for _, s := range []string{"selfaudit report: 111122223333", "13 findings", "Lambda permission added for principal *",
		"Policy allows every action on every resource", "13 of 13 findings shown.", "CT009 was skipped: no baseline table"} {
		if !strings.Contains(text, s) {
			t.Errorf("rendered page lacks %q", s)
		}
	}

	// The chart: one bar segment per check and severity, each drawn
	// with a width, the CT002 bar (two findings) twice as long as CT001's.
	type drawn struct {
		Check    string  `json:"check"`
		Severity string  `json:"severity"`
		Width    float64 `json:"width"`
	}
	bars := eval[[]drawn](t, b, `Array.from(document.querySelectorAll('#chart rect.bar')).map(r => ({
		check: r.parentNode.dataset.check, severity: r.dataset.severity, width: r.getBoundingClientRect().width}))`)
	if len(bars) != 11 {
		t.Fatalf("%d bars drawn, want 11: %+v", len(bars), bars)
	}
	widths := map[string]float64{}
	for _, bar := range bars {
		if bar.Width <= 0 {
			t.Errorf("bar %+v has no width", bar)
		}
		widths[bar.Check] += bar.Width
	}
	if w1, w2 := widths["CT001"], widths["CT002"]; w2 < 1.9*w1 || w2 > 2.1*w1 {
		t.Errorf("CT002's bar is %.1f px, CT001's %.1f px; want twice as long", w2, w1)
	}

	// The style sheet applied (so its hash is right): a CRITICAL badge is
	// dark red, and says CRITICAL in words too.
	if bg := eval[string](t, b, `getComputedStyle(document.querySelector('#findings .badge.sev-critical')).backgroundColor`); bg != "rgb(139, 10, 26)" {
		t.Errorf("CRITICAL badge background = %s, want rgb(139, 10, 26): the style sheet did not apply", bg)
	}

	// Sort: the writer's order is by severity; a click on "Check" sorts
	// by check ID, a second click reverses it, and aria-sort follows.
	rows := b.visible(t)
	if len(rows) != 13 || !strings.Contains(rows[0], " CRITICAL ") || !strings.Contains(rows[12], " LOW ") {
		t.Fatalf("initial rows = %v", rows)
	}
	b.run(t, chromedp.Click(chromedp.CSS(`th[data-key="check"] button`)))
	sorted := b.visible(t)
	if !slices.IsSortedFunc(sorted, func(a, b string) int { return strings.Compare(strings.Fields(a)[0], strings.Fields(b)[0]) }) ||
		!strings.HasPrefix(sorted[0], "CT001 ") || !strings.HasPrefix(sorted[12], "IAM001 ") {
		t.Errorf("after a click on Check, rows = %v", sorted)
	}
	if slices.Equal(sorted, rows) {
		t.Error("a click on Check did not change the order")
	}
	ariaSort := func() map[string]string {
		return eval[map[string]string](t, b, `Object.fromEntries(Array.from(document.querySelectorAll('#findings thead th'))
			.map(h => [h.dataset.key, h.getAttribute('aria-sort') || '']))`)
	}
	if m := ariaSort(); m["check"] != "ascending" || m["sev"] != "" {
		t.Errorf("aria-sort after one click = %v", m)
	}
	b.run(t, chromedp.Click(chromedp.CSS(`th[data-key="check"] button`)))
	if rev := b.visible(t); !strings.HasPrefix(rev[0], "IAM001 ") || !strings.HasPrefix(rev[12], "CT001 ") {
		t.Errorf("after a second click on Check, rows = %v", rev)
	}
	if m := ariaSort(); m["check"] != "descending" {
		t.Errorf("aria-sort after two clicks = %v", m)
	}
	b.run(t, chromedp.Click(chromedp.CSS(`th[data-key="sev"] button`)))
	bySev := b.visible(t)
	for i := 1; i < len(bySev); i++ {
		if sevRank(bySev[i]) > sevRank(bySev[i-1]) {
			t.Errorf("after a click on Severity, %q comes after %q", bySev[i], bySev[i-1])
		}
	}

	// Filter: typing a check ID leaves its one finding; the count says so.
	b.run(t, chromedp.SendKeys(chromedp.CSS("#f-text"), "ct004"))
	if got := b.visible(t); len(got) != 1 || !strings.HasPrefix(got[0], "CT004 ") {
		t.Errorf("after typing ct004, rows = %v", got)
	}
	if shown := eval[string](t, b, `document.getElementById('shown').innerText`); shown != "1 of 13 findings shown." {
		t.Errorf("shown = %q", shown)
	}
	// Text in the evidence is searched too: the source IP of one event.
	b.run(t, erase("#f-text", "ct004"), chromedp.SendKeys(chromedp.CSS("#f-text"), "198.51.100.23"))
	if got := b.visible(t); len(got) == 0 || len(got) == 13 {
		t.Errorf("after typing an IP address from the evidence, rows = %v", got)
	}
	// Severity and status together, against the fixture's own count.
	b.run(t, erase("#f-text", "198.51.100.23"))
	if got := b.visible(t); len(got) != 13 {
		t.Errorf("after erasing the search, rows = %v", got)
	}
	eval[bool](t, b, setSelect("f-severity", "MEDIUM"))
	eval[bool](t, b, setSelect("f-status", "NEW"))
	wantRows := 0
	for _, f := range r.Findings {
		if f.Severity == findings.Medium && f.Status == findings.StatusNew {
			wantRows++
		}
	}
	if got := b.visible(t); len(got) != wantRows || wantRows == 0 {
		t.Errorf("MEDIUM and NEW: rows = %v, want %d", got, wantRows)
	} else {
		for _, row := range got {
			if !strings.HasSuffix(row, " MEDIUM NEW") {
				t.Errorf("MEDIUM and NEW filter shows %q", row)
			}
		}
	}

	// A suppressed finding's details say who accepted the risk, why and
	// until when, and the evidence reads as keys and values.
	eval[bool](t, b, setSelect("f-severity", ""))
	eval[bool](t, b, setSelect("f-status", "SUPPRESSED"))
	if got := b.visible(t); len(got) != 1 {
		t.Fatalf("SUPPRESSED: rows = %v", got)
	}
	b.run(t, chromedp.Click(chromedp.CSS(`#findings tbody.finding:not([hidden]) summary`)))
	detail := eval[string](t, b, `document.querySelector('#findings tbody.finding:not([hidden]) .detail').innerText`)
	for _, s := range []string{"Accepted risk", "SEC-42: vendor integration, until the Q2 migration", "2027-03-31", "selfaudit.yaml:4", "eventName"} {
		if !strings.Contains(detail, s) {
			t.Errorf("suppressed finding's details lack %q:\n%s", s, detail)
		}
	}
	if c, ok := checks.Lookup("CT008"); ok && !strings.Contains(detail, c.HelpURI()) {
		t.Errorf("details lack the check's documentation link %s", c.HelpURI())
	}

	resources := eval[int](t, b, `performance.getEntriesByType('resource').length`)
	requests, problems := b.settle(t)
	for _, u := range requests {
		if u != url {
			t.Errorf("the page requested %s", u)
		}
	}
	if resources != 0 {
		t.Errorf("the page loaded %d resources", resources)
	}
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
	t.Logf("requests seen: %v", requests)
}

func sevRank(row string) int {
	f := strings.Fields(row)
	s, err := findings.ParseSeverity(f[1])
	if err != nil {
		return 0
	}
	return int(s)
}

// TestInBrowserAttackerStrings: a page of findings full of script
// payloads shows them as text, and none of them runs.
func TestInBrowserAttackerStrings(t *testing.T) {
	b := newBrowser(t)
	var page bytes.Buffer
	if err := Write(&page, hostileReport(xss...)); err != nil {
		t.Fatal(err)
	}
	url := b.open(t, page.String())
	b.run(t, chromedp.WaitVisible(chromedp.CSS("#filters")))
	// Open every finding, so that any payload in the details is live, and
	// click where a payload's element would be, had one been made.
	eval[bool](t, b, `document.querySelectorAll('details').forEach(d => d.open = true); true`)
	b.run(t, chromedp.Click(chromedp.CSS(`#findings tbody.finding td.resource`)), chromedp.Sleep(200*time.Millisecond))

	if eval[bool](t, b, `window.__xss !== undefined`) {
		t.Error("a payload ran: window.__xss is set")
	}
	if n := eval[int](t, b, `document.querySelectorAll('img, iframe, textarea, script:not(:last-of-type), [onerror], [onload], [onclick], a[href^="javascript"]').length`); n != 0 {
		t.Errorf("%d elements from payloads exist in the page", n)
	}
	text := eval[string](t, b, `document.body.innerText`)
	for _, p := range []string{`<script>window.__xss=1</script>`, `"><img src=x onerror="window.__xss=1">`} {
		if !strings.Contains(text, p) {
			t.Errorf("payload %q is not shown as text", p)
		}
	}
	requests, problems := b.settle(t)
	for _, u := range requests {
		if u != url {
			t.Errorf("the page requested %s", u)
		}
	}
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
}

// TestInBrowserSeesRequests is the control for the two tests above: a
// page that asks for an image and runs a script its policy does not allow
// is caught, so "no request, no problem" there means something.
func TestInBrowserSeesRequests(t *testing.T) {
	b := newBrowser(t)
	url := b.open(t, `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src http://127.0.0.1:9"></head>`+
		`<body><p>control</p><img src="http://127.0.0.1:9/pixel.png" alt=""><script>window.__ran = 1</script></body></html>`)
	if eval[bool](t, b, `window.__ran !== undefined`) {
		t.Error("an inline script the policy does not name ran")
	}
	requests, problems := b.settle(t)
	if !slices.Contains(requests, url) || !slices.Contains(requests, "http://127.0.0.1:9/pixel.png") {
		t.Errorf("the page's own load or its image was not seen: %v", requests)
	}
	if len(problems) == 0 {
		t.Error("the refused script and image went unreported")
	}
	t.Logf("requests %v; problems %v", requests, problems)
}
