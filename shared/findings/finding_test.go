package findings

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var observed = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func sample(check string, sev Severity, resource string) Finding {
	return Finding{
		ID: StableID(check, resource, "k"), Check: check, Severity: sev, Title: check + " title",
		Resource: resource, Evidence: map[string]any{"action": "*"}, Remediation: "fix it",
		Source: "test", ObservedAt: observed,
	}
}

func TestStableID(t *testing.T) {
	t.Parallel()
	a := StableID("IAM001", "arn:aws:iam::1:role/x", "/Statement/0")
	if a != StableID("IAM001", "arn:aws:iam::1:role/x", "/Statement/0") {
		t.Fatal("same inputs gave different IDs")
	}
	// Parts are separated, so moving text between them changes the ID.
	if StableID("IAM00", "1arn", "k") == StableID("IAM001", "arn", "k") {
		t.Fatal("ID does not separate its parts")
	}
	if len(a) != 32 {
		t.Fatalf("ID length %d, want 32", len(a))
	}
}

func TestSeverityParseAndJSON(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		want    Severity
		wantErr bool
	}{
		"upper":   {in: "CRITICAL", want: Critical},
		"lower":   {in: "high", want: High},
		"spaces":  {in: " medium ", want: Medium},
		"unknown": {in: "urgent", wantErr: true},
		"empty":   {in: "", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSeverity(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseSeverity(%q) = %v, %v", tc.in, got, err)
			}
		})
	}
	b, err := json.Marshal(High)
	if err != nil || string(b) != `"HIGH"` {
		t.Fatalf("marshal High = %s, %v", b, err)
	}
	var s Severity
	if err := json.Unmarshal([]byte(`"low"`), &s); err != nil || s != Low {
		t.Fatalf("unmarshal low = %v, %v", s, err)
	}
	if _, err := json.Marshal(Severity(0)); err == nil {
		t.Fatal("zero severity marshalled")
	}
	if Info.Lower() != Info || Critical.Lower() != High {
		t.Fatal("Lower is wrong")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	good := sample("IAM001", Critical, "arn:aws:iam::1:role/x")
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(*Finding){
		"no id":       func(f *Finding) { f.ID = "" },
		"no check":    func(f *Finding) { f.Check = "" },
		"bad sev":     func(f *Finding) { f.Severity = 9 },
		"no title":    func(f *Finding) { f.Title = "" },
		"no resource": func(f *Finding) { f.Resource = "" },
		"no source":   func(f *Finding) { f.Source = "" },
		"no time":     func(f *Finding) { f.ObservedAt = time.Time{} },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := good
			mutate(&f)
			if f.Validate() == nil {
				t.Fatal("invalid finding accepted")
			}
		})
	}
}

func TestSortSummarizeDedupeAtOrAbove(t *testing.T) {
	t.Parallel()
	fs := []Finding{
		sample("IAM006", Medium, "b"), sample("IAM001", Critical, "a"),
		sample("IAM002", High, "a"), sample("IAM006", Medium, "a"), sample("IAM001", Critical, "a"),
	}
	fs = Dedupe(fs)
	if len(fs) != 4 {
		t.Fatalf("dedupe kept %d, want 4", len(fs))
	}
	Sort(fs)
	var order []string
	for _, f := range fs {
		order = append(order, f.Check+"@"+f.Resource)
	}
	if got := strings.Join(order, ","); got != "IAM001@a,IAM002@a,IAM006@a,IAM006@b" {
		t.Fatalf("order = %s", got)
	}
	s := Summarize(fs)
	if s["CRITICAL"] != 1 || s["HIGH"] != 1 || s["MEDIUM"] != 2 || s["LOW"] != 0 || len(s) != 5 {
		t.Fatalf("summary = %v", s)
	}
	if !AtOrAbove(fs, High) || AtOrAbove(fs[2:], High) || AtOrAbove(fs, 0) {
		t.Fatal("AtOrAbove is wrong")
	}
}

func TestWriteJSONShape(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, nil); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if fs, ok := got["findings"].([]any); !ok || len(fs) != 0 {
		t.Fatalf("findings = %#v, want []", got["findings"])
	}
	buf.Reset()
	if err := WriteJSON(&buf, []Finding{sample("IAM001", Critical, "arn:x")}, "CT009 skipped"); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Findings []map[string]any `json:"findings"`
		Summary  map[string]int   `json:"summary"`
		Notes    []string         `json:"notes"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	f := rep.Findings[0]
	for _, k := range []string{"id", "check", "severity", "title", "resource", "evidence", "remediation", "source", "observedAt"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding lacks %q", k)
		}
	}
	if f["severity"] != "CRITICAL" || f["observedAt"] != "2026-11-27T10:00:00Z" || rep.Summary["CRITICAL"] != 1 || rep.Notes[0] != "CT009 skipped" {
		t.Fatalf("report = %s", buf.String())
	}
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	f := sample("IAM002", High, "template.yaml#/Resources/Role/Properties/Policies/0/PolicyDocument/Statement/0")
	f.Location = &Location{File: "template.yaml", Line: 12}
	var text bytes.Buffer
	if err := WriteText(&text, []Finding{f}, "a note"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"HIGH", "IAM002", "template.yaml:12", "note: a note", "1 findings: CRITICAL 0, HIGH 1"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
}

func TestWriteEMF(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	fs := []Finding{sample("IAM001", Critical, "a"), sample("IAM001", Critical, "b"), sample("IAM006", Medium, "a")}
	if err := WriteEMF(&buf, "iam-wildcard-scanner", fs, observed); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d EMF lines, want 3:\n%s", len(lines), buf.String())
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["Check"] != "IAM001" || first["Findings"].(float64) != 2 || first["_aws"] == nil {
		t.Fatalf("first EMF line = %s", lines[0])
	}
	var total map[string]any
	_ = json.Unmarshal([]byte(lines[2]), &total)
	if total["FindingsTotal"].(float64) != 3 {
		t.Fatalf("total line = %s", lines[2])
	}
}
