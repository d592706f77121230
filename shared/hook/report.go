package hook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// transient reports errors worth another try of the status report:
// throttling, server faults and connection trouble. A cancelled or expired
// context is not, since no later try can succeed.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
		return true
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && (re.HTTPStatusCode() >= 500 || re.HTTPStatusCode() == 429) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultServer {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// Findings turns a result into findings for the bus: one per blocking
// result, or one INFO verdict per target when the version passed, so that
// the bus records every verdict (docs/architecture.md, "Pre-traffic hook
// guarantees"). Errors become HOOK091 (AWS
// error) or HOOK092 (panic) findings naming the check they hit, so that an
// alarm can tell a rejected version from a broken hook.
func Findings(res Result, now time.Time) []findings.Finding {
	var out []findings.Finding
	add := func(c Check, resource, target, caseName, reason string, extra map[string]any) {
		if resource == "" {
			resource = res.DeploymentID
		}
		ev := map[string]any{"deploymentId": res.DeploymentID, "verdict": res.Status}
		if target != "" {
			ev["target"] = target
		}
		if caseName != "" {
			ev["case"] = caseName
		}
		if reason != "" {
			ev["reason"] = reason
		}
		for k, v := range extra {
			if s, ok := v.(string); ok && k == "stack" {
				v = truncate(s, 2048)
			}
			ev[k] = v
		}
		title := c.Title
		if reason != "" {
			title += ": " + truncate(reason, 200)
		}
		out = append(out, findings.Finding{
			ID:          findings.StableID(c.ID, resource, strings.Join([]string{res.DeploymentID, target, caseName, fmt.Sprint(extra["check"])}, "|")),
			Check:       c.ID,
			Severity:    c.Severity,
			Title:       title,
			Resource:    resource,
			Evidence:    ev,
			Remediation: c.Remediation,
			Source:      Source,
			ObservedAt:  now.UTC(),
		})
	}
	blocked := false
	for _, r := range res.Checks {
		if !r.blocks() {
			continue
		}
		blocked = true
		c := checkByID(r.ID)
		extra := map[string]any{}
		for k, v := range r.Evidence {
			extra[k] = v
		}
		if r.Status == StatusError && c.ID != CheckPanic.ID && c.ID != CheckDeployment.ID && c.ID != CheckAWSError.ID && c.ID != CheckHookConfig.ID {
			extra["check"] = c.ID
			if _, isPanic := r.Evidence["panic"]; isPanic {
				c = CheckPanic
			} else {
				c = CheckAWSError
			}
		}
		add(c, r.Resource, r.Target, r.Case, r.Reason, extra)
	}
	if blocked {
		return out
	}
	seen := map[string]bool{}
	for _, r := range res.Checks {
		if r.Target == "" || seen[r.Target] {
			continue
		}
		seen[r.Target] = true
		add(CheckVerdict, r.Resource, r.Target, "", "", nil)
	}
	return out
}

// publish sends the findings of one result; a nil Publisher sends nothing.
func (h *Hook) publish(ctx context.Context, res Result) error {
	if h.Publisher == nil {
		return nil
	}
	fs := Findings(res, h.now())
	if len(fs) == 0 {
		return nil
	}
	if err := h.Publisher.Publish(ctx, fs); err != nil {
		return fmt.Errorf("publish %d findings of deployment %s: %w", len(fs), res.DeploymentID, err)
	}
	return nil
}
