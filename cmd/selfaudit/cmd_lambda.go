package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/fleet"
)

func init() {
	register("lambda", command{
		summary: "audit every Lambda function of the account against the operations checklist",
		run:     runLambda,
	})
}

func runLambda(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "lambda", "[--format text|json|sarif|asff|html] [--account ID] [--region REGION] [--fail-on LEVEL] [--lookback-days 14] [--error-rate 0.05] [--reports auto|insights|events|off] [--config FILE] [--baseline FILE] [--strict-suppressions] [--state-table NAME [--new-only]] [--quiet]")
	var ff findingFlags
	ff.register(fs, "text, json, sarif, asff (Security Hub) or html", "the scope is the account (from sts:GetCallerIdentity) and region, and a finding no longer seen is listed RESOLVED unless the REPORT lines of its function were not read")
	days := fs.Int("lookback-days", 14, "days of metrics and REPORT lines to judge (1-63)")
	errorRate := fs.Float64("error-rate", 0.05, "Errors/Invocations above which LMB117 fires")
	reports := fs.String("reports", "auto", "where memory figures come from: auto (Logs Insights, else log events), insights, events, or off")
	quiet := quietFlag(fs)
	out, done, exitCode := ff.parse(env, fs, args)
	if done {
		return exitCode
	}
	if fs.NArg() > 0 {
		return usageError(env, "lambda", "unexpected argument %q", fs.Arg(0))
	}
	if *days < 1 || *days > 63 {
		return usageError(env, "lambda", "--lookback-days must be 1 to 63 (CloudWatch keeps hourly data for 63 days)")
	}
	if !(*errorRate > 0 && *errorRate < 1) {
		return usageError(env, "lambda", "--error-rate must be between 0 and 1")
	}
	rs, err := fleet.ParseReportSource(*reports)
	if err != nil {
		return usageError(env, "lambda", "--reports: %v", err)
	}
	pol, err := ff.policyFlags.load(checks.EngineFleet)
	if err != nil {
		return usageError(env, "lambda", "%s", oneLine(err))
	}
	awsCfg, err := loadAWS(ctx)
	if err != nil {
		return usageError(env, "lambda", "%v", err)
	}
	var who caller
	if ff.enabled() {
		if who, err = whoAmI(ctx, awsCfg); err != nil {
			return usageError(env, "lambda", "%v", err)
		}
	}
	line := startProgress(env, *quiet, "lambda")
	a := fleet.New(lambda.NewFromConfig(awsCfg), cloudwatch.NewFromConfig(awsCfg), cloudwatchlogs.NewFromConfig(awsCfg), fleet.Config{
		Source:    "selfaudit-cli",
		Lookback:  time.Duration(*days) * 24 * time.Hour,
		ErrorRate: *errorRate,
		Reports:   rs,
		Progress:  line.Func(),
	})
	res, err := a.Run(ctx)
	line.Done()
	if err != nil {
		return usageError(env, "lambda", "%v", err)
	}
	notes := append([]string{fmt.Sprintf("audited %d functions in %s", res.Functions, awsCfg.Region)}, res.Notes...)
	if !ff.enabled() {
		return emitRun(ctx, env, "lambda", out, false, pol, res.Findings, nil, notes...)
	}
	rec, err := withState(ctx, awsCfg, ff.table, res.StoreScope(who.account, awsCfg.Region), res.Findings, pol)
	if err != nil {
		return usageError(env, "lambda", "%s", oneLine(err))
	}
	return emitRun(ctx, env, "lambda", out, ff.newOnly, pol, res.Findings, &rec, notes...)
}
