package htmlreport

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// Report is what one page shows.
type Report struct {
	// Title heads the page; "selfaudit report" when empty.
	Title string
	// Generated is when the report was made, printed in UTC; left out
	// when zero, so a golden test can pin it or omit it.
	Generated time.Time
	// Findings are shown in the page's own order (see the package doc),
	// whatever their order here. A finding with an empty Status is shown
	// as NEW, as a run without a finding store announces it
	// (findings.AsNew).
	Findings []findings.Tracked
	// Notes are sentences about the run itself (a skipped check, a
	// suppression that matched nothing), shown as a list.
	Notes []string
}

//go:embed report.html.tmpl style.css report.js
var assets embed.FS

// page is the parsed template with the inline style sheet and script and
// the policy that allows exactly those two by their hashes.
var page = mustPage()

type pageAssets struct {
	tmpl *template.Template
	css  template.CSS
	js   template.JS
	csp  string
}

func mustPage() pageAssets {
	css, err := assets.ReadFile("style.css")
	if err != nil {
		panic(err)
	}
	js, err := assets.ReadFile("report.js")
	if err != nil {
		panic(err)
	}
	tmpl := template.Must(template.New("report.html.tmpl").
		Funcs(template.FuncMap{"lower": strings.ToLower}).
		ParseFS(assets, "report.html.tmpl"))
	return pageAssets{
		tmpl: tmpl,
		css:  template.CSS(css),
		js:   template.JS(js),
		csp:  policy(css, js),
	}
}

// policy is the page's Content-Security-Policy: nothing may be fetched,
// framed or submitted, and the only style sheet and script allowed are the
// page's own, named by hash.
func policy(css, js []byte) string {
	return "default-src 'none'; style-src " + hash(css) + "; script-src " + hash(js) +
		"; img-src 'none'; font-src 'none'; connect-src 'none'; media-src 'none'; object-src 'none'" +
		"; frame-src 'none'; worker-src 'none'; manifest-src 'none'; base-uri 'none'; form-action 'none'"
}

func hash(b []byte) string {
	sum := sha256.Sum256(b)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// statusOrder is the order statuses are counted and sorted in: what needs
// attention first, then what is accepted, then what is gone.
var statusOrder = []findings.Status{
	findings.StatusNew, findings.StatusOpen, findings.StatusReopened,
	findings.StatusSuppressed, findings.StatusBaseline, findings.StatusResolved,
}

// Write writes r as one HTML page. It fails on a finding whose severity
// or status is not one of the schema's, naming the finding, since a page
// that miscounts is worse than none; it never panics on what a finding
// holds.
func Write(w io.Writer, r Report) error {
	return write(w, r, checks.Lookup)
}

// lookupFunc finds a check's documentation; Write uses the registry, the
// golden test a fixed stand-in so that the page it pins does not change
// with the registry's wording.
type lookupFunc func(id string) (checks.Check, bool)

func write(w io.Writer, r Report, lookup lookupFunc) error {
	v, err := build(r, lookup)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := page.tmpl.Execute(&buf, v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// view is what the template renders.
type view struct {
	Title      string
	Generated  string
	CSP        string
	CSS        template.CSS
	JS         template.JS
	Total      int
	Severities []count
	Statuses   []count
	Chart      chart
	Rows       []row
	Notes      []string
}

type count struct {
	Name  string
	Class string
	N     int
}

type row struct {
	ID          string
	Check       string
	CheckTitle  string
	Description string
	Severity    string
	SevClass    string
	SevRank     int
	Status      string
	StatusRank  int
	Title       string
	Resource    string
	Source      string
	ObservedAt  string
	Remediation string
	Docs        []string
	SecurityHub []link
	Evidence    []evidence
	Suppression *findings.Suppression
	History     []fact
}

type link struct {
	Text string
	URL  string
}

type fact struct {
	Name  string
	Value string
}

// evidence is one key of a finding's evidence, rendered by the kind of
// its value: a scalar as text, a list of scalars as a list, anything
// nested as indented JSON.
type evidence struct {
	Key   string
	Text  string
	List  []string
	Block string
}

func build(r Report, lookup lookupFunc) (view, error) {
	title := strings.TrimSpace(r.Title)
	if title == "" {
		title = "selfaudit report"
	}
	v := view{
		Title: title, CSP: page.csp, CSS: page.css, JS: page.js,
		Total: len(r.Findings), Notes: r.Notes,
	}
	if !r.Generated.IsZero() {
		v.Generated = r.Generated.UTC().Format(time.RFC3339)
	}
	ts := slices.Clone(r.Findings)
	for i := range ts {
		if ts[i].Status == "" {
			ts[i].Status = findings.StatusNew
		}
		if err := check(ts[i]); err != nil {
			return view{}, err
		}
	}
	slices.SortStableFunc(ts, compare)

	sevN := map[findings.Severity]int{}
	statusN := map[findings.Status]int{}
	for _, t := range ts {
		sevN[t.Severity]++
		statusN[t.Status]++
		v.Rows = append(v.Rows, newRow(t, lookup))
	}
	for _, s := range findings.Severities {
		v.Severities = append(v.Severities, count{Name: s.String(), Class: sevClass(s), N: sevN[s]})
	}
	for _, s := range statusOrder {
		v.Statuses = append(v.Statuses, count{Name: string(s), Class: "st-" + strings.ToLower(string(s)), N: statusN[s]})
	}
	v.Chart = newChart(ts)
	return v, nil
}

func check(t findings.Tracked) error {
	if t.Severity < findings.Info || t.Severity > findings.Critical {
		return fmt.Errorf("html report: finding %q (%s on %q): invalid severity %d", t.ID, t.Check, t.Resource, int(t.Severity))
	}
	if !slices.Contains(statusOrder, t.Status) {
		return fmt.Errorf("html report: finding %q (%s on %q): unknown status %q", t.ID, t.Check, t.Resource, t.Status)
	}
	return nil
}

// compare is the page's order: highest severity first, then by status,
// check, resource and ID, so that equal input gives an equal page.
func compare(a, b findings.Tracked) int {
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(slices.Index(statusOrder, a.Status), slices.Index(statusOrder, b.Status)),
		strings.Compare(a.Check, b.Check),
		strings.Compare(a.Resource, b.Resource),
		strings.Compare(a.ID, b.ID),
	)
}

func sevClass(s findings.Severity) string { return "sev-" + strings.ToLower(s.String()) }

func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func newRow(t findings.Tracked, lookup lookupFunc) row {
	rw := row{
		ID: t.ID, Check: t.Check, Severity: t.Severity.String(), SevClass: sevClass(t.Severity),
		SevRank: int(t.Severity), Status: string(t.Status), StatusRank: slices.Index(statusOrder, t.Status),
		Title: t.Title, Resource: t.Resource, Source: t.Source, ObservedAt: utc(t.ObservedAt),
		Remediation: t.Remediation, Evidence: renderEvidence(t.Evidence), Suppression: t.Suppression,
	}
	if c, ok := lookup(t.Check); ok {
		rw.CheckTitle, rw.Description, rw.Docs = c.Title, c.Description, c.References.Docs
		for _, sh := range c.References.SecurityHub {
			if u := checks.SecurityHubURL(sh); u != "" {
				rw.SecurityHub = append(rw.SecurityHub, link{Text: sh, URL: u})
			}
		}
		if rw.Remediation == "" {
			rw.Remediation = c.Remediation
		}
	}
	add := func(name, value string) {
		if value != "" {
			rw.History = append(rw.History, fact{name, value})
		}
	}
	if l := t.Location; l != nil && l.File != "" {
		where := l.File
		if l.Line > 0 {
			where += ":" + strconv.Itoa(l.Line)
		}
		add("Location", where)
	}
	add("Previous status", string(t.PreviousStatus))
	if t.PreviousSeverity != 0 {
		add("Previous severity", t.PreviousSeverity.String())
	}
	add("First seen", utc(t.FirstSeen))
	add("Last seen", utc(t.LastSeen))
	if t.Occurrences > 0 {
		add("Runs that saw it", strconv.FormatInt(t.Occurrences, 10))
	}
	return rw
}

// renderEvidence turns evidence into key-sorted items. Values go through
// JSON first, as on the bus, so a struct or a typed slice an engine put
// there reads the same as its JSON, and numbers keep their digits.
func renderEvidence(ev map[string]any) []evidence {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]evidence, 0, len(keys))
	for _, k := range keys {
		out = append(out, renderValue(k, normalize(ev[k])))
	}
	return out
}

func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return string(b)
	}
	return out
}

func renderValue(key string, v any) evidence {
	if s, ok := scalar(v); ok {
		return evidence{Key: key, Text: s}
	}
	if list, ok := v.([]any); ok {
		items := make([]string, 0, len(list))
		for _, e := range list {
			s, ok := scalar(e)
			if !ok {
				items = nil
				break
			}
			items = append(items, s)
		}
		if items != nil || len(list) == 0 {
			if len(list) == 0 {
				return evidence{Key: key, Text: "(none)"}
			}
			return evidence{Key: key, List: items}
		}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return evidence{Key: key, Text: fmt.Sprint(v)}
	}
	return evidence{Key: key, Block: string(b)}
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "null", true
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}
