package asff

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// SchemaVersion is the only ASFF schema version.
const SchemaVersion = "2018-10-08"

// ASFF's string and list limits (see the package documentation).
const (
	MaxTitle           = 256
	MaxDescription     = 1024
	MaxRecommendation  = 512
	MaxProductFieldVal = 2048
	MaxID              = 512
)

// Options say where the findings are imported.
type Options struct {
	// Account is the 12-digit account the findings belong to and whose
	// default product receives them; empty takes the account of each
	// finding's resource ARN.
	Account string
	// Region is the Region of the product ARN; empty takes the Region of
	// each finding's resource ARN.
	Region string
	// Partition is "aws", "aws-cn" or "aws-us-gov"; empty takes the
	// resource ARN's, else the Region's (PartitionOf).
	Partition string
	// DefaultAccount and DefaultRegion stand in when neither Account and
	// Region nor the finding's resource ARN name one: the command line
	// fills them with the caller's account and configured Region, so that
	// a template finding or a global IAM resource still has a product.
	DefaultAccount, DefaultRegion string
	// Now is UpdatedAt, the time of the report; zero takes the latest of
	// the finding's lastSeen, observedAt and statusChangedAt, so that an
	// event imported late does not look newer than it is, and a
	// resolution is newer than the sighting it closes.
	Now time.Time
}

// Finding is one AWS Security Finding Format finding, with the attributes
// selfaudit fills. Its JSON is what BatchImportFindings takes.
type Finding struct {
	SchemaVersion         string                 `json:"SchemaVersion"`
	ID                    string                 `json:"Id"`
	ProductARN            string                 `json:"ProductArn"`
	ProductName           string                 `json:"ProductName"`
	CompanyName           string                 `json:"CompanyName"`
	GeneratorID           string                 `json:"GeneratorId"`
	AwsAccountID          string                 `json:"AwsAccountId"`
	Types                 []string               `json:"Types"`
	CreatedAt             string                 `json:"CreatedAt"`
	UpdatedAt             string                 `json:"UpdatedAt"`
	FirstObservedAt       string                 `json:"FirstObservedAt"`
	LastObservedAt        string                 `json:"LastObservedAt"`
	Severity              Severity               `json:"Severity"`
	Title                 string                 `json:"Title"`
	Description           string                 `json:"Description"`
	Remediation           *Remediation           `json:"Remediation,omitempty"`
	ProductFields         map[string]string      `json:"ProductFields,omitempty"`
	Resources             []Resource             `json:"Resources"`
	Compliance            Compliance             `json:"Compliance"`
	Workflow              Workflow               `json:"Workflow"`
	RecordState           string                 `json:"RecordState"`
	FindingProviderFields *FindingProviderFields `json:"FindingProviderFields,omitempty"`
}

// Severity is ASFF's severity: Label is CRITICAL, HIGH, MEDIUM, LOW or
// INFORMATIONAL; Original is the product's own name for it.
type Severity struct {
	Label    string `json:"Label"`
	Original string `json:"Original,omitempty"`
}

// Remediation carries the recommendation.
type Remediation struct {
	Recommendation Recommendation `json:"Recommendation"`
}

// Recommendation is what to do and where to read more.
type Recommendation struct {
	Text string `json:"Text,omitempty"`
	URL  string `json:"Url,omitempty"`
}

// Resource is a resource the finding is about.
type Resource struct {
	Type      string `json:"Type"`
	ID        string `json:"Id"`
	Partition string `json:"Partition,omitempty"`
	Region    string `json:"Region,omitempty"`
}

// Compliance is the result of a check against a control.
type Compliance struct {
	Status              string   `json:"Status"`
	SecurityControlID   string   `json:"SecurityControlId,omitempty"`
	RelatedRequirements []string `json:"RelatedRequirements,omitempty"`
}

// Workflow is the investigation status.
type Workflow struct {
	Status string `json:"Status"`
}

// FindingProviderFields are the provider's values of the attributes a
// provider may change after the first import.
type FindingProviderFields struct {
	Severity Severity `json:"Severity"`
	Types    []string `json:"Types"`
}

// The values of the enumerations selfaudit sets.
const (
	WorkflowNew        = "NEW"
	WorkflowNotified   = "NOTIFIED"
	WorkflowSuppressed = "SUPPRESSED"
	WorkflowResolved   = "RESOLVED"
	RecordActive       = "ACTIVE"
	RecordArchived     = "ARCHIVED"
	CompliancePassed   = "PASSED"
	ComplianceFailed   = "FAILED"
)

// productName names selfaudit in Security Hub's ProductName and
// CompanyName, which a custom integration on the default product may set.
const productName = "selfaudit"

// SeverityLabel is the ASFF label of a severity.
func SeverityLabel(s findings.Severity) string {
	if s == findings.Info {
		return "INFORMATIONAL"
	}
	return s.String()
}

// WorkflowStatus maps a finding's status onto Security Hub's workflow.
func WorkflowStatus(s findings.Status) string {
	switch s {
	case findings.StatusOpen, findings.StatusBaseline:
		return WorkflowNotified
	case findings.StatusSuppressed:
		return WorkflowSuppressed
	case findings.StatusResolved:
		return WorkflowResolved
	}
	return WorkflowNew
}

// Convert maps one tracked finding to ASFF. It fails on a finding that
// breaks the finding schema (findings.Finding.Validate) and when neither
// opts nor the finding's resource ARN give the account or the Region, and
// names the finding and the missing value.
func Convert(t findings.Tracked, opts Options) (Finding, error) {
	f := t.Finding
	if err := f.Validate(); err != nil {
		return Finding{}, err
	}
	where := fmt.Sprintf("finding %s (%s on %q)", f.ID, f.Check, f.Resource)
	if len(f.ID) > MaxID || len(f.Check) > MaxID {
		return Finding{}, fmt.Errorf("%s: id or check longer than %d characters", where, MaxID)
	}
	res, isARN := parseARN(f.Resource)

	account := opts.Account
	if account == "" && isARN {
		account = res.Account
	}
	if account == "" {
		account = opts.DefaultAccount
	}
	switch {
	case account == "":
		return Finding{}, fmt.Errorf("%s: %w: set the account (Options.Account, --account), the resource names none", where, ErrNoAccount)
	case !awsid.IsAccountID(account):
		return Finding{}, fmt.Errorf("%s: account %q is not a 12-digit AWS account ID", where, account)
	}
	region := opts.Region
	if region == "" && isARN {
		region = res.Region
	}
	if region == "" {
		region = opts.DefaultRegion
	}
	switch {
	case region == "":
		return Finding{}, fmt.Errorf("%s: %w: set the Region (Options.Region, --region), the resource names none", where, ErrNoRegion)
	case !validRegion(region):
		return Finding{}, fmt.Errorf("%s: Region %q is not a Region name", where, region)
	}
	partition := opts.Partition
	if partition == "" && isARN && partitions[res.Partition] {
		partition = res.Partition
	}
	if partition == "" {
		partition = awsid.PartitionOf(region)
	}
	if !partitions[partition] {
		return Finding{}, fmt.Errorf("%s: partition %q: want aws, aws-cn or aws-us-gov", where, partition)
	}

	info, known := lookup(f.Check)
	types := findingTypes(f.Check, engineOf(f.Check, info, known))
	sev := Severity{Label: SeverityLabel(f.Severity), Original: f.Severity.String()}

	first, last := f.ObservedAt, f.ObservedAt
	if !t.FirstSeen.IsZero() {
		first = t.FirstSeen
	}
	if t.LastSeen.After(last) {
		last = t.LastSeen
	}
	if first.After(last) {
		first = last
	}
	// Security Hub ignores an update whose UpdatedAt is not later than
	// the finding's: a resolution must be newer than the sighting it
	// closes, and a late redelivery of an older change loses.
	updated := last
	if t.StatusChangedAt.After(updated) {
		updated = t.StatusChangedAt
	}
	if !opts.Now.IsZero() {
		updated = opts.Now
	}

	out := Finding{
		SchemaVersion:   SchemaVersion,
		ID:              f.ID,
		ProductARN:      fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, account, account),
		ProductName:     productName,
		CompanyName:     productName,
		GeneratorID:     f.Check,
		AwsAccountID:    account,
		Types:           types,
		CreatedAt:       timestamp(first),
		UpdatedAt:       timestamp(updated),
		FirstObservedAt: timestamp(first),
		LastObservedAt:  timestamp(last),
		Severity:        sev,
		Title:           Truncate(f.Title, MaxTitle),
		Description:     Truncate(description(f, info), MaxDescription),
		ProductFields:   productFields(t),
		Resources:       []Resource{resource(f.Resource, res, isARN, partition, region)},
		Workflow:        Workflow{Status: WorkflowStatus(t.Status)},
		RecordState:     RecordActive,
		Compliance:      Compliance{Status: ComplianceFailed},
		FindingProviderFields: &FindingProviderFields{
			Severity: sev,
			Types:    append([]string(nil), types...),
		},
	}
	if blank(out.Title) {
		return Finding{}, fmt.Errorf("%s: title has no visible character", where)
	}
	if text := Truncate(f.Remediation, MaxRecommendation); !blank(text) {
		out.Remediation = &Remediation{Recommendation: Recommendation{Text: text, URL: info.URL}}
	}
	if t.Status == findings.StatusResolved {
		out.RecordState = RecordArchived
		out.Compliance.Status = CompliancePassed
	} else if f.Severity == findings.Info && blank(f.Remediation) {
		// A verdict, not a problem: the pre-traffic hook's "passed".
		out.Compliance.Status = CompliancePassed
	}
	if len(info.Controls) > 0 {
		out.Compliance.SecurityControlID = info.Controls[0]
		out.Compliance.RelatedRequirements = append([]string(nil), info.Controls[:min(len(info.Controls), 32)]...)
	}
	return out, nil
}

// resource is the finding's one resource: its ASFF type, its ARN as Id,
// and the ARN's partition and Region (global resources such as IAM roles
// take the Region the finding is imported to). A resource that is no ARN
// (a template path) is Other.
func resource(raw string, a arn, isARN bool, partition, region string) Resource {
	r := Resource{Type: "Other", ID: raw, Partition: partition, Region: region}
	if !isARN {
		return r
	}
	r.Type = resourceType(a)
	if partitions[a.Partition] {
		r.Partition = a.Partition
	}
	if validRegion(a.Region) {
		r.Region = a.Region
	}
	return r
}

// description is the check's description, where the registry knows the
// check, or its title, then the resource and the evidence.
func description(f findings.Finding, info checkInfo) string {
	var b strings.Builder
	if d := strings.TrimSpace(info.Description); d != "" {
		b.WriteString(d)
	} else {
		b.WriteString(strings.TrimSpace(f.Title))
		b.WriteByte('.')
	}
	b.WriteString(" Resource: ")
	b.WriteString(f.Resource)
	b.WriteByte('.')
	if len(f.Evidence) > 0 {
		if ev, err := json.Marshal(f.Evidence); err == nil {
			b.WriteString(" Evidence: ")
			b.Write(ev)
		}
	}
	return b.String()
}

// productFields keeps what ASFF has no attribute for. Keys are at most 128
// characters and values at most 2,048.
func productFields(t findings.Tracked) map[string]string {
	pf := map[string]string{
		"selfaudit/check":    t.Check,
		"selfaudit/source":   t.Source,
		"selfaudit/resource": t.Resource,
	}
	if t.Status != "" {
		pf["selfaudit/status"] = string(t.Status)
	}
	if t.PreviousStatus != "" {
		pf["selfaudit/previousStatus"] = string(t.PreviousStatus)
	}
	if t.PreviousSeverity != 0 {
		pf["selfaudit/previousSeverity"] = t.PreviousSeverity.String()
	}
	if t.Occurrences > 0 {
		pf["selfaudit/occurrences"] = strconv.FormatInt(t.Occurrences, 10)
	}
	if s := t.Suppression; s != nil {
		pf["selfaudit/suppressionReason"] = s.Reason
		pf["selfaudit/suppressionExpires"] = s.Expires
		pf["selfaudit/suppressionSource"] = s.Source
	}
	for k, v := range pf {
		if blank(v) {
			delete(pf, k)
			continue
		}
		pf[k] = Truncate(v, MaxProductFieldVal)
	}
	return pf
}

// timestamp writes t as RFC 3339 in UTC with milliseconds, as Security
// Hub's own findings do.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func blank(s string) bool { return strings.TrimFunc(s, unicode.IsSpace) == "" }

// Truncate returns s as valid UTF-8 of at most max characters (runes): a
// longer s is cut at a rune boundary (at a space when one is among the last
// 16 characters kept), trailing space dropped, and ends in
// "…", so a reader sees that it was cut.
func Truncate(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max <= 1 {
		return string([]rune(s)[:max])
	}
	r := []rune(s)[:max-1]
	// Prefer ending at a word, when one ends close to the cut.
	for i := len(r) - 1; i > 0 && i >= len(r)-wordWindow; i-- {
		if unicode.IsSpace(r[i]) {
			r = r[:i]
			break
		}
	}
	return strings.TrimRightFunc(string(r), unicode.IsSpace) + "…"
}

// wordWindow is how far back Truncate looks for a space to cut at.
const wordWindow = 16

// ErrNoAccount and ErrNoRegion say that a finding's product ARN lacks its
// account or Region: nothing in the options or the resource names it.
var (
	ErrNoAccount = errors.New("no AWS account")
	ErrNoRegion  = errors.New("no AWS Region")
)

// Write writes ts as a JSON array of ASFF findings, the body
// BatchImportFindings takes as Findings (and `selfaudit --format asff`
// prints). Nothing is written when a finding cannot be converted: the
// error names the first such finding.
func Write(w io.Writer, ts []findings.Tracked, opts Options) error {
	out := make([]Finding, 0, len(ts))
	for _, t := range ts {
		f, err := Convert(t, opts)
		if err != nil {
			return err
		}
		out = append(out, f)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
