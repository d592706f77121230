package awsfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

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

// CodeDeploy fakes the CodeDeploy operations of the pre-traffic hook in
// AWS JSON 1.1 (X-Amz-Target CodeDeploy_20141006.*): GetDeployment,
// GetApplicationRevision (AppSpecContent or the older String revision)
// and PutLifecycleEventHookExecutionStatus, which, as CodeDeploy does,
// answers LifecycleEventAlreadyCompletedException to a second report of an
// execution it accepted. Set Deployments before the calls start.
type CodeDeploy struct {
	base
	mu          sync.Mutex
	Deployments map[string]Deployment
	puts        []PutCall
	// completed holds the executions whose status was accepted, as
	// "deployment/execution"; CodeDeploy refuses a second report for them.
	completed map[string]bool
	repeats   int
}

// NewCodeDeploy returns a fake with no deployments.
func NewCodeDeploy() *CodeDeploy {
	return &CodeDeploy{Deployments: map[string]Deployment{}, completed: map[string]bool{}}
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

// Service implements Fake.
func (*CodeDeploy) Service() string { return "CodeDeploy" }

// EndpointVar implements Fake.
func (*CodeDeploy) EndpointVar() string { return "AWS_ENDPOINT_URL_CODEDEPLOY" }

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
	if ct := r.Header.Get("Content-Type"); ct != ctJSON11 {
		writeJSONError(w, http.StatusBadRequest, "SerializationException", "content type "+ct+", want "+ctJSON11)
		return
	}
	var injected *APIError
	if !c.admit(w, Call{Op: op, Resource: str(in["deploymentId"]), Request: r, Body: body}, func(_ http.ResponseWriter, e *APIError, _ string) { injected = e }) && injected == nil {
		return
	}
	status := http.StatusOK
	if injected != nil {
		status = injected.Status
	}
	if op == "PutLifecycleEventHookExecutionStatus" {
		put := PutCall{DeploymentID: str(in["deploymentId"]), ExecutionID: str(in["lifecycleEventHookExecutionId"]), Status: str(in["status"]), Answered: status}
		key := put.DeploymentID + "/" + put.ExecutionID
		c.mu.Lock()
		already := c.completed[key]
		switch {
		case already && status == http.StatusOK && IsSDKRetry(r):
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
	if injected != nil {
		json11Error(w, injected, op)
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

func writeJSON(w http.ResponseWriter, v any) { writeAWSJSON(w, ctJSON11, v) }

func writeJSONError(w http.ResponseWriter, status int, typ, msg string) {
	writeAWSJSONError(w, ctJSON11, status, typ, msg)
}
