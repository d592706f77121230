package awsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/selfaudit/selfaudit/shared/awsid"
)

// Security Hub limits of BatchImportFindings (the partner guide's
// "Guidelines for using the BatchImportFindings API" and the
// AwsSecurityFinding API reference).
const (
	// MaxImportFindings is the most findings one call may carry.
	MaxImportFindings = 100
	// MaxFindingBytes is the most one finding may weigh (240 KB).
	MaxFindingBytes = 240 * 1024
	// MaxImportBytes is the most one call may weigh (6 MB).
	MaxImportBytes = 6 * 1024 * 1024
)

// HubFinding is one finding Security Hub accepted, as the fake holds it:
// the attributes tests look at, and the whole finding as sent.
type HubFinding struct {
	ID               string
	ProductArn       string
	GeneratorID      string
	AwsAccountID     string
	Title            string
	Description      string
	SeverityLabel    string
	Types            []string
	RecordState      string
	WorkflowStatus   string
	ComplianceStatus string
	ControlID        string
	ResourceType     string
	ResourceID       string
	UpdatedAt        string
	// Imports counts the accepted imports of this Id.
	Imports int
	Raw     map[string]any
}

// ImportFailure is one entry of FailedFindings.
type ImportFailure struct {
	ID           string `json:"Id"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// SecurityHub fakes BatchImportFindings in REST JSON (POST
// /findings/import) and checks each finding as Security Hub does: the call
// is refused (400 InvalidInputException) when it carries no finding, more
// than 100, or more than 6 MB; a finding that lacks a required attribute,
// exceeds a string or list limit, has a malformed value or weighs more
// than 240 KB is listed in FailedFindings with ErrorCode InvalidInput, and
// one whose ProductArn is not the default product of the fake's account
// and Region with AccessDeniedException; the others are imported. As in
// Security Hub, a finding imported again updates the one held, except its
// workflow status, which only Security Hub's users change, and only when
// its UpdatedAt is later than the held one's: an update at or before it
// is answered as a success and ignored (Ignored lists them). FailFinding
// fails chosen findings inside a 200 answer; the embedded Faults fail or
// delay whole calls (throttling is a 429 LimitExceededException, which the
// SDK retries).
type SecurityHub struct {
	base
	// Account and Region are the account whose default product accepts
	// findings and the Region called; Account and Region of this package
	// when empty.
	Account, Region string
	// FailFinding, when set, decides per finding that passed validation:
	// a non-empty code fails it with that ErrorCode and message.
	FailFinding func(HubFinding) (code, message string)

	mu       sync.Mutex
	held     map[string]*HubFinding
	calls    [][]string
	failures []ImportFailure
	rejected []string
	ignored  []string
	resends  Resends
}

// newer reports whether the UpdatedAt update is later than held; both
// passed validation as RFC 3339 times.
func newer(update, held string) bool {
	u, errU := time.Parse(time.RFC3339Nano, update)
	h, errH := time.Parse(time.RFC3339Nano, held)
	if errU != nil || errH != nil {
		return update > held
	}
	return u.After(h)
}

// Ignored lists the Ids of imports that were not newer than the finding
// held (UpdatedAt at or before its UpdatedAt), which Security Hub answers
// as successes and ignores.
func (h *SecurityHub) Ignored() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.ignored...)
}

// NewSecurityHub returns a hub of this package's Account and Region.
func NewSecurityHub() *SecurityHub { return &SecurityHub{held: map[string]*HubFinding{}} }

// Service implements Fake.
func (*SecurityHub) Service() string { return "SecurityHub" }

// EndpointVar implements Fake.
func (*SecurityHub) EndpointVar() string { return "AWS_ENDPOINT_URL_SECURITYHUB" }

// Findings returns every finding held, sorted by Id.
func (h *SecurityHub) Findings() []HubFinding {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]HubFinding, 0, len(h.held))
	for _, f := range h.held {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Finding returns the finding held under id.
func (h *SecurityHub) Finding(id string) (HubFinding, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.held[id]
	if !ok {
		return HubFinding{}, false
	}
	return *f, true
}

// ImportCalls returns the Ids each recorded call carried, in order, a call the
// SDK sent again after a lost answer recorded once.
func (h *SecurityHub) ImportCalls() [][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]string(nil), h.calls...)
}

// Failures returns every FailedFindings entry answered.
func (h *SecurityHub) Failures() []ImportFailure {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]ImportFailure(nil), h.failures...)
}

// Rejected lists the calls refused as a whole.
func (h *SecurityHub) Rejected() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.rejected...)
}

// writeHubError answers in Security Hub's REST JSON error shape: the
// status, X-Amzn-ErrorType and {"Code": ..., "Message": ...}.
func writeHubError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", ctREST)
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Code": typ, "Message": msg})
}

func hubError(w http.ResponseWriter, e *APIError, op string) {
	writeHubError(w, e.Status, e.Type, e.message(op))
}

func (h *SecurityHub) reject(w http.ResponseWriter, status int, typ, msg string) {
	h.mu.Lock()
	h.rejected = append(h.rejected, typ+": "+msg)
	h.mu.Unlock()
	writeHubError(w, status, typ, msg)
}

func (h *SecurityHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/findings/import" {
		h.reject(w, http.StatusNotFound, "UnknownOperationException", "the fake serves POST /findings/import (BatchImportFindings) only, not "+r.Method+" "+r.URL.Path)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, ctREST) {
		h.reject(w, http.StatusBadRequest, "SerializationException", "content type "+ct+", want "+ctREST)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxImportBytes+1))
	if err != nil {
		return
	}
	if !h.admit(w, Call{Op: "BatchImportFindings", Request: r, Body: body}, hubError) {
		return
	}
	if len(body) > MaxImportBytes {
		h.reject(w, http.StatusBadRequest, "InvalidInputException", fmt.Sprintf("The request is larger than %d bytes.", MaxImportBytes))
		return
	}
	var in struct{ Findings []json.RawMessage }
	if err := json.Unmarshal(body, &in); err != nil {
		h.reject(w, http.StatusBadRequest, "InvalidInputException", "the request body is not JSON: "+err.Error())
		return
	}
	if n := len(in.Findings); n < 1 || n > MaxImportFindings {
		h.reject(w, http.StatusBadRequest, "InvalidInputException",
			fmt.Sprintf("Invalid parameter 'Findings'. data.Findings should NOT have more than %d items and at least 1 (got %d)", MaxImportFindings, n))
		return
	}
	account, region := h.Account, h.Region
	if account == "" {
		account = Account
	}
	if region == "" {
		region = Region
	}
	again := h.resends.Seen(r, body)
	out := struct {
		FailedCount    int
		SuccessCount   int
		FailedFindings []ImportFailure
	}{FailedFindings: []ImportFailure{}}
	var ids []string
	for _, raw := range in.Findings {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			out.FailedFindings = append(out.FailedFindings, ImportFailure{ErrorCode: "InvalidInput", ErrorMessage: "Finding is not a JSON object."})
			continue
		}
		f := hubFinding(m)
		ids = append(ids, f.ID)
		code, msg := validateHubFinding(m, len(raw), account, region)
		if code == "" && h.FailFinding != nil {
			code, msg = h.FailFinding(f)
		}
		if code != "" {
			out.FailedFindings = append(out.FailedFindings, ImportFailure{ID: f.ID, ErrorCode: code, ErrorMessage: msg})
			continue
		}
		h.mu.Lock()
		if prev, ok := h.held[f.ID]; ok {
			if !newer(f.UpdatedAt, prev.UpdatedAt) {
				// Accepted, counted as a success, and ignored.
				h.ignored = append(h.ignored, f.ID)
				h.mu.Unlock()
				continue
			}
			f.WorkflowStatus = prev.WorkflowStatus
			f.Imports = prev.Imports
		}
		f.Imports++
		h.held[f.ID] = &f
		h.mu.Unlock()
	}
	out.FailedCount = len(out.FailedFindings)
	out.SuccessCount = len(in.Findings) - out.FailedCount
	h.mu.Lock()
	if !again {
		h.calls = append(h.calls, ids)
	}
	h.failures = append(h.failures, out.FailedFindings...)
	h.mu.Unlock()
	writeREST(w, out)
}

// hubFinding reads the attributes tests look at.
func hubFinding(m map[string]any) HubFinding {
	f := HubFinding{
		ID: str(m["Id"]), ProductArn: str(m["ProductArn"]), GeneratorID: str(m["GeneratorId"]), AwsAccountID: str(m["AwsAccountId"]),
		Title: str(m["Title"]), Description: str(m["Description"]), RecordState: str(m["RecordState"]), UpdatedAt: str(m["UpdatedAt"]),
		SeverityLabel: str(obj(m["Severity"])["Label"]), WorkflowStatus: str(obj(m["Workflow"])["Status"]),
		ComplianceStatus: str(obj(m["Compliance"])["Status"]), ControlID: str(obj(m["Compliance"])["SecurityControlId"]), Raw: m,
	}
	if f.RecordState == "" {
		f.RecordState = "ACTIVE"
	}
	if f.WorkflowStatus == "" {
		f.WorkflowStatus = "NEW"
	}
	for _, t := range list(m["Types"]) {
		f.Types = append(f.Types, str(t))
	}
	if rs := list(m["Resources"]); len(rs) > 0 {
		f.ResourceType, f.ResourceID = str(obj(rs[0])["Type"]), str(obj(rs[0])["Id"])
	}
	return f
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// The enumerations Security Hub checks.
var (
	hubSeverities  = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
	hubWorkflows   = []string{"NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED"}
	hubRecords     = []string{"ACTIVE", "ARCHIVED"}
	hubCompliance  = []string{"PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"}
	hubPartitions  = []string{"aws", "aws-cn", "aws-us-gov"}
	hubNamespaces  = []string{"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"}
	hubRequiredStr = []string{"AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "SchemaVersion", "Title", "UpdatedAt"}
)

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// validateHubFinding returns the ErrorCode and message Security Hub gives
// a finding it will not import, or "" for a good one.
func validateHubFinding(m map[string]any, size int, account, region string) (string, string) {
	bad := func(format string, a ...any) (string, string) {
		return "InvalidInput", "Finding does not adhere to Amazon Finding Format. " + fmt.Sprintf(format, a...)
	}
	if size > MaxFindingBytes {
		return bad("The finding is %d bytes, more than %d.", size, MaxFindingBytes)
	}
	for _, k := range hubRequiredStr {
		s, ok := m[k].(string)
		if !ok {
			return bad("data should have required property '%s'", k)
		}
		if strings.TrimSpace(s) == "" {
			return bad("data.%s should match pattern \".*\\S.*\"", k)
		}
	}
	fpf := obj(m["FindingProviderFields"])
	if m["Severity"] == nil && fpf["Severity"] == nil {
		return bad("data should have required property 'Severity'")
	}
	if m["Types"] == nil && fpf["Types"] == nil {
		return bad("data should have required property 'Types'")
	}
	if m["Resources"] == nil {
		return bad("data should have required property 'Resources'")
	}
	limits := []struct {
		name  string
		value string
		max   int
	}{
		{"Id", str(m["Id"]), 512}, {"GeneratorId", str(m["GeneratorId"]), 512}, {"ProductArn", str(m["ProductArn"]), 2048},
		{"Title", str(m["Title"]), 256}, {"Description", str(m["Description"]), 1024},
		{"Remediation.Recommendation.Text", str(obj(obj(m["Remediation"])["Recommendation"])["Text"]), 512},
	}
	for _, l := range limits {
		if n := utf8.RuneCountInString(l.value); n > l.max {
			return bad("data.%s should NOT be longer than %d characters (got %d)", l.name, l.max, n)
		}
	}
	if v := str(m["SchemaVersion"]); v != "2018-10-08" {
		return bad("data.SchemaVersion should be equal to \"2018-10-08\", not %q", v)
	}
	acct := str(m["AwsAccountId"])
	if !awsid.IsAccountID(acct) {
		return bad("data.AwsAccountId should be 12 digits, not %q", acct)
	}
	for _, k := range []string{"CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"} {
		if v, ok := m[k]; ok {
			if _, err := time.Parse(time.RFC3339Nano, str(v)); err != nil {
				return bad("data.%s %q is not a valid timestamp", k, str(v))
			}
		}
	}
	for _, sev := range []map[string]any{obj(m["Severity"]), obj(fpf["Severity"])} {
		if l, ok := sev["Label"]; ok && !oneOf(str(l), hubSeverities) {
			return bad("data.Severity.Label should be one of %v, not %q", hubSeverities, str(l))
		}
	}
	for _, types := range []any{m["Types"], fpf["Types"]} {
		if types == nil {
			continue
		}
		ts := list(types)
		if len(ts) > 50 {
			return bad("data.Types should NOT have more than 50 items")
		}
		for _, t := range ts {
			ns, _, _ := strings.Cut(str(t), "/")
			if !oneOf(ns, hubNamespaces) {
				return bad("data.Types %q: the namespace should be one of %v", str(t), hubNamespaces)
			}
		}
	}
	rs := list(m["Resources"])
	if len(rs) < 1 || len(rs) > 32 {
		return bad("data.Resources should have 1 to 32 items, not %d", len(rs))
	}
	for i, rv := range rs {
		r := obj(rv)
		if t := str(r["Type"]); strings.TrimSpace(t) == "" || len(t) > 256 {
			return bad("data.Resources[%d].Type should have 1 to 256 characters", i)
		}
		if strings.TrimSpace(str(r["Id"])) == "" {
			return bad("data.Resources[%d] should have required property 'Id'", i)
		}
		if p, ok := r["Partition"]; ok && !oneOf(str(p), hubPartitions) {
			return bad("data.Resources[%d].Partition should be one of %v", i, hubPartitions)
		}
		if rg, ok := r["Region"]; ok && (str(rg) == "" || len(str(rg)) > 16) {
			return bad("data.Resources[%d].Region should have 1 to 16 characters", i)
		}
	}
	enums := []struct {
		name, value string
		set         []string
	}{
		{"Workflow.Status", str(obj(m["Workflow"])["Status"]), hubWorkflows},
		{"RecordState", str(m["RecordState"]), hubRecords},
		{"Compliance.Status", str(obj(m["Compliance"])["Status"]), hubCompliance},
	}
	for _, e := range enums {
		if e.value != "" && !oneOf(e.value, e.set) {
			return bad("data.%s should be one of %v, not %q", e.name, e.set, e.value)
		}
	}
	pf := obj(m["ProductFields"])
	if len(pf) > 50 {
		return bad("data.ProductFields should NOT have more than 50 properties")
	}
	for k, v := range pf {
		if len(k) > 128 || utf8.RuneCountInString(str(v)) > 2048 {
			return bad("data.ProductFields[%q] is longer than allowed (128 for a key, 2048 for a value)", k)
		}
	}
	// The default product of the account: arn:PARTITION:securityhub:
	// REGION:ACCOUNT:product/ACCOUNT/default.
	product := str(m["ProductArn"])
	parts := strings.SplitN(product, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !oneOf(parts[1], hubPartitions) || parts[2] != "securityhub" || !strings.HasPrefix(parts[5], "product/") {
		return bad("data.ProductArn %q is not a product ARN", product)
	}
	if parts[3] != region || parts[4] != account || parts[5] != "product/"+account+"/default" || acct != account {
		return "AccessDeniedException", fmt.Sprintf("Account %s is not authorized to import findings for product %s and account %s in %s.", account, product, acct, region)
	}
	return "", ""
}
