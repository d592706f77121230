package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iamscan"
)

func init() {
	register("audit", command{
		summary: "offline self-audit of ./template.yaml and events/cloudtrail",
		run:     runAudit,
	})
}

// auditTemplate is the repository's own SAM template, relative to the
// working directory (make audit runs from the repository root).
const auditTemplate = "template.yaml"

// auditTrail holds the sample CloudTrail files, written for the project
// with a few planted problems.
const auditTrail = "events/cloudtrail"

// runAudit is the newcomer's demo: it prints real findings and exits 0
// whatever they are, 2 only when the input cannot be read.
func runAudit(ctx context.Context, env *cliEnv, args []string) int {
	fset := newFlagSet(env, "audit", "[--format text|json|html] [--config FILE] [--baseline FILE] [--strict-suppressions]")
	format := fset.String("format", "text", "output format: text, json or html")
	var pf policyFlags
	pf.register(fset)
	if done, code := parseFlags(env, fset, args); done {
		return code
	}
	f, err := findings.ParseFormat(*format)
	if err != nil || (f != findings.FormatText && f != findings.FormatJSON && f != findings.FormatHTML) {
		return usageError(env, "audit", "--format must be text, json or html")
	}
	pol, err := pf.load(checks.EngineIAM, checks.EngineCloudTrail)
	if err != nil {
		return usageError(env, "audit", "%s", oneLine(err))
	}
	var found []findings.Finding
	var notes []string
	if _, err := os.Stat(auditTemplate); errors.Is(err, fs.ErrNotExist) {
		notes = append(notes, fmt.Sprintf("%s not found in this folder: template scan skipped (run from the repository root)", auditTemplate))
	} else {
		rep, err := (&iamscan.FileScanner{}).ScanPaths([]string{auditTemplate})
		if err != nil {
			return usageError(env, "audit", "%s", oneLine(err))
		}
		if err := pol.addTemplates(rep.Scanned); err != nil {
			return usageError(env, "audit", "%s", oneLine(err))
		}
		found = rep.Findings
		notes = append(notes, rep.Notes...)
		notes = append(notes, fmt.Sprintf("scanned %s", auditTemplate))
	}
	if _, err := os.Stat(auditTrail); errors.Is(err, fs.ErrNotExist) {
		notes = append(notes, fmt.Sprintf("%s not found in this folder: CloudTrail analysis skipped (run from the repository root)", auditTrail))
	} else {
		trail, stats, err := cloudtrail.AnalyzePaths(ctx, []string{auditTrail}, cloudtrail.Options{Rules: rules.DefaultConfig(), Source: "selfaudit-cli"})
		if err != nil {
			return usageError(env, "audit", "%s", oneLine(err))
		}
		found = append(found, trail...)
		notes = append(notes, stats.Notes...)
		notes = append(notes, fmt.Sprintf("analysed %s: %d files, %d records (%d malformed, %d not CloudTrail)", auditTrail, stats.Files, stats.Records, stats.Malformed, stats.Unknown))
	}
	if code := emitRun(ctx, env, "audit", output{format: f}, false, pol, found, nil, notes...); code == exitUsage {
		return code
	}
	return exitOK
}
