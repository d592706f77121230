package hook

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// Source is the findings source of the hook (DESIGN §3).
const Source = "pre-traffic-hook"

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
				if rerr := h.report(ctx, ev, cdtypes.LifecycleEventStatusFailed); rerr == nil {
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
	rerr := h.report(ctx, ev, status)
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

func panicResult(where string, p any) CheckResult {
	return CheckResult{ID: CheckPanic.ID, Name: CheckPanic.Name, Status: StatusError,
		Reason:   fmt.Sprintf("panic in %s: %v", where, p),
		Evidence: map[string]any{"where": where, "panic": fmt.Sprint(p), "stack": string(debug.Stack())}}
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

// guard runs one check, turning a panic into an error outcome so that the
// other checks still run and the verdict is Failed. It also holds the
// test-only panic switch.
func (h *Hook) guard(c Check, run func() outcome) (o outcome) {
	defer func() {
		if p := recover(); p != nil {
			o = outcome{err: &panicError{check: c.ID, value: p, stack: string(debug.Stack())}}
		}
	}()
	if h.Config.PanicIn == c.ID {
		panic("injected by " + EnvTestPanic + " in check " + c.ID)
	}
	return run()
}

type panicError struct {
	check string
	value any
	stack string
}

func (e *panicError) Error() string { return fmt.Sprintf("panic in check %s: %v", e.check, e.value) }

// resultOf turns an outcome into a result. Errors keep the check's ID in
// the result; the finding they produce is HOOK091 (AWS error) or HOOK092
// (panic), so that alarms can tell a bad version from a broken hook.
func resultOf(c Check, target, caseName, resource string, o outcome) CheckResult {
	r := CheckResult{ID: c.ID, Name: c.Name, Target: target, Case: caseName, Resource: resource, Evidence: o.evidence}
	switch {
	case o.err != nil:
		r.Status, r.Reason = StatusError, o.err.Error()
		var pe *panicError
		if errors.As(o.err, &pe) {
			r.Evidence = map[string]any{"check": c.ID, "panic": fmt.Sprint(pe.value), "stack": pe.stack}
		}
	case o.skipped != "":
		r.Status, r.Reason = StatusSkipped, o.skipped
	case o.reason != "":
		r.Status, r.Reason = StatusFailed, o.reason
	default:
		r.Status = StatusPassed
	}
	return r
}

// recorder collects results from the checks' goroutine. Once frozen (the
// verdict is being reported) later results are dropped: they would arrive
// after CodeDeploy already has its answer.
type recorder struct {
	mu      sync.Mutex
	frozen  bool
	results []CheckResult
	tgts    []Target
}

func (r *recorder) add(c CheckResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.frozen {
		r.results = append(r.results, c)
	}
}

// addAfterFreeze records a result even after the freeze: used only for a
// panic in the reporting path, which decides the verdict itself.
func (r *recorder) addAfterFreeze(c CheckResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, c)
}

func (r *recorder) setTargets(ts []Target) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tgts = append([]Target(nil), ts...)
}

func (r *recorder) targets() []Target {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Target(nil), r.tgts...)
}

func (r *recorder) freeze() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frozen = true
}

func (r *recorder) snapshot() []CheckResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]CheckResult(nil), r.results...)
}

// report calls PutLifecycleEventHookExecutionStatus, retrying transient
// failures with backoff while ctx allows. "Already completed" counts as
// reported: it means an earlier attempt whose response was lost got
// through, or an earlier delivery of the same event already answered.
func (h *Hook) report(ctx context.Context, ev Event, status cdtypes.LifecycleEventStatus) error {
	attempts := h.Config.ReportAttempts
	if attempts < 1 {
		attempts = 1
	}
	delay := 200 * time.Millisecond
	in := &codedeploy.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId:                  aws.String(ev.DeploymentID),
		LifecycleEventHookExecutionId: aws.String(ev.LifecycleEventHookExecutionID),
		Status:                        status,
	}
	var err error
	for i := 1; ; i++ {
		_, err = h.CodeDeploy.PutLifecycleEventHookExecutionStatus(ctx, in)
		var done *cdtypes.LifecycleEventAlreadyCompletedException
		if err == nil || errors.As(err, &done) {
			if err != nil {
				zerolog.Ctx(ctx).Warn().Err(err).Msg("lifecycle event was already completed")
			}
			return nil
		}
		if i >= attempts || !transient(err) {
			break
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("report %s for deployment %s: %w (last error: %w)", status, ev.DeploymentID, ctx.Err(), err)
		case <-t.C:
		}
		delay = min(2*delay, 2*time.Second)
	}
	return fmt.Errorf("report %s for deployment %s: %w", status, ev.DeploymentID, err)
}
