package hook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// Source is the findings source of the hook (docs/architecture.md,
// "Findings").
const Source = "pre-traffic-hook"

// Hook is the engine. Build it once per cold start; Handle is safe for
// concurrent use (Lambda sends one event at a time, tests send more).
type Hook struct {
	CodeDeploy CodeDeployAPI
	Lambda     FunctionAPI
	// SSM is needed only when Config.SmokeParameter is set.
	SSM ParameterAPI
	// Publisher sends the verdict and its reasons to the findings bus;
	// nil publishes nothing.
	Publisher findings.Publisher
	// ReadFile reads Config.SmokeFile; nil means no files.
	ReadFile func(name string) ([]byte, error)
	Config   Config
	// ConfigErr, when set, makes every invocation report Failed with it:
	// a hook with a broken configuration must still answer CodeDeploy
	// rather than leave the deployment waiting for an hour.
	ConfigErr error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (h *Hook) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// Handle runs the checks for one lifecycle event and reports the verdict to
// CodeDeploy exactly once, whatever happens: a failed check, an AWS error,
// a panic (recovered) or the deadline approaching all report Failed. It
// returns an error only when the report itself or the publication of the
// findings failed, so that Lambda's Errors metric counts a hook that could
// not do its job, not a version it rightly rejected.
func (h *Hook) Handle(ctx context.Context, ev Event) (res Result, err error) {
	start := h.now()
	log := zerolog.Ctx(ctx).With().Str("deploymentId", ev.DeploymentID).Logger()
	res = Result{DeploymentID: ev.DeploymentID, ExecutionID: ev.LifecycleEventHookExecutionID}
	rec := &recorder{}
	reportTried := false
	defer func() {
		// Last line of defence: a panic outside the checks (in reporting
		// or publishing) still ends in one Failed report.
		if p := recover(); p != nil {
			rec.addAfterFreeze(panicResult("handler", p))
			log.Error().Interface("panic", p).Msg("pre-traffic hook panicked outside the checks")
			if !reportTried {
				reportTried = true
				if rerr := h.reportStatus(ctx, ev, cdtypes.LifecycleEventStatusFailed); rerr == nil {
					res.Reported = true
				}
			}
			res.Status = string(cdtypes.LifecycleEventStatusFailed)
			res.Checks = rec.snapshot()
			err = fmt.Errorf("pre-traffic hook for deployment %s panicked: %v", ev.DeploymentID, p)
		}
	}()
	if verr := ev.Validate(); verr != nil {
		return res, verr
	}

	if h.ConfigErr != nil {
		rec.add(CheckResult{ID: CheckHookConfig.ID, Name: CheckHookConfig.Name, Status: StatusError, Reason: h.ConfigErr.Error()})
	} else {
		h.evaluateWithDeadline(ctx, ev, rec)
	}
	rec.freeze()
	res.Checks = rec.snapshot()
	res.Targets = rec.targets()

	status := cdtypes.LifecycleEventStatusSucceeded
	for _, c := range res.Checks {
		if c.blocks() {
			status = cdtypes.LifecycleEventStatusFailed
			res.Reasons = append(res.Reasons, describe(c))
		}
	}
	res.Status = string(status)
	for _, c := range res.Checks {
		ev := log.Info()
		if c.blocks() {
			ev = log.Warn()
		}
		ev.Str("check", c.ID).Str("checkName", c.Name).Str("target", c.Target).Str("case", c.Case).
			Str("status", string(c.Status)).Str("reason", c.Reason).Msg("pre-traffic check")
	}

	reportTried = true
	rerr := h.reportStatus(ctx, ev, status)
	res.Reported = rerr == nil
	res.DurationMS = h.now().Sub(start).Milliseconds()
	log.Info().Str("status", res.Status).Bool("reported", res.Reported).Strs("reasons", res.Reasons).
		Int64("durationMs", res.DurationMS).Msg("pre-traffic hook verdict")

	perr := h.publish(ctx, res)
	if perr != nil {
		log.Error().Err(perr).Msg("publish pre-traffic hook findings")
	}
	if rerr != nil {
		log.Error().Err(rerr).Msg("report pre-traffic hook status")
	}
	return res, errors.Join(rerr, perr)
}

// evaluateWithDeadline runs the checks in their own goroutine and stops
// waiting for them ReportMargin before the invocation's deadline, so that
// a check stuck in a call that ignores its context cannot cost the report.
func (h *Hook) evaluateWithDeadline(ctx context.Context, ev Event, rec *recorder) {
	workCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if dl, ok := ctx.Deadline(); ok {
		var c2 context.CancelFunc
		workCtx, c2 = context.WithDeadline(workCtx, dl.Add(-h.Config.ReportMargin))
		defer c2()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				rec.add(panicResult("checks", p))
			}
		}()
		h.evaluate(workCtx, ev, rec)
	}()
	select {
	case <-done:
		if workCtx.Err() != nil && ctx.Err() == nil && errors.Is(workCtx.Err(), context.DeadlineExceeded) {
			rec.add(deadlineResult(h.Config.ReportMargin))
		}
	case <-workCtx.Done():
		rec.add(deadlineResult(h.Config.ReportMargin))
	}
}

func deadlineResult(margin time.Duration) CheckResult {
	return CheckResult{ID: CheckDeadline.ID, Name: CheckDeadline.Name, Status: StatusFailed,
		Reason: fmt.Sprintf("checks did not finish %s before the invocation deadline", margin)}
}

// evaluate learns the deployment and checks every target in it.
func (h *Hook) evaluate(ctx context.Context, ev Event, rec *recorder) {
	d, err := LoadDeployment(ctx, h.CodeDeploy, ev.DeploymentID)
	if err != nil {
		st := StatusError
		if errors.Is(err, ErrInvalidAppSpec) {
			st = StatusFailed
		}
		rec.add(CheckResult{ID: CheckDeployment.ID, Name: CheckDeployment.Name, Status: st, Reason: err.Error(),
			Resource: ev.DeploymentID, Evidence: map[string]any{"application": d.Application}})
		return
	}
	rec.setTargets(d.AppSpec.Targets)
	for _, t := range d.AppSpec.Targets {
		if ctx.Err() != nil {
			return
		}
		h.checkTarget(ctx, t, rec)
	}
}

// checkTarget runs the configuration checks and the smoke invocations on
// one target version.
func (h *Hook) checkTarget(ctx context.Context, t Target, rec *recorder) {
	label := shortName(t.Name) + ":" + t.TargetVersion
	fn, err := h.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{
		FunctionName: aws.String(unqualified(t.Name)), Qualifier: aws.String(t.TargetVersion),
	})
	if err != nil {
		rec.add(CheckResult{ID: CheckAWSError.ID, Name: CheckAWSError.Name, Target: label, Status: StatusError,
			Reason: fmt.Sprintf("get configuration of %s: %v", label, err), Resource: t.Name})
		return
	}
	resource := aws.ToString(fn.FunctionArn)
	if resource == "" {
		resource = label
	}
	for _, c := range configChecks {
		if !h.Config.enabled(c.ID) {
			rec.add(CheckResult{ID: c.ID, Name: c.Name, Target: label, Status: StatusSkipped, Reason: "disabled", Resource: resource})
			continue
		}
		o := h.guard(c.Check, func() outcome { return c.run(ctx, h, t, fn) })
		rec.add(resultOf(c.Check, label, "", resource, o))
	}
	if !h.Config.enabled(CheckSmoke.ID) {
		rec.add(CheckResult{ID: CheckSmoke.ID, Name: CheckSmoke.Name, Target: label, Status: StatusSkipped, Reason: "disabled", Resource: resource})
		return
	}
	h.smoke(ctx, t, fn, label, resource, rec)
}
