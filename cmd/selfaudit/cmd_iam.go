package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/iamscan"
)

func init() {
	register("iam", command{
		summary: "scan the live account's roles, policies and Lambda resource policies",
		run:     runIAM,
	})
}

func runIAM(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "iam", "[--format text|json|sarif|asff|html] [--account ID] [--region REGION] [--fail-on LEVEL] [--all-roles] [--scp FILE ...] [--config FILE] [--baseline FILE] [--strict-suppressions] [--state-table NAME [--new-only]] [--quiet]")
	var ff findingFlags
	ff.register(fs, "text, json, sarif, asff (Security Hub) or html", "the scope is the account (from sts:GetCallerIdentity) and region, and a finding no longer seen is listed RESOLVED unless its role or function could not be read")
	allRoles := fs.Bool("all-roles", false, "judge every role, not only those Lambda can assume")
	scpFiles := scpFlag(fs)
	quiet := quietFlag(fs)
	out, done, exitCode := ff.parse(env, fs, args)
	if done {
		return exitCode
	}
	if fs.NArg() > 0 {
		return usageError(env, "iam", "unexpected argument %q", fs.Arg(0))
	}
	pol, err := ff.policyFlags.load(checks.EngineIAM)
	if err != nil {
		return usageError(env, "iam", "%s", oneLine(err))
	}
	scps, err := readSCPs(*scpFiles)
	if err != nil {
		return usageError(env, "iam", "%s", oneLine(err))
	}
	cfg, err := loadAWS(ctx)
	if err != nil {
		return usageError(env, "iam", "%v", err)
	}
	var who caller
	if ff.enabled() {
		if who, err = whoAmI(ctx, cfg); err != nil {
			return usageError(env, "iam", "%v", err)
		}
	}
	line := startProgress(env, *quiet, "iam")
	s := &iamscan.Scanner{IAM: iam.NewFromConfig(cfg), Lambda: lambda.NewFromConfig(cfg), AllRoles: *allRoles, SCPs: scps, Progress: line.Func()}
	res := s.ScanAccount(ctx)
	line.Done()
	notes := append([]string{fmt.Sprintf("judged %d roles, %d managed policies, %d function policies", res.Roles, res.Policies, res.Functions)}, res.Notes...)
	var code int
	if ff.enabled() {
		rec, err := withState(ctx, cfg, ff.table, iamscan.StoreScope(iamscan.Target{Scope: iamscan.ScopeAccount}, iamscan.Place{Partition: who.partition, Account: who.account, Region: cfg.Region}, *allRoles, res), res.Findings, pol)
		if err != nil {
			return usageError(env, "iam", "%s", oneLine(err))
		}
		code = emitRun(ctx, env, "iam", out, ff.newOnly, pol, res.Findings, &rec, notes...)
	} else {
		code = emitRun(ctx, env, "iam", out, false, pol, res.Findings, nil, notes...)
	}
	if len(res.Errors) > 0 {
		// An incomplete scan cannot report "clean": the findings above
		// stand, but the run fails as an input error naming what failed.
		for _, e := range res.Errors[1:] {
			fmt.Fprintf(env.stderr, "selfaudit iam: %v\n", e)
		}
		return usageError(env, "iam", "scan incomplete (%d resources unreadable): %v", len(res.Errors), res.Errors[0])
	}
	return code
}
