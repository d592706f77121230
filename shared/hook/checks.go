package hook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/secretscan"
)

// Check describes one thing the hook verifies. IDs are a contract (DESIGN
// §4: add more with new IDs); findings carry them.
type Check struct {
	ID          string
	Name        string
	Severity    findings.Severity
	Title       string
	Remediation string
}

// The configurable checks, in the order they run.
var (
	CheckTracing = Check{"HOOK001", "tracing", findings.Medium,
		"Target version does not have active X-Ray tracing",
		"Set Tracing: Active on the function (the stack's Globals do)."}
	CheckAsyncDestination = Check{"HOOK002", "async-destination", findings.High,
		"Asynchronously invoked target version has no DLQ or on-failure destination",
		"Give the function a DeadLetterQueue or an EventInvokeConfig with DestinationConfig.OnFailure, so failed events are kept."}
	CheckTimeout = Check{"HOOK003", "timeout", findings.Medium,
		"Target version's timeout is outside the accepted bounds",
		"Set Timeout within HOOK_TIMEOUT_MIN_SECONDS..HOOK_TIMEOUT_MAX_SECONDS, or change the bounds if the function really needs it."}
	CheckMemory = Check{"HOOK004", "memory", findings.Medium,
		"Target version's memory size is outside the accepted bounds",
		"Set MemorySize within HOOK_MEMORY_MIN_MB..HOOK_MEMORY_MAX_MB, or change the bounds."}
	CheckSecrets = Check{"HOOK005", "env-secrets", findings.Critical,
		"Target version's environment holds a secret-looking value",
		"Move the secret to SSM Parameter Store or Secrets Manager and keep only its name or ARN in the environment; rotate the exposed secret."}
	CheckRuntime = Check{"HOOK006", "runtime", findings.Medium,
		"Target version's runtime is not one the stack expects",
		"Use the runtime listed in HOOK_RUNTIMES (provided.al2023 by default)."}
	CheckArchitecture = Check{"HOOK007", "architecture", findings.Low,
		"Target version's architecture is not one the stack expects",
		"Use the architecture listed in HOOK_ARCHITECTURES (arm64 by default)."}
	CheckState = Check{"HOOK008", "state", findings.High,
		"Target version is not Active or its last update did not succeed",
		"Wait for the version to become Active; look at StateReason and LastUpdateStatusReason."}
	CheckSmoke = Check{"HOOK010", "smoke", findings.High,
		"Smoke invocation of the target version failed",
		"Look at the function's log for the smoke invocation; fix the error or the smoke event."}
	CheckSmokeLatency = Check{"HOOK011", "smoke-latency", findings.Medium,
		"Smoke invocation of the target version exceeded its latency budget",
		"Find what made the invocation slow (cold start, dependencies), or raise HOOK_LATENCY_SHARE."}
	CheckSmokeResponse = Check{"HOOK012", "smoke-response", findings.High,
		"Smoke invocation's response lacks the expected fragment",
		"Compare the function's response with the smoke case's expect field."}
)

// Checks the hook cannot switch off: they report why no verdict on the
// version itself could be reached.
var (
	CheckVerdict = Check{"HOOK000", "verdict", findings.Info,
		"Target version passed the pre-traffic checks", ""}
	CheckDeployment = Check{"HOOK090", "deployment", findings.High,
		"Deployment or its AppSpec could not be read",
		"Check the hook's permissions (codedeploy:GetDeployment, codedeploy:GetApplicationRevision) and the AppSpec."}
	CheckAWSError = Check{"HOOK091", "aws-error", findings.High,
		"An AWS call failed while checking the target version",
		"Check the hook's permissions on the function and retry the deployment."}
	CheckPanic = Check{"HOOK092", "panic", findings.High,
		"The pre-traffic hook panicked",
		"This is a bug in the hook; the evidence names where. The deployment was stopped to be safe."}
	CheckDeadline = Check{"HOOK093", "deadline", findings.High,
		"The pre-traffic hook ran out of time before all checks finished",
		"Raise the hook's Timeout or lower the smoke latency budget; look for slow AWS calls."}
	CheckHookConfig = Check{"HOOK094", "hook-config", findings.High,
		"The pre-traffic hook's configuration is invalid",
		"Fix the HOOK_* environment variables of the hook; the evidence names the bad ones."}
)

// Checks lists the configurable checks; every one can be switched off
// with HOOK_DISABLED_CHECKS.
var Checks = []Check{
	CheckTracing, CheckAsyncDestination, CheckTimeout, CheckMemory, CheckSecrets,
	CheckRuntime, CheckArchitecture, CheckState, CheckSmoke, CheckSmokeLatency, CheckSmokeResponse,
}

var allChecks = append(slices.Clone(Checks), CheckVerdict, CheckDeployment, CheckAWSError, CheckPanic, CheckDeadline, CheckHookConfig)

// LookupCheck finds a configurable check by ID or name, in any case.
func LookupCheck(s string) (Check, bool) {
	s = strings.TrimSpace(s)
	for _, c := range Checks {
		if strings.EqualFold(c.ID, s) || strings.EqualFold(c.Name, s) {
			return c, true
		}
	}
	return Check{}, false
}

func checkByID(id string) Check {
	for _, c := range allChecks {
		if c.ID == id {
			return c
		}
	}
	return Check{ID: id, Name: id, Severity: findings.High, Title: id}
}

// outcome is what one check found: a reason when it failed, an error when
// it could not tell.
type outcome struct {
	reason   string
	evidence map[string]any
	err      error
	// skipped says why the check did not apply to this version.
	skipped string
}

func pass() outcome { return outcome{} }

func fail(evidence map[string]any, format string, args ...any) outcome {
	return outcome{reason: fmt.Sprintf(format, args...), evidence: evidence}
}

// configCheck inspects a version's configuration.
type configCheck struct {
	Check
	run func(ctx context.Context, h *Hook, t Target, fn *lambda.GetFunctionConfigurationOutput) outcome
}

var configChecks = []configCheck{
	{CheckState, checkState},
	{CheckTracing, checkTracing},
	{CheckAsyncDestination, checkAsyncDestination},
	{CheckTimeout, checkTimeout},
	{CheckMemory, checkMemory},
	{CheckSecrets, checkSecrets},
	{CheckRuntime, checkRuntime},
	{CheckArchitecture, checkArchitecture},
}

func checkState(_ context.Context, _ *Hook, _ Target, fn *lambda.GetFunctionConfigurationOutput) outcome {
	if fn.State != "" && fn.State != ltypes.StateActive {
		return fail(map[string]any{"state": string(fn.State), "stateReason": aws.ToString(fn.StateReason)},
			"state is %s, want Active: %s", fn.State, aws.ToString(fn.StateReason))
	}
	if fn.LastUpdateStatus != "" && fn.LastUpdateStatus != ltypes.LastUpdateStatusSuccessful {
		return fail(map[string]any{"lastUpdateStatus": string(fn.LastUpdateStatus), "reason": aws.ToString(fn.LastUpdateStatusReason)},
			"last update status is %s, want Successful: %s", fn.LastUpdateStatus, aws.ToString(fn.LastUpdateStatusReason))
	}
	return pass()
}

func checkTracing(_ context.Context, _ *Hook, _ Target, fn *lambda.GetFunctionConfigurationOutput) outcome {
	mode := ltypes.TracingModePassThrough
	if fn.TracingConfig != nil && fn.TracingConfig.Mode != "" {
		mode = fn.TracingConfig.Mode
	}
	if mode != ltypes.TracingModeActive {
		return fail(map[string]any{"tracingMode": string(mode)}, "tracing mode is %s, want Active", mode)
	}
	return pass()
}

// checkAsyncDestination looks for a DLQ on the version, then an on-failure
// destination in the event invoke config of the alias (where SAM puts an
// EventInvokeConfig under AutoPublishAlias) and then of the version.
func checkAsyncDestination(ctx context.Context, h *Hook, t Target, fn *lambda.GetFunctionConfigurationOutput) outcome {
	name := shortName(t.Name)
	if !h.Config.isAsync(name, envOf(fn)) {
		return outcome{skipped: "not declared as asynchronously invoked"}
	}
	if fn.DeadLetterConfig != nil && aws.ToString(fn.DeadLetterConfig.TargetArn) != "" {
		return pass()
	}
	for _, q := range []string{t.Alias, t.TargetVersion} {
		out, err := h.Lambda.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{
			FunctionName: aws.String(unqualified(t.Name)), Qualifier: aws.String(q),
		})
		var nf *ltypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			continue
		}
		if err != nil {
			return outcome{err: fmt.Errorf("get event invoke config of %s:%s: %w", t.Name, q, err)}
		}
		if out.DestinationConfig != nil && out.DestinationConfig.OnFailure != nil && aws.ToString(out.DestinationConfig.OnFailure.Destination) != "" {
			return pass()
		}
	}
	return fail(map[string]any{"alias": t.Alias, "version": t.TargetVersion},
		"no dead-letter queue on the version and no on-failure destination on alias %s or version %s", t.Alias, t.TargetVersion)
}

func checkTimeout(_ context.Context, h *Hook, _ Target, fn *lambda.GetFunctionConfigurationOutput) outcome {
	got := aws.ToInt32(fn.Timeout)
	if got < h.Config.TimeoutMin || got > h.Config.TimeoutMax {
		return fail(map[string]any{"timeoutSeconds": got, "min": h.Config.TimeoutMin, "max": h.Config.TimeoutMax},
			"timeout is %ds, want %d..%ds", got, h.Config.TimeoutMin, h.Config.TimeoutMax)
	}
	return pass()
}

func checkMemory(_ context.Context, h *Hook, _ Target, fn *lambda.GetFunctionConfigurationOutput) outcome {
	got := aws.ToInt32(fn.MemorySize)
	if got < h.Config.MemoryMin || got > h.Config.MemoryMax {
		return fail(map[string]any{"memoryMB": got, "min": h.Config.MemoryMin, "max": h.Config.MemoryMax},
			"memory is %d MB, want %d..%d MB", got, h.Config.MemoryMin, h.Config.MemoryMax)
	}
	return pass()
}

func checkSecrets(_ context.Context, _ *Hook, _ Target, fn *lambda.GetFunctionConfigurationOutput) outcome {
	ms := secretscan.Scan(envOf(fn))
	if len(ms) == 0 {
		return pass()
	}
	parts := make([]string, len(ms))
	keys := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
		keys[i] = m.Key
	}
	return fail(map[string]any{"variables": ms, "keys": strings.Join(keys, ",")},
		"environment variables look like secrets: %s", strings.Join(parts, "; "))
}

func checkRuntime(_ context.Context, h *Hook, _ Target, fn *lambda.GetFunctionConfigurationOutput) outcome {
	if len(h.Config.Runtimes) == 0 {
		return outcome{skipped: "any runtime accepted"}
	}
	if fn.PackageType == ltypes.PackageTypeImage {
		return outcome{skipped: "container image has no managed runtime"}
	}
	if !slices.Contains(h.Config.Runtimes, string(fn.Runtime)) {
		return fail(map[string]any{"runtime": string(fn.Runtime), "accepted": h.Config.Runtimes},
			"runtime is %q, want one of %s", fn.Runtime, strings.Join(h.Config.Runtimes, ", "))
	}
	return pass()
}

func checkArchitecture(_ context.Context, h *Hook, _ Target, fn *lambda.GetFunctionConfigurationOutput) outcome {
	if len(h.Config.Architectures) == 0 {
		return outcome{skipped: "any architecture accepted"}
	}
	archs := fn.Architectures
	if len(archs) == 0 {
		archs = []ltypes.Architecture{ltypes.ArchitectureX8664} // Lambda's default
	}
	for _, a := range archs {
		if !slices.Contains(h.Config.Architectures, string(a)) {
			return fail(map[string]any{"architecture": string(a), "accepted": h.Config.Architectures},
				"architecture is %s, want one of %s", a, strings.Join(h.Config.Architectures, ", "))
		}
	}
	return pass()
}

func envOf(fn *lambda.GetFunctionConfigurationOutput) map[string]string {
	if fn == nil || fn.Environment == nil {
		return nil
	}
	return fn.Environment.Variables
}

// shortName reduces a function name or ARN, with or without a qualifier,
// to the bare name: arn:aws:lambda:r:a:function:NAME[:Q] or NAME[:Q].
func shortName(n string) string {
	if i := strings.Index(n, ":function:"); i >= 0 {
		n = n[i+len(":function:"):]
	}
	if i := strings.IndexByte(n, ':'); i >= 0 {
		n = n[:i]
	}
	return n
}

// unqualified strips a qualifier from a function name or ARN, so that the
// version can be passed as Qualifier without the two disagreeing.
func unqualified(n string) string {
	const sep = ":function:"
	if i := strings.Index(n, sep); i >= 0 {
		rest := n[i+len(sep):]
		if j := strings.IndexByte(rest, ':'); j >= 0 {
			rest = rest[:j]
		}
		return n[:i+len(sep)] + rest
	}
	if i := strings.IndexByte(n, ':'); i >= 0 {
		return n[:i]
	}
	return n
}
