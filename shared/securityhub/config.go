package securityhub

import (
	"strings"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/lambdamain/env"
)

// The exporter's environment variables.
const (
	// EnvMinSeverity is the least severity exported: info (every finding,
	// the default), low, medium, high or critical. Resolutions are always
	// exported.
	EnvMinSeverity = "SECURITYHUB_MIN_SEVERITY"
	// EnvAttempts is how often a finding that failed for a passing reason
	// is tried in one invocation (1 to 10, default 4); SQS delivers what is
	// left again.
	EnvAttempts = "SECURITYHUB_ATTEMPTS"
)

// ExporterFromEnv builds the exporter of client from the environment:
// EnvMinSeverity, EnvAttempts and AWS_REGION (the Region of the product ARN
// when an event names none). Every bad variable is in the error.
func ExporterFromEnv(client ImportAPI, getenv func(string) string) (*Exporter, error) {
	r := env.New(getenv)
	min := r.Enum(EnvMinSeverity, "info", "info", "low", "medium", "high", "critical",
		"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
	sev, _ := findings.ParseSeverity(strings.ToLower(min))
	e := &Exporter{Client: client, MinSeverity: sev, Region: r.String("AWS_REGION", ""), Attempts: r.Int(EnvAttempts, 4, 1, 10)}
	return e, r.Err()
}
