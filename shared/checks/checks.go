package checks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// Engine names the part of selfaudit that runs a check.
type Engine string

// The engines.
const (
	// EngineIAM judges IAM policy documents and Lambda resource policies,
	// in templates and in the live account (package iampolicy).
	EngineIAM Engine = "iam"
	// EngineCloudTrail judges CloudTrail events (package cloudtrail).
	EngineCloudTrail Engine = "cloudtrail"
	// EngineFleet audits every Lambda function of an account against the
	// operations checklist (package fleet).
	EngineFleet Engine = "fleet"
	// EngineHook verifies a new function version before CodeDeploy shifts
	// traffic to it (package hook).
	EngineHook Engine = "hook"
	// EngineOrg audits an AWS Organization account by account and reports
	// what it could not reach (package orgaudit).
	EngineOrg Engine = "org"
)

// Engines lists every engine in the order the registry documents them.
func Engines() []Engine {
	return []Engine{EngineIAM, EngineCloudTrail, EngineFleet, EngineHook, EngineOrg}
}

// Input names what a check reads.
type Input string

// The inputs.
const (
	// InputTemplate is a CloudFormation or SAM template, or a policy file.
	InputTemplate Input = "template"
	// InputAccount is the live account's IAM and Lambda configuration.
	InputAccount Input = "account"
	// InputCloudTrail is CloudTrail events, live or from log files.
	InputCloudTrail Input = "cloudtrail"
	// InputFleet is the live Lambda fleet: configuration, alarms, metrics
	// and logs of every function.
	InputFleet Input = "fleet"
	// InputDeployment is a CodeDeploy deployment and the function version
	// it is about to send traffic to.
	InputDeployment Input = "deployment"
	// InputOrganization is an organisation audit run: which accounts,
	// regions and scanners it covered.
	InputOrganization Input = "organization"
)

// Inputs lists every input.
func Inputs() []Input {
	return []Input{InputTemplate, InputAccount, InputCloudTrail, InputFleet, InputDeployment, InputOrganization}
}

// References point at what explains a check. Docs is required; the
// controls are given only where one really tests the same thing.
type References struct {
	// Docs are AWS documentation pages (https://docs.aws.amazon.com/...),
	// the most relevant first.
	Docs []string `json:"docs"`
	// SecurityHub are AWS Security Hub control IDs, such as "Lambda.1".
	SecurityHub []string `json:"securityHub,omitempty"`
}

// Check is one check of one engine.
type Check struct {
	// ID is the contract: "IAM001", "CT005", "LMB110", "HOOK002".
	ID     string `json:"id"`
	Engine Engine `json:"engine"`
	// Severity is the default; an engine may raise or lower a single
	// finding (a restrictive condition, a root sign-in without MFA).
	Severity findings.Severity `json:"severity"`
	// Title is what a finding says; some engines prefix or suffix it with
	// the resource or the reason.
	Title string `json:"title"`
	// Description says what the check detects and why it matters.
	Description string `json:"description"`
	// Remediation says what to do. Empty only for INFO checks, which
	// record a verdict rather than a problem.
	Remediation string     `json:"remediation"`
	References  References `json:"references"`
	// Inputs are what the check runs on.
	Inputs []Input `json:"inputs"`
	// Techniques are the MITRE ATT&CK (Enterprise, cloud) technique IDs the
	// check detects, such as "T1562.008" (Disable or Modify Cloud Logs), so
	// that a security team can map its coverage. Every CloudTrail check
	// lists at least one; the posture checks may list none.
	Techniques []string `json:"techniques,omitempty"`
}

// TechniqueURL is the MITRE ATT&CK page of a technique ID: "T1562.008" is
// https://attack.mitre.org/techniques/T1562/008/.
func TechniqueURL(id string) string {
	if !techniquePattern.MatchString(id) {
		return ""
	}
	return "https://attack.mitre.org/techniques/" + strings.Replace(id, ".", "/", 1) + "/"
}

// HelpURI is the first documentation page, for tools that show one link.
func (c Check) HelpURI() string {
	if len(c.References.Docs) == 0 {
		return ""
	}
	return c.References.Docs[0]
}

// SecurityHubURL is the AWS documentation page of a Security Hub control:
// "Lambda.1" is lambda-controls.html#lambda-1.
func SecurityHubURL(control string) string {
	svc, n, ok := strings.Cut(control, ".")
	if !ok {
		return ""
	}
	svc = strings.ToLower(svc)
	return "https://docs.aws.amazon.com/securityhub/latest/userguide/" + svc + "-controls.html#" + svc + "-" + n
}

var (
	idPattern          = regexp.MustCompile(`^[A-Z]{2,4}[0-9]{3}$`)
	securityHubPattern = regexp.MustCompile(`^[A-Za-z0-9]+\.[0-9]+$`)
	// techniquePattern is an ATT&CK technique or sub-technique ID.
	techniquePattern = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
)

// docsPrefix is where every documentation reference must point: the
// registry cites AWS's own pages, not third-party write-ups.
const docsPrefix = "https://docs.aws.amazon.com/"

// Validate reports the first thing that makes c unfit for the registry.
func (c Check) Validate() error {
	if !idPattern.MatchString(c.ID) {
		return fmt.Errorf("check ID %q: want 2 to 4 capital letters and 3 digits, such as IAM001", c.ID)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("check %s: %s", c.ID, fmt.Sprintf(format, a...))
	}
	switch {
	case !slices.Contains(Engines(), c.Engine):
		return bad("unknown engine %q", c.Engine)
	case c.Severity < findings.Info || c.Severity > findings.Critical:
		return bad("invalid severity %d", int(c.Severity))
	case strings.TrimSpace(c.Title) == "":
		return bad("empty title")
	case strings.TrimSpace(c.Description) == "":
		return bad("empty description")
	case strings.TrimSpace(c.Remediation) == "" && c.Severity != findings.Info:
		return bad("empty remediation (only INFO checks may have none)")
	case len(c.References.Docs) == 0:
		return bad("no documentation reference")
	case len(c.Inputs) == 0:
		return bad("no inputs")
	}
	for _, d := range c.References.Docs {
		if !strings.HasPrefix(d, docsPrefix) || strings.ContainsAny(d, " \t\n") {
			return bad("documentation reference %q is not an AWS documentation page (%s...)", d, docsPrefix)
		}
	}
	for _, sh := range c.References.SecurityHub {
		if !securityHubPattern.MatchString(sh) {
			return bad("Security Hub control %q: want Service.N, such as Lambda.1", sh)
		}
	}
	for i, tq := range c.Techniques {
		if !techniquePattern.MatchString(tq) {
			return bad("ATT&CK technique %q: want T and four digits, optionally a dot and three more, such as T1562.008", tq)
		}
		if slices.Contains(c.Techniques[:i], tq) {
			return bad("ATT&CK technique %q listed twice", tq)
		}
	}
	seen := map[Input]bool{}
	for _, in := range c.Inputs {
		if !slices.Contains(Inputs(), in) {
			return bad("unknown input %q", in)
		}
		if seen[in] {
			return bad("input %q listed twice", in)
		}
		seen[in] = true
	}
	return nil
}
