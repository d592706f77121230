package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iamscan"
	"github.com/selfaudit/selfaudit/shared/logging"
)

// Engine is the scan the handler drives; *iamscan.Scanner implements it.
type Engine interface {
	ScanAccount(ctx context.Context) *iamscan.Result
	ScanRole(ctx context.Context, name string) *iamscan.Result
	ScanFunction(ctx context.Context, name string) *iamscan.Result
}

// Publisher sends findings to the findings bus.
type Publisher interface {
	Publish(ctx context.Context, fs []findings.Finding) error
}

var (
	_ Engine    = (*iamscan.Scanner)(nil)
	_ Publisher = (*findings.EventBridgePublisher)(nil)
)

// Handler adapts events to the scan and reports its result.
type Handler struct {
	Scanner   Engine
	Publisher Publisher
	// Metrics receives the Embedded Metric Format lines (stdout in Lambda).
	Metrics io.Writer
	Log     zerolog.Logger
	Now     func() time.Time
}

// Request is a targeted scan asked for directly (aws lambda invoke, or an
// EventBridge rule with an input transformer).
type Request struct {
	RoleName     string `json:"roleName,omitempty"`
	FunctionName string `json:"functionName,omitempty"`
}

// Response is the function's result.
type Response struct {
	Scope     string           `json:"scope"`
	Findings  int              `json:"findings"`
	Summary   findings.Summary `json:"summary"`
	Roles     int              `json:"roles"`
	Functions int              `json:"functions"`
	Policies  int              `json:"policies"`
	Errors    int              `json:"errors"`
	Skipped   string           `json:"skipped,omitempty"`
}

// triggerChecks are the CloudTrail checks whose findings ask for a targeted
// scan of the resource they name.
var triggerChecks = map[string]bool{"CT003": true, "CT007": true}

// target is what one event asks to be scanned.
type target struct {
	scope    string // "account", "role", "function" or "" (nothing to do)
	name     string
	skipped  string
	resource string
}

// parseEvent understands three shapes: an EventBridge Scheduled Event (full
// scan), a finding event from the findings bus (targeted scan of the role or
// function a CT003/CT007 finding names), and a direct Request.
func parseEvent(raw json.RawMessage) (target, error) {
	var probe struct {
		DetailType *string `json:"detail-type"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return target{}, fmt.Errorf("decode event: %w", err)
	}
	if probe.DetailType == nil {
		var req Request
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return target{}, fmt.Errorf("decode scan request (want roleName or functionName): %w", err)
		}
		switch {
		case req.RoleName != "" && req.FunctionName != "":
			return target{}, errors.New("scan request names both a role and a function; send one each")
		case req.RoleName != "":
			return target{scope: "role", name: req.RoleName}, nil
		case req.FunctionName != "":
			return target{scope: "function", name: req.FunctionName}, nil
		}
		return target{}, errors.New("scan request names neither roleName nor functionName")
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return target{}, fmt.Errorf("decode EventBridge event: %w", err)
	}
	switch ev.DetailType {
	case "Scheduled Event":
		return target{scope: "account"}, nil
	case findings.EventDetailType:
		var f struct {
			Check    string `json:"check"`
			Resource string `json:"resource"`
		}
		if err := json.Unmarshal(ev.Detail, &f); err != nil {
			return target{}, fmt.Errorf("decode finding in event %s: %w", ev.ID, err)
		}
		if !triggerChecks[f.Check] {
			return target{skipped: "finding " + f.Check + " does not ask for an IAM scan"}, nil
		}
		if name, ok := iamscan.RoleNameFromARN(f.Resource); ok {
			return target{scope: "role", name: name, resource: f.Resource}, nil
		}
		if iamscan.IsFunctionARN(f.Resource) {
			return target{scope: "function", name: f.Resource, resource: f.Resource}, nil
		}
		return target{skipped: fmt.Sprintf("finding %s names %q, which is neither a role nor a function", f.Check, f.Resource)}, nil
	}
	return target{}, fmt.Errorf("unsupported event detail-type %q", ev.DetailType)
}

// Handle runs one invocation. It publishes what was found even when part of
// the scan failed, then returns an error so that the Errors metric and the
// on-failure destination see the incomplete run.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (*Response, error) {
	ctx, log := logging.ForInvocation(ctx, h.Log)
	t, err := parseEvent(raw)
	if err != nil {
		return nil, err
	}
	if t.scope == "" {
		log.Info().Str("reason", t.skipped).Msg("event skipped")
		return &Response{Scope: "none", Summary: findings.Summarize(nil), Skipped: t.skipped}, nil
	}
	var res *iamscan.Result
	switch t.scope {
	case "account":
		res = h.Scanner.ScanAccount(ctx)
	case "role":
		res = h.Scanner.ScanRole(ctx, t.name)
	case "function":
		res = h.Scanner.ScanFunction(ctx, t.name)
	}
	scope := t.scope
	if t.name != "" {
		scope += ":" + t.name
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	var errs []error
	if err := h.Publisher.Publish(ctx, res.Findings); err != nil {
		errs = append(errs, err)
	}
	if err := findings.WriteEMF(h.Metrics, iamscan.SourceLive, res.Findings, now()); err != nil {
		errs = append(errs, fmt.Errorf("write metrics: %w", err))
	}
	if err := res.Err(); err != nil {
		errs = append(errs, err)
	}
	resp := &Response{
		Scope: scope, Findings: len(res.Findings), Summary: findings.Summarize(res.Findings),
		Roles: res.Roles, Functions: res.Functions, Policies: res.Policies, Errors: len(res.Errors),
	}
	log.Info().Str("scope", scope).Int("findings", resp.Findings).Int("roles", resp.Roles).
		Int("functions", resp.Functions).Int("errors", resp.Errors).Strs("notes", res.Notes).Msg("scan done")
	if len(errs) > 0 {
		return resp, fmt.Errorf("iam scan of %s: %w", scope, errors.Join(errs...))
	}
	return resp, nil
}
