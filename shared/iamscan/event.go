package iamscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// ScanRequest is a targeted scan asked for directly (aws lambda invoke, or
// an EventBridge rule with an input transformer).
type ScanRequest struct {
	RoleName     string `json:"roleName,omitempty"`
	FunctionName string `json:"functionName,omitempty"`
}

// Scopes of a Target.
const (
	ScopeAccount  = "account"
	ScopeRole     = "role"
	ScopeFunction = "function"
)

// Target is what one event asks to be scanned.
type Target struct {
	// Scope is ScopeAccount, ScopeRole, ScopeFunction, or empty when the
	// event asks for nothing; Skipped then says why.
	Scope string
	// Name is the role name or the function name or ARN.
	Name    string
	Skipped string
	// Resource is the ARN of the finding that asked for the scan.
	Resource string
}

// Label is the scope and name, such as "role:worker", for logs and results.
func (t Target) Label() string {
	if t.Name == "" {
		return t.Scope
	}
	return t.Scope + ":" + t.Name
}

// TriggerChecks are the CloudTrail checks whose findings ask for a targeted
// scan of the resource they name.
var TriggerChecks = map[string]bool{"CT003": true, "CT007": true}

// ParseEvent understands the three events the IAM scanner function is sent:
// an EventBridge Scheduled Event (scan the account), a finding event from
// the findings bus (scan the role or function a CT003/CT007 finding names;
// other findings are skipped), and a direct ScanRequest. Anything else is
// an error.
func ParseEvent(raw []byte) (Target, error) {
	var probe struct {
		DetailType *string `json:"detail-type"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return Target{}, fmt.Errorf("decode event: %w", err)
	}
	if probe.DetailType == nil {
		return parseRequest(raw)
	}
	var ev struct {
		ID         string          `json:"id"`
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return Target{}, fmt.Errorf("decode EventBridge event: %w", err)
	}
	switch ev.DetailType {
	case "Scheduled Event":
		return Target{Scope: ScopeAccount}, nil
	case findings.EventDetailType:
		return parseFinding(ev.ID, ev.Detail)
	}
	return Target{}, fmt.Errorf("unsupported event detail-type %q", ev.DetailType)
}

func parseRequest(raw []byte) (Target, error) {
	var req ScanRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return Target{}, fmt.Errorf("decode scan request (want roleName or functionName): %w", err)
	}
	switch {
	case req.RoleName != "" && req.FunctionName != "":
		return Target{}, errors.New("scan request names both a role and a function; send one each")
	case req.RoleName != "":
		return Target{Scope: ScopeRole, Name: req.RoleName}, nil
	case req.FunctionName != "":
		return Target{Scope: ScopeFunction, Name: req.FunctionName}, nil
	}
	return Target{}, errors.New("scan request names neither roleName nor functionName")
}

func parseFinding(eventID string, detail json.RawMessage) (Target, error) {
	var f struct {
		Check    string `json:"check"`
		Resource string `json:"resource"`
	}
	if err := json.Unmarshal(detail, &f); err != nil {
		return Target{}, fmt.Errorf("decode finding in event %s: %w", eventID, err)
	}
	if !TriggerChecks[f.Check] {
		return Target{Skipped: "finding " + f.Check + " does not ask for an IAM scan"}, nil
	}
	if name, ok := RoleNameFromARN(f.Resource); ok {
		return Target{Scope: ScopeRole, Name: name, Resource: f.Resource}, nil
	}
	if IsFunctionARN(f.Resource) {
		return Target{Scope: ScopeFunction, Name: f.Resource, Resource: f.Resource}, nil
	}
	return Target{Skipped: fmt.Sprintf("finding %s names %q, which is neither a role nor a function", f.Check, f.Resource)}, nil
}
