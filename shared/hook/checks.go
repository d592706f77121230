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

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/secretscan"
)

// Check is one thing the hook verifies: its entry in the check registry
// (ID, severity, title, remediation...; see docs/architecture.md, "Check
// registry": add more with new IDs) and the short Name that
// HOOK_DISABLED_CHECKS and the hook's results use.
type Check struct {
	checks.Check
	Name string
}

// newCheck enters one of the hook's checks in the check registry: every
// hook check runs on a CodeDeploy deployment.
func newCheck(name string, c checks.Check) Check {
	c.Engine = checks.EngineHook
	c.Inputs = []checks.Input{checks.InputDeployment}
	return Check{Check: checks.Register(c), Name: name}
}

// The configurable checks, in the order they run.
var (
	CheckTracing = newCheck("tracing", checks.Check{ID: "HOOK001", Severity: findings.Medium,
		Title:       "Target version does not have active X-Ray tracing",
		Description: "The version about to receive traffic does not have active X-Ray tracing, so its requests could not be followed once it serves them.",
		Remediation: "Set Tracing: Active on the function (the stack's Globals do).",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html"}, SecurityHub: []string{"Lambda.7"}},
	})
	CheckAsyncDestination = newCheck("async-destination", checks.Check{ID: "HOOK002", Severity: findings.High,
		Title:       "Asynchronously invoked target version has no DLQ or on-failure destination",
		Description: "The target version is declared as invoked asynchronously (listed in HOOK_ASYNC_FUNCTIONS, or SELFAUDIT_INVOKED_ASYNC=true in its environment) but has no dead-letter queue and no on-failure destination on its alias or version: once it takes traffic, events that fail after their retries are dropped.",
		Remediation: "Give the function a DeadLetterQueue or an EventInvokeConfig with DestinationConfig.OnFailure, so failed events are kept.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"}},
	})
	CheckTimeout = newCheck("timeout", checks.Check{ID: "HOOK003", Severity: findings.Medium,
		Title:       "Target version's timeout is outside the accepted bounds",
		Description: "The target version's timeout is outside the bounds the stack accepts (HOOK_TIMEOUT_MIN_SECONDS to HOOK_TIMEOUT_MAX_SECONDS): too short fails real requests, too long lets a stuck invocation hold concurrency and cost.",
		Remediation: "Set Timeout within HOOK_TIMEOUT_MIN_SECONDS..HOOK_TIMEOUT_MAX_SECONDS, or change the bounds if the function really needs it.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html"}},
	})
	CheckMemory = newCheck("memory", checks.Check{ID: "HOOK004", Severity: findings.Medium,
		Title:       "Target version's memory size is outside the accepted bounds",
		Description: "The target version's memory size is outside the bounds the stack accepts (HOOK_MEMORY_MIN_MB to HOOK_MEMORY_MAX_MB): too little fails out of memory, too much is paid for on every invocation.",
		Remediation: "Set MemorySize within HOOK_MEMORY_MIN_MB..HOOK_MEMORY_MAX_MB, or change the bounds.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html"}},
	})
	CheckSecrets = newCheck("env-secrets", checks.Check{ID: "HOOK005", Severity: findings.Critical,
		Title:       "Target version's environment holds a secret-looking value",
		Description: "An environment variable of the target version looks like a secret (a key, token or password): it would ship in clear text to everyone who can read the function's configuration.",
		Remediation: "Move the secret to SSM Parameter Store or Secrets Manager and keep only its name or ARN in the environment; rotate the exposed secret.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html"}},
	})
	CheckRuntime = newCheck("runtime", checks.Check{ID: "HOOK006", Severity: findings.Medium,
		Title:       "Target version's runtime is not one the stack expects",
		Description: "The target version's runtime is not one the stack expects (HOOK_RUNTIMES), for example a deprecated runtime or a build for the wrong platform.",
		Remediation: "Use the runtime listed in HOOK_RUNTIMES (provided.al2023 by default).",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"}},
	})
	CheckArchitecture = newCheck("architecture", checks.Check{ID: "HOOK007", Severity: findings.Low,
		Title:       "Target version's architecture is not one the stack expects",
		Description: "The target version's instruction set architecture is not one the stack expects (HOOK_ARCHITECTURES): a bootstrap built for another architecture fails to start.",
		Remediation: "Use the architecture listed in HOOK_ARCHITECTURES (arm64 by default).",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/foundation-arch.html"}},
	})
	CheckState = newCheck("state", checks.Check{ID: "HOOK008", Severity: findings.High,
		Title:       "Target version is not Active or its last update did not succeed",
		Description: "The target version is not Active, or its last update did not succeed, so it cannot serve traffic reliably.",
		Remediation: "Wait for the version to become Active; look at StateReason and LastUpdateStatusReason.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html"}},
	})
	CheckSmoke = newCheck("smoke", checks.Check{ID: "HOOK010", Severity: findings.High,
		Title:       "Smoke invocation of the target version failed",
		Description: "Invoking the target version with one of its smoke events failed or returned a function error: the version would fail real traffic the same way.",
		Remediation: "Look at the function's log for the smoke invocation; fix the error or the smoke event.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html"}},
	})
	CheckSmokeLatency = newCheck("smoke-latency", checks.Check{ID: "HOOK011", Severity: findings.Medium,
		Title:       "Smoke invocation of the target version exceeded its latency budget",
		Description: "A smoke invocation of the target version took longer than its share of the latency budget (HOOK_LATENCY_SHARE of the timeout): real requests would be slow or time out.",
		Remediation: "Find what made the invocation slow (cold start, dependencies), or raise HOOK_LATENCY_SHARE.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html", "https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html"}},
	})
	CheckSmokeResponse = newCheck("smoke-response", checks.Check{ID: "HOOK012", Severity: findings.High,
		Title:       "Smoke invocation's response lacks the expected fragment",
		Description: "A smoke invocation's response lacks the fragment its smoke case expects: the version runs but answers wrongly.",
		Remediation: "Compare the function's response with the smoke case's expect field.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html"}},
	})
)

// Checks the hook cannot switch off: they report why no verdict on the
// version itself could be reached.
var (
	CheckVerdict = newCheck("verdict", checks.Check{ID: "HOOK000", Severity: findings.Info,
		Title:       "Target version passed the pre-traffic checks",
		Description: "Records that a target version passed every enabled pre-traffic check, so that the findings bus holds every verdict and not only the failures.",
		Remediation: "",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html"}},
	})
	CheckDeployment = newCheck("deployment", checks.Check{ID: "HOOK090", Severity: findings.High,
		Title:       "Deployment or its AppSpec could not be read",
		Description: "The hook could not read the deployment or its AppSpec from CodeDeploy, or the AppSpec names no valid target, so no version could be judged and the deployment is stopped.",
		Remediation: "Check the hook's permissions (codedeploy:GetDeployment, codedeploy:GetApplicationRevision) and the AppSpec.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html", "https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html"}},
	})
	CheckAWSError = newCheck("aws-error", checks.Check{ID: "HOOK091", Severity: findings.High,
		Title:       "An AWS call failed while checking the target version",
		Description: "An AWS call the hook needed (reading the version's configuration or invoke settings, or invoking it) failed, so the check it served could not reach a verdict and the deployment is stopped to be safe.",
		Remediation: "Check the hook's permissions on the function and retry the deployment.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html"}},
	})
	CheckPanic = newCheck("panic", checks.Check{ID: "HOOK092", Severity: findings.High,
		Title:       "The pre-traffic hook panicked",
		Description: "A check of the pre-traffic hook panicked: a bug in the hook, not in the version. The deployment is stopped to be safe, and the evidence names where it happened.",
		Remediation: "This is a bug in the hook; the evidence names where. The deployment was stopped to be safe.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html"}},
	})
	CheckDeadline = newCheck("deadline", checks.Check{ID: "HOOK093", Severity: findings.High,
		Title:       "The pre-traffic hook ran out of time before all checks finished",
		Description: "The hook ran out of time before every check finished; it reports the verdict before its own invocation deadline rather than leave CodeDeploy waiting.",
		Remediation: "Raise the hook's Timeout or lower the smoke latency budget; look for slow AWS calls.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html", "https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html"}},
	})
	CheckHookConfig = newCheck("hook-config", checks.Check{ID: "HOOK094", Severity: findings.High,
		Title:       "The pre-traffic hook's configuration is invalid",
		Description: "The hook's own HOOK_* configuration is invalid, so it cannot judge versions; every deployment fails until the configuration is fixed.",
		Remediation: "Fix the HOOK_* environment variables of the hook; the evidence names the bad ones.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html"}},
	})
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
	return Check{Check: checks.Check{ID: id, Severity: findings.High, Title: id}, Name: id}
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
