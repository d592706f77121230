package hook

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of the hook. The zero value is not useful;
// start from DefaultConfig (production defaults) or ConfigFromEnv.
type Config struct {
	// Disabled holds the IDs of checks that are switched off.
	Disabled map[string]bool
	// AsyncFunctions names the functions (short names) that are invoked
	// asynchronously and so need a DLQ or on-failure destination; "*"
	// means every function. A function also counts as asynchronous when
	// its own environment sets AsyncMarkerVariable to "true".
	AsyncFunctions []string
	// TimeoutMin and TimeoutMax bound the function timeout, in seconds.
	TimeoutMin, TimeoutMax int32
	// MemoryMin and MemoryMax bound the memory size, in MB.
	MemoryMin, MemoryMax int32
	// Runtimes and Architectures list what is accepted; empty accepts
	// anything.
	Runtimes      []string
	Architectures []string
	// SmokeParameter is an SSM parameter holding the smoke cases; it may
	// contain {function}. It takes precedence over SmokeFile.
	SmokeParameter string
	// SmokeFile is a file with the smoke cases: a path in the hook's
	// bundled files or an absolute path; it may contain {function}.
	SmokeFile string
	// LatencyShare is the share of the function's timeout a smoke
	// invocation may take.
	LatencyShare float64
	// ReportMargin is kept back from the invocation deadline for the
	// status report and its retries.
	ReportMargin time.Duration
	// ReportAttempts is how often a transient failure of the status
	// report is tried, on top of the SDK's own retries.
	ReportAttempts int
	// PanicIn makes the check with this ID panic. It exists only so that
	// end-to-end tests can prove a panic still reports Failed; it is read
	// from SELFAUDIT_HOOK_TEST_PANIC and must never be set in a deployment.
	PanicIn string
}

// AsyncMarkerVariable is the environment variable a target function sets
// to "true" to declare that it is invoked asynchronously.
const AsyncMarkerVariable = "SELFAUDIT_INVOKED_ASYNC"

// Environment variables read by ConfigFromEnv.
const (
	EnvDisabledChecks = "HOOK_DISABLED_CHECKS"
	EnvAsyncFunctions = "HOOK_ASYNC_FUNCTIONS"
	EnvTimeoutMin     = "HOOK_TIMEOUT_MIN_SECONDS"
	EnvTimeoutMax     = "HOOK_TIMEOUT_MAX_SECONDS"
	EnvMemoryMin      = "HOOK_MEMORY_MIN_MB"
	EnvMemoryMax      = "HOOK_MEMORY_MAX_MB"
	EnvRuntimes       = "HOOK_RUNTIMES"
	EnvArchitectures  = "HOOK_ARCHITECTURES"
	EnvSmokeParameter = "HOOK_SMOKE_PARAMETER"
	EnvSmokeFile      = "HOOK_SMOKE_FILE"
	EnvLatencyShare   = "HOOK_LATENCY_SHARE"
	EnvReportMargin   = "HOOK_REPORT_MARGIN"
	EnvReportAttempts = "HOOK_REPORT_ATTEMPTS"
	EnvTestPanic      = "SELFAUDIT_HOOK_TEST_PANIC"
)

// DefaultConfig returns the production defaults: every check on, the
// stack's runtime and architecture (docs/architecture.md, "The stack"), a
// timeout between 3 s and
// 5 min, memory between 128 MB and 3008 MB, one `{}` smoke event that may
// take half the timeout.
func DefaultConfig() Config {
	return Config{
		Disabled:       map[string]bool{},
		TimeoutMin:     3,
		TimeoutMax:     300,
		MemoryMin:      128,
		MemoryMax:      3008,
		Runtimes:       []string{"provided.al2023"},
		Architectures:  []string{"arm64"},
		LatencyShare:   0.5,
		ReportMargin:   3 * time.Second,
		ReportAttempts: 5,
	}
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in
// main). An unset variable keeps its default; an empty HOOK_RUNTIMES or
// HOOK_ARCHITECTURES must be written as "*" to accept anything. Every
// malformed value is reported, not only the first.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	var errs []error
	if v := getenv(EnvDisabledChecks); v != "" {
		for _, name := range splitList(v) {
			chk, ok := LookupCheck(name)
			if !ok {
				errs = append(errs, fmt.Errorf("%s: unknown check %q", EnvDisabledChecks, name))
				continue
			}
			c.Disabled[chk.ID] = true
			if chk.ID == CheckSmoke.ID {
				// Without invocations there is nothing to time or match.
				c.Disabled[CheckSmokeLatency.ID] = true
				c.Disabled[CheckSmokeResponse.ID] = true
			}
		}
	}
	c.AsyncFunctions = splitList(getenv(EnvAsyncFunctions))
	readInt := func(name string, dst *int32, min, max int32) {
		v := getenv(name)
		if v == "" {
			return
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || int32(n) < min || int32(n) > max {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number between %d and %d", name, v, min, max))
			return
		}
		*dst = int32(n)
	}
	readInt(EnvTimeoutMin, &c.TimeoutMin, 1, 900)
	readInt(EnvTimeoutMax, &c.TimeoutMax, 1, 900)
	readInt(EnvMemoryMin, &c.MemoryMin, 128, 10240)
	readInt(EnvMemoryMax, &c.MemoryMax, 128, 10240)
	if c.TimeoutMin > c.TimeoutMax {
		errs = append(errs, fmt.Errorf("%s (%d) is above %s (%d)", EnvTimeoutMin, c.TimeoutMin, EnvTimeoutMax, c.TimeoutMax))
	}
	if c.MemoryMin > c.MemoryMax {
		errs = append(errs, fmt.Errorf("%s (%d) is above %s (%d)", EnvMemoryMin, c.MemoryMin, EnvMemoryMax, c.MemoryMax))
	}
	readList := func(name string, dst *[]string) {
		v := strings.TrimSpace(getenv(name))
		switch v {
		case "":
		case "*":
			*dst = nil
		default:
			*dst = splitList(v)
		}
	}
	readList(EnvRuntimes, &c.Runtimes)
	readList(EnvArchitectures, &c.Architectures)
	c.SmokeParameter = strings.TrimSpace(getenv(EnvSmokeParameter))
	c.SmokeFile = strings.TrimSpace(getenv(EnvSmokeFile))
	if v := getenv(EnvLatencyShare); v != "" {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 || f > 1 {
			errs = append(errs, fmt.Errorf("%s: %q is not a number in (0, 1]", EnvLatencyShare, v))
		} else {
			c.LatencyShare = f
		}
	}
	if v := getenv(EnvReportMargin); v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < 0 || d > 5*time.Minute {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration between 0s and 5m", EnvReportMargin, v))
		} else {
			c.ReportMargin = d
		}
	}
	if v := getenv(EnvReportAttempts); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 20 {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number between 1 and 20", EnvReportAttempts, v))
		} else {
			c.ReportAttempts = n
		}
	}
	if v := strings.TrimSpace(getenv(EnvTestPanic)); v != "" {
		chk, ok := LookupCheck(v)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown check %q", EnvTestPanic, v))
		} else {
			c.PanicIn = chk.ID
		}
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("hook configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// splitList splits a comma- or space-separated list, dropping empties.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// enabled reports whether the check with this ID runs.
func (c Config) enabled(id string) bool { return !c.Disabled[id] }

// isAsync reports whether the function is configured, or declares itself,
// as invoked asynchronously.
func (c Config) isAsync(name string, env map[string]string) bool {
	for _, f := range c.AsyncFunctions {
		if f == "*" || f == name {
			return true
		}
	}
	return strings.EqualFold(strings.TrimSpace(env[AsyncMarkerVariable]), "true")
}
