package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
)

// Event is what CodeDeploy sends a lifecycle hook (docs/architecture.md,
// "Pre-traffic hook guarantees"). aws-lambda-go ships no type for it.
type Event struct {
	DeploymentID                  string `json:"DeploymentId"`
	LifecycleEventHookExecutionID string `json:"LifecycleEventHookExecutionId"`
}

// maxEventBytes bounds what ParseEvent reads; the real event is about 200 bytes.
const maxEventBytes = 64 * 1024

// deploymentIDRe is CodeDeploy's deployment ID format: d- and nine
// upper-case letters or digits.
var deploymentIDRe = regexp.MustCompile(`^d-[A-Z0-9]{9}$`)

// ErrInvalidEvent is returned for events the hook cannot act on. Without
// both IDs no status can be reported at all, so the invocation must fail
// loudly instead.
var ErrInvalidEvent = errors.New("invalid CodeDeploy lifecycle event")

// ParseEvent decodes and validates a lifecycle event.
func ParseEvent(b []byte) (Event, error) {
	if len(b) > maxEventBytes {
		return Event{}, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidEvent, len(b), maxEventBytes)
	}
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&ev); err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	if dec.More() {
		return Event{}, fmt.Errorf("%w: trailing data after the JSON object", ErrInvalidEvent)
	}
	if err := ev.Validate(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// Validate checks that both IDs are present and the deployment ID has
// CodeDeploy's shape.
func (e Event) Validate() error {
	switch {
	case e.DeploymentID == "":
		return fmt.Errorf("%w: DeploymentId is empty", ErrInvalidEvent)
	case !deploymentIDRe.MatchString(e.DeploymentID):
		return fmt.Errorf("%w: DeploymentId %q is not of the form d-XXXXXXXXX", ErrInvalidEvent, e.DeploymentID)
	case e.LifecycleEventHookExecutionID == "":
		return fmt.Errorf("%w: LifecycleEventHookExecutionId is empty", ErrInvalidEvent)
	}
	return nil
}
