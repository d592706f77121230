package hookfakes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/selfaudit/selfaudit/shared/internal/testenv"
)

// APIError is a canned error answer.
type APIError struct {
	Status int
	Type   string
	// Times limits the error to the first Times calls; 0 means always.
	Times int
}

// PutCall is one PutLifecycleEventHookExecutionStatus the fake received.
type PutCall struct {
	DeploymentID string `json:"deploymentId"`
	ExecutionID  string `json:"lifecycleEventHookExecutionId"`
	Status       string `json:"status"`
	// Answered is the HTTP status the fake answered with.
	Answered int `json:"-"`
}

// Deployment is one deployment the CodeDeploy fake knows.
type Deployment struct {
	Application string
	AppSpec     string
	// Inline carries the AppSpec content in GetDeployment; otherwise only
	// its digest is there and GetApplicationRevision must be asked.
	Inline bool
	// LegacyString uses the older String revision type.
	LegacyString bool
}

// CodeDeploy fakes the CodeDeploy operations of the hook.
type CodeDeploy struct {
	mu          sync.Mutex
	Deployments map[string]Deployment
	// Errors overrides operations by name (GetDeployment, ...).
	Errors map[string]*APIError
	// Delay holds an operation back, to test deadlines.
	Delay map[string]time.Duration
	puts  []PutCall
	calls map[string]int
	// completed holds the executions whose status was accepted, as
	// "deployment/execution"; CodeDeploy refuses a second report for them.
	completed map[string]bool
	repeats   int
}

// NewCodeDeploy returns a fake with no deployments.
func NewCodeDeploy() *CodeDeploy {
	return &CodeDeploy{Deployments: map[string]Deployment{}, Errors: map[string]*APIError{}, Delay: map[string]time.Duration{}, calls: map[string]int{}, completed: map[string]bool{}}
}

// Puts returns every status report received, failed attempts included,
// except the SDK's retries of a report already accepted (see Repeats).
func (c *CodeDeploy) Puts() []PutCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]PutCall(nil), c.puts...)
}

// Accepted returns the status reports the fake answered with 200.
func (c *CodeDeploy) Accepted() []PutCall {
	var out []PutCall
	for _, p := range c.Puts() {
		if p.Answered == http.StatusOK {
			out = append(out, p)
		}
	}
	return out
}

// Repeats returns how many SDK retries arrived for a report the fake had
// already accepted: the first answer was lost on its way back (a dropped
// connection under load), the SDK sent the call again and, as CodeDeploy
// does, the fake answered LifecycleEventAlreadyCompletedException. They
// are left out of Puts, because the caller asked only once.
func (c *CodeDeploy) Repeats() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.repeats
}

// Calls returns how often an operation was called.
func (c *CodeDeploy) Calls(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

// SetError sets or clears (nil) an operation's canned error.
func (c *CodeDeploy) SetError(op string, e *APIError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Errors[op] = e
}

func (c *CodeDeploy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "CodeDeploy_20141006.")
	if !ok {
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", "unexpected target "+target)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	c.mu.Lock()
	c.calls[op]++
	n := c.calls[op]
	apiErr := c.Errors[op]
	delay := c.Delay[op]
	c.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	status := http.StatusOK
	if apiErr != nil && (apiErr.Times == 0 || n <= apiErr.Times) {
		status = apiErr.Status
	}
	if op == "PutLifecycleEventHookExecutionStatus" {
		put := PutCall{DeploymentID: str(in["deploymentId"]), ExecutionID: str(in["lifecycleEventHookExecutionId"]), Status: str(in["status"]), Answered: status}
		key := put.DeploymentID + "/" + put.ExecutionID
		c.mu.Lock()
		already := c.completed[key]
		switch {
		case already && status == http.StatusOK && testenv.IsSDKRetry(r):
			c.repeats++
		default:
			if already && status == http.StatusOK {
				put.Answered = http.StatusBadRequest
			}
			c.puts = append(c.puts, put)
		}
		if status == http.StatusOK {
			c.completed[key] = true
		}
		c.mu.Unlock()
		if already && status == http.StatusOK {
			writeJSONError(w, http.StatusBadRequest, "LifecycleEventAlreadyCompletedException",
				"The lifecycle event hook execution "+put.ExecutionID+" has already completed.")
			return
		}
	}
	if status != http.StatusOK {
		writeJSONError(w, status, apiErr.Type, "canned error for "+op)
		return
	}
	switch op {
	case "GetDeployment":
		id := str(in["deploymentId"])
		d, ok := c.deployment(id)
		if !ok {
			writeJSONError(w, http.StatusBadRequest, "DeploymentDoesNotExistException", "The deployment "+id+" could not be found.")
			return
		}
		writeJSON(w, map[string]any{"deploymentInfo": map[string]any{
			"applicationName": d.Application, "deploymentGroupName": d.Application + "-group",
			"deploymentId": id, "computePlatform": "Lambda", "status": "InProgress",
			"revision": revision(d, d.Inline),
		}})
	case "GetApplicationRevision":
		rev, _ := in["revision"].(map[string]any)
		want := ""
		if ac, ok := rev["appSpecContent"].(map[string]any); ok {
			want = str(ac["sha256"])
		}
		if s, ok := rev["string"].(map[string]any); ok {
			want = str(s["sha256"])
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, d := range c.Deployments {
			if digest(d.AppSpec) == want && d.Application == str(in["applicationName"]) {
				writeJSON(w, map[string]any{"applicationName": d.Application, "revision": revision(d, true),
					"revisionInfo": map[string]any{"registerTime": 1.7e9}})
				return
			}
		}
		writeJSONError(w, http.StatusBadRequest, "RevisionDoesNotExistException", "no such revision")
	case "PutLifecycleEventHookExecutionStatus":
		writeJSON(w, map[string]any{"lifecycleEventHookExecutionId": str(in["lifecycleEventHookExecutionId"])})
	default:
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", op)
	}
}

func (c *CodeDeploy) deployment(id string) (Deployment, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.Deployments[id]
	return d, ok
}

func revision(d Deployment, withContent bool) map[string]any {
	content := map[string]any{"sha256": digest(d.AppSpec)}
	if withContent {
		content["content"] = d.AppSpec
	}
	if d.LegacyString {
		return map[string]any{"revisionType": "String", "string": content}
	}
	return map[string]any{"revisionType": "AppSpecContent", "appSpecContent": content}
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

// Function is one function version as GetFunctionConfiguration returns
// it, in the REST API's JSON field names.
type Function map[string]any

// HealthyFunction returns a version configuration that passes every
// default check.
func HealthyFunction(name, version string) Function {
	return Function{
		"FunctionName":     name,
		"FunctionArn":      "arn:aws:lambda:us-east-1:123456789012:function:" + name + ":" + version,
		"Version":          version,
		"Runtime":          "provided.al2023",
		"Handler":          "bootstrap",
		"Architectures":    []string{"arm64"},
		"Timeout":          10,
		"MemorySize":       256,
		"PackageType":      "Zip",
		"State":            "Active",
		"LastUpdateStatus": "Successful",
		"TracingConfig":    map[string]any{"Mode": "Active"},
		"Environment":      map[string]any{"Variables": map[string]string{"LOG_LEVEL": "info", "TABLE_NAME": "selfaudit-prod-Table-1ABC2DEF3GH"}},
	}
}

// InvokeResult is a canned answer of the Lambda fake to an invocation.
type InvokeResult struct {
	Payload       string
	FunctionError string
	Delay         time.Duration
}

// Lambda fakes GetFunctionConfiguration, GetFunctionEventInvokeConfig and
// (when Invoke is set) Invoke.
type Lambda struct {
	mu sync.Mutex
	// Functions maps name and version to a configuration.
	Functions map[string]map[string]Function
	// EventInvokeConfigs maps name and qualifier to an event invoke config.
	EventInvokeConfigs map[string]map[string]map[string]any
	// Errors overrides operations (GetFunctionConfiguration, ...).
	Errors map[string]*APIError
	// Invoke answers invocations; nil answers 404 so that a LambdaFront
	// can serve them instead.
	Invoke func(name, qualifier string, payload []byte) InvokeResult
	calls  map[string]int
}

// NewLambda returns an empty fake.
func NewLambda() *Lambda {
	return &Lambda{Functions: map[string]map[string]Function{}, EventInvokeConfigs: map[string]map[string]map[string]any{}, Errors: map[string]*APIError{}, calls: map[string]int{}}
}

// Put adds a function version.
func (l *Lambda) Put(f Function) {
	l.mu.Lock()
	defer l.mu.Unlock()
	name, _ := f["FunctionName"].(string)
	v, _ := f["Version"].(string)
	if l.Functions[name] == nil {
		l.Functions[name] = map[string]Function{}
	}
	l.Functions[name][v] = f
}

// Calls returns how often an operation was called.
func (l *Lambda) Calls(op string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[op]
}

func (l *Lambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	q := r.URL.Query().Get("Qualifier")
	var op, name string
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/2015-03-31/functions/") && strings.HasSuffix(path, "/configuration"):
		op, name = "GetFunctionConfiguration", strings.TrimSuffix(strings.TrimPrefix(path, "/2015-03-31/functions/"), "/configuration")
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/2019-09-25/functions/") && strings.HasSuffix(path, "/event-invoke-config"):
		op, name = "GetFunctionEventInvokeConfig", strings.TrimSuffix(strings.TrimPrefix(path, "/2019-09-25/functions/"), "/event-invoke-config")
	case r.Method == http.MethodPost && strings.HasPrefix(path, "/2015-03-31/functions/") && strings.HasSuffix(path, "/invocations"):
		op, name = "Invoke", strings.TrimSuffix(strings.TrimPrefix(path, "/2015-03-31/functions/"), "/invocations")
	default:
		writeRESTError(w, http.StatusNotFound, "ResourceNotFoundException", "no route "+r.Method+" "+path)
		return
	}
	name, _ = url.PathUnescape(name)
	if i := strings.LastIndex(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	l.mu.Lock()
	l.calls[op]++
	n := l.calls[op]
	apiErr := l.Errors[op]
	l.mu.Unlock()
	if apiErr != nil && (apiErr.Times == 0 || n <= apiErr.Times) {
		writeRESTError(w, apiErr.Status, apiErr.Type, "canned error for "+op)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch op {
	case "GetFunctionConfiguration":
		f, ok := l.Functions[name][orLatest(q)]
		if !ok {
			writeRESTError(w, http.StatusNotFound, "ResourceNotFoundException", fmt.Sprintf("Function not found: %s:%s", name, q))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(f)
	case "GetFunctionEventInvokeConfig":
		c, ok := l.EventInvokeConfigs[name][orLatest(q)]
		if !ok {
			writeRESTError(w, http.StatusNotFound, "ResourceNotFoundException", "The function "+name+" has no event invoke config for "+q)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c)
	case "Invoke":
		if l.Invoke == nil {
			writeRESTError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
			return
		}
		payload, _ := io.ReadAll(r.Body)
		inv := l.Invoke
		l.mu.Unlock()
		res := inv(name, q, payload)
		if res.Delay > 0 {
			select {
			case <-time.After(res.Delay):
			case <-r.Context().Done():
			}
		}
		l.mu.Lock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Executed-Version", orLatest(q))
		if res.FunctionError != "" {
			w.Header().Set("X-Amz-Function-Error", res.FunctionError)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, res.Payload)
	}
}

func orLatest(q string) string {
	if q == "" {
		return "$LATEST"
	}
	return q
}

func writeRESTError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

// EventBridge fakes PutEvents and records every entry.
type EventBridge struct {
	mu      sync.Mutex
	entries []map[string]any
}

// Entries returns every entry received.
func (e *EventBridge) Entries() []map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]map[string]any(nil), e.entries...)
}

// Details returns the decoded Detail of every entry: the findings.
func (e *EventBridge) Details() []map[string]any {
	var out []map[string]any
	for _, en := range e.Entries() {
		var d map[string]any
		if s, ok := en["Detail"].(string); ok && json.Unmarshal([]byte(s), &d) == nil {
			out = append(out, d)
		}
	}
	return out
}

func (e *EventBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException", r.Header.Get("X-Amz-Target"))
		return
	}
	var in struct {
		Entries []map[string]any `json:"Entries"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	e.mu.Lock()
	e.entries = append(e.entries, in.Entries...)
	e.mu.Unlock()
	res := make([]map[string]string, len(in.Entries))
	for i := range res {
		res[i] = map[string]string{"EventId": fmt.Sprint(i)}
	}
	writeJSON(w, map[string]any{"FailedEntryCount": 0, "Entries": res})
}
