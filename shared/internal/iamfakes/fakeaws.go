// Package iamfakes serves recorded AWS answers over HTTP in the services'
// real wire formats, for tests that point the real SDK clients (or a built
// function under aws-lambda-rie) at them through AWS_ENDPOINT_URL_*:
// IAM's Query/XML protocol, Lambda's REST JSON control plane and
// EventBridge's JSON 1.1 PutEvents. Every server counts the calls it
// answered, per operation, so tests can assert how the scan talks to AWS.
package iamfakes

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/selfaudit/selfaudit/shared/internal/testenv"
)

// IAM answers GetAccountAuthorizationDetails from pre-generated XML pages
// (page-001.xml, ...) whose Markers are Marker(n).
type IAM struct {
	testenv.CallCounter
	pages [][]byte
	// details answers the per-role operations (see LoadDetails).
	details *cliDetails
	// WantFilter, when set, is the Filter the caller must send.
	WantFilter []string
	// Fail, when set, answers an operation with an error instead: the
	// function returns the HTTP status and IAM error code, or 0 to answer
	// normally.
	Fail func(action string, form url.Values) (status int, code string)
}

// NewIAM loads the pages of dir.
func NewIAM(dir string) (*IAM, error) {
	files, err := filepath.Glob(filepath.Join(dir, "page-*.xml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no GetAccountAuthorizationDetails pages in %s", dir)
	}
	sort.Strings(files)
	s := &IAM{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s.pages = append(s.pages, b)
	}
	return s, nil
}

// Pages is the number of pages served.
func (s *IAM) Pages() int { return len(s.pages) }

// Marker is the continuation token of page n (1-based), as written by
// internal/gengaad.
func Marker(n int) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("selfaudit-gaad-page-%d", n)))
}

func (s *IAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		iamError(w, http.StatusBadRequest, "MalformedInput", err.Error())
		return
	}
	action := r.PostForm.Get("Action")
	s.Add(r, action)
	if s.Fail != nil {
		if status, code := s.Fail(action, r.PostForm); status != 0 {
			iamError(w, status, code, "injected by the test")
			return
		}
	}
	if action != "GetAccountAuthorizationDetails" {
		s.serveRoleAPI(w, action, r.PostForm)
		return
	}
	if s.WantFilter != nil {
		var got []string
		for i := 1; ; i++ {
			v := r.PostForm.Get(fmt.Sprintf("Filter.member.%d", i))
			if v == "" {
				break
			}
			got = append(got, v)
		}
		if strings.Join(got, ",") != strings.Join(s.WantFilter, ",") {
			iamError(w, http.StatusBadRequest, "ValidationError", fmt.Sprintf("filter %v, want %v", got, s.WantFilter))
			return
		}
	}
	page := 1
	if m := r.PostForm.Get("Marker"); m != "" {
		page = 0
		for i := 2; i <= len(s.pages); i++ {
			if Marker(i) == m {
				page = i
			}
		}
		if page == 0 {
			iamError(w, http.StatusBadRequest, "ValidationError", "invalid Marker")
			return
		}
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(s.pages[page-1])
}

func iamError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>0f2b4c1e-test</RequestId></ErrorResponse>`, code, xmlEscape(msg))
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Function is one function of the fake Lambda account.
type Function struct {
	FunctionName string `json:"FunctionName"`
	FunctionArn  string `json:"FunctionArn"`
	Runtime      string `json:"Runtime,omitempty"`
	Role         string `json:"Role,omitempty"`
	Handler      string `json:"Handler,omitempty"`
}

// LambdaFixture is the content of a Lambda fixture file: the functions and
// their resource policies (absent means GetPolicy answers
// ResourceNotFoundException).
type LambdaFixture struct {
	Functions []Function          `json:"functions"`
	Policies  map[string]any      `json:"policies"`
	Errors    map[string][]string `json:"errors,omitempty"`
}

// Lambda answers ListFunctions (paginated) and GetPolicy.
type Lambda struct {
	testenv.CallCounter
	fx LambdaFixture
	// PageSize is the most functions per ListFunctions page; the
	// request's MaxItems wins when smaller.
	PageSize int
	// Fail injects an error: return a status and error type for a
	// function's GetPolicy, or 0 to answer normally.
	Fail func(function string) (status int, errType string)
}

// NewLambda loads a fixture file.
func NewLambda(path string) (*Lambda, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fx LambdaFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return &Lambda{fx: fx, PageSize: 50}, nil
}

// Functions lists the fixture's functions.
func (s *Lambda) Functions() []Function { return s.fx.Functions }

func (s *Lambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2015-03-31/functions"
	path := r.URL.EscapedPath()
	if r.Method != http.MethodGet || !strings.HasPrefix(path, prefix) {
		lambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "no such route: "+r.Method+" "+path)
		return
	}
	rest := strings.Trim(strings.TrimPrefix(path, prefix), "/")
	if rest == "" {
		s.Add(r, "ListFunctions")
		s.listFunctions(w, r)
		return
	}
	name, ok := strings.CutSuffix(rest, "/policy")
	if !ok {
		lambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "no such route: "+path)
		return
	}
	s.Add(r, "GetPolicy")
	name, _ = url.PathUnescape(name)
	if i := strings.LastIndex(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	if s.Fail != nil {
		if status, typ := s.Fail(name); status != 0 {
			lambdaError(w, status, typ, "injected by the test")
			return
		}
	}
	known := false
	for _, f := range s.fx.Functions {
		known = known || f.FunctionName == name
	}
	pol, has := s.fx.Policies[name]
	if !known || !has {
		lambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist.")
		return
	}
	doc, _ := json.Marshal(pol)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"Policy": string(doc), "RevisionId": "2c3e1d9a-0000-4000-8000-000000000001"})
}

func (s *Lambda) listFunctions(w http.ResponseWriter, r *http.Request) {
	size := s.PageSize
	if m := r.URL.Query().Get("MaxItems"); m != "" {
		var n int
		if _, err := fmt.Sscanf(m, "%d", &n); err == nil && n > 0 && n < size {
			size = n
		}
	}
	start := 0
	if m := r.URL.Query().Get("Marker"); m != "" {
		if _, err := fmt.Sscanf(m, "fn-%d", &start); err != nil {
			lambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", "bad Marker")
			return
		}
	}
	end := min(start+size, len(s.fx.Functions))
	out := map[string]any{"Functions": s.fx.Functions[start:end]}
	if end < len(s.fx.Functions) {
		out["NextMarker"] = fmt.Sprintf("fn-%d", end)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func lambdaError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "Message": msg})
}

// PutEventsEntry is one entry of a PutEvents call as received.
type PutEventsEntry struct {
	Source       string   `json:"Source"`
	DetailType   string   `json:"DetailType"`
	Detail       string   `json:"Detail"`
	EventBusName string   `json:"EventBusName"`
	Resources    []string `json:"Resources"`
}

// EventBridge records PutEvents calls (AWS JSON 1.1) and accepts every
// entry.
type EventBridge struct {
	testenv.CallCounter
	mu      sync.Mutex
	batches [][]PutEventsEntry
	resends testenv.Resends // batches the SDK sent again
	// BadTarget collects requests that were not PutEvents in JSON 1.1.
	BadTarget []string
}

// Batches returns the entries of each PutEvents call, in order.
func (s *EventBridge) Batches() [][]PutEventsEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]PutEventsEntry(nil), s.batches...)
}

func (s *EventBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	ct := r.Header.Get("Content-Type")
	if target != "AWSEvents.PutEvents" || !strings.HasPrefix(ct, "application/x-amz-json-1.1") {
		s.mu.Lock()
		s.BadTarget = append(s.BadTarget, target+" "+ct)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"UnknownOperationException","message":"only PutEvents"}`)
		return
	}
	s.Add(r, "PutEvents")
	body, err := io.ReadAll(r.Body)
	var in struct{ Entries []PutEventsEntry }
	if err != nil || json.Unmarshal(body, &in) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	// A batch the SDK sent again after its answer was lost is not a new
	// batch.
	if !s.resends.Seen(r, body) {
		s.mu.Lock()
		s.batches = append(s.batches, in.Entries)
		s.mu.Unlock()
	}
	res := make([]map[string]string, len(in.Entries))
	for i := range in.Entries {
		res[i] = map[string]string{"EventId": fmt.Sprintf("11710aed-b79e-4468-a20b-bb3c0c3b%04d", i)}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{"FailedEntryCount": 0, "Entries": res})
}
