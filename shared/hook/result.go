package hook

import "strings"

// Status of one check on one target.
type Status string

// Check statuses. Only passed and skipped let a deployment through.
const (
	StatusPassed  Status = "passed"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
	StatusError   Status = "error"
)

// CheckResult is the outcome of one check on one target (or on the
// deployment as a whole, when Target is empty).
type CheckResult struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Target   string         `json:"target,omitempty"`
	Case     string         `json:"case,omitempty"`
	Status   Status         `json:"status"`
	Reason   string         `json:"reason,omitempty"`
	Evidence map[string]any `json:"-"`
	// Resource is the function version's ARN when it is known.
	Resource string `json:"-"`
}

func (r CheckResult) blocks() bool { return r.Status == StatusFailed || r.Status == StatusError }

func describe(c CheckResult) string {
	var b strings.Builder
	b.WriteString(c.ID + " " + c.Name)
	if c.Target != "" {
		b.WriteString(" on " + c.Target)
	}
	if c.Case != "" {
		b.WriteString(" (case " + c.Case + ")")
	}
	b.WriteString(": " + c.Reason)
	return b.String()
}

// Result is what one invocation of the hook did; the handler returns it
// so that a manual invoke shows the verdict and every reason.
type Result struct {
	DeploymentID string        `json:"deploymentId"`
	ExecutionID  string        `json:"lifecycleEventHookExecutionId"`
	Status       string        `json:"status"`
	Reported     bool          `json:"reported"`
	Targets      []Target      `json:"targets,omitempty"`
	Checks       []CheckResult `json:"checks"`
	Reasons      []string      `json:"reasons,omitempty"`
	DurationMS   int64         `json:"durationMs"`
}
