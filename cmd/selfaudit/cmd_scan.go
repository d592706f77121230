package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/iamscan"
)

func init() {
	register("scan", command{
		summary: "check CloudFormation/SAM templates and IAM policy files for over-broad permissions",
		run:     runScan,
	})
}

func runScan(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "scan", "[--format text|json|sarif|asff|html] [--account ID] [--region REGION] [--fail-on LEVEL] [--config FILE] [--baseline FILE] [--strict-suppressions] [--scp FILE ...] [--state-table NAME [--new-only]] [--quiet] PATH...")
	var ff findingFlags
	ff.register(fs, "text, json, sarif, asff (Security Hub) or html", "the scope is the files scanned, and a finding gone from one of them is listed RESOLVED")
	scpFiles := scpFlag(fs)
	quiet := quietFlag(fs)
	out, done, exitCode := ff.parse(env, fs, args)
	if done {
		return exitCode
	}
	if fs.NArg() == 0 {
		return usageError(env, "scan", "no PATH given (templates, policy files or folders)")
	}
	pol, err := ff.policyFlags.load(checks.EngineIAM)
	if err != nil {
		return usageError(env, "scan", "%s", oneLine(err))
	}
	scps, err := readSCPs(*scpFiles)
	if err != nil {
		return usageError(env, "scan", "%s", oneLine(err))
	}
	line := startProgress(env, *quiet, "scan")
	s := &iamscan.FileScanner{Account: out.account, SCPs: scps, Progress: line.Func()}
	rep, err := s.ScanPaths(fs.Args())
	line.Done()
	if err != nil {
		return usageError(env, "scan", "%s", oneLine(err))
	}
	// A template's resources may carry suppressions of their own.
	if err := pol.addTemplates(rep.Scanned); err != nil {
		return usageError(env, "scan", "%s", oneLine(err))
	}
	notes := rep.Notes
	if rep.Files == 0 {
		notes = append(notes, fmt.Sprintf("no template or policy found in %s", strings.Join(fs.Args(), ", ")))
	}
	if !ff.enabled() {
		return emitRun(ctx, env, "scan", out, false, pol, rep.Findings, nil, notes...)
	}
	// The scope of a template scan is the files it read: a finding of
	// one of them that is gone is resolved; other files' findings stay.
	scope := findingstore.Scope{Scanner: scannerScan, Targets: distinct(rep.Scanned)}
	if len(scope.Targets) == 0 {
		// No file read, nothing to record or resolve (an empty Targets
		// would mean every file ever scanned).
		return emitRun(ctx, env, "scan", out, ff.newOnly, pol, nil, &reconciled{}, notes...)
	}
	cfg, err := loadAWS(ctx)
	if err != nil {
		return usageError(env, "scan", "%v", err)
	}
	rec, err := withState(ctx, cfg, ff.table, scope, rep.Findings, pol)
	if err != nil {
		return usageError(env, "scan", "%s", oneLine(err))
	}
	return emitRun(ctx, env, "scan", out, ff.newOnly, pol, rep.Findings, &rec, notes...)
}

// oneLine keeps an error to the single line promised in
// docs/architecture.md, "Command line and exit codes", whatever a parser put
// in its message.
func oneLine(err error) string {
	msg := err.Error()
	if errors.Is(err, iamscan.ErrInput) {
		msg = strings.Replace(msg, iamscan.ErrInput.Error()+": ", "", 1)
	}
	return strings.Join(strings.Fields(msg), " ")
}
