package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	ct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/selfaudit/selfaudit/shared/awsconfig/chain"
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/baseline"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iamscan"
	"github.com/selfaudit/selfaudit/shared/tracing"
)

func init() {
	register("trail", command{summary: "analyse CloudTrail files (or --lookup) for risky and unusual activity", run: runTrail})
}

// trailDeps are the AWS clients the live modes need; tests replace them.
type trailDeps struct {
	lookup func(ctx context.Context) (cloudtrail.LookupEventsAPI, error)
	store  func(ctx context.Context, table string) (*baseline.Store, error)
}

var defaultTrailDeps = trailDeps{
	lookup: func(ctx context.Context) (cloudtrail.LookupEventsAPI, error) {
		cfg, err := chain.Load(ctx, tracing.FromEnvironment())
		if err != nil {
			return nil, err
		}
		return ct.NewFromConfig(cfg), nil
	},
	store: func(ctx context.Context, table string) (*baseline.Store, error) {
		cfg, err := chain.Load(ctx, tracing.FromEnvironment())
		if err != nil {
			return nil, err
		}
		return &baseline.Store{Client: dynamodb.NewFromConfig(cfg), Table: table}, nil
	},
}

func runTrail(ctx context.Context, env *cliEnv, args []string) int {
	return runTrailWith(ctx, env, args, defaultTrailDeps)
}

func runTrailWith(ctx context.Context, env *cliEnv, args []string, deps trailDeps) int {
	fs := newFlagSet(env, "trail", "[--format text|json|asff|html] [--account ID] [--region REGION] [--fail-on LEVEL] [--table NAME] [--iam-details FILE] [--config FILE] [--baseline FILE] [--strict-suppressions] [--state-table NAME [--new-only]] [--quiet] (PATH... | --lookup --since 1h)")
	var rf reportFlags
	rf.register(fs, "text, json, asff (Security Hub) or html")
	var sf stateFlags
	sf.register(fs, "CloudTrail findings are events, so one read again is OPEN and none is ever RESOLVED")
	var pf policyFlags
	pf.register(fs)
	lookup := fs.Bool("lookup", false, "read recent management events from the account with LookupEvents instead of files")
	since := fs.Duration("since", time.Hour, "with --lookup: how far back to read")
	table := fs.String("table", "", "DynamoDB baseline table: enables CT009 and CT010 (and updates the baselines)")
	pipeline := fs.String("pipeline", "", "comma-separated ARNs (with * wildcards) of the deploy roles counted as the pipeline for CT001/CT002")
	trusted := fs.String("trusted-accounts", "", "comma-separated account IDs (the organisation's, partners') a role's trust policy may name without CT007 reporting it as opened outside the organisation")
	burst := fs.Int("burst", 0, "CT005: access errors from one principal within --burst-window that make a burst (default 10)")
	burstWindow := fs.Duration("burst-window", 0, "CT005 window (default 5m)")
	iamDetails := fs.String("iam-details", "", "the account's users, groups and policies (aws iam get-account-authorization-details --output json > FILE): CT014 is HIGH for the users that are administrators")
	quiet := quietFlag(fs)
	if done, code := parseFlags(env, fs, args); done {
		return code
	}
	rep, err := rf.parse()
	if err != nil {
		return usageError(env, "trail", "%v", err)
	}
	if rep.format == findings.FormatSARIF {
		return usageError(env, "trail", "--format sarif is for template scans; use text, json, asff or html")
	}
	if err := sf.parse(); err != nil {
		return usageError(env, "trail", "%v", err)
	}
	pol, err := pf.load(checks.EngineCloudTrail)
	if err != nil {
		return usageError(env, "trail", "%s", oneLine(err))
	}
	paths := fs.Args()
	switch {
	case *lookup && len(paths) > 0:
		return usageError(env, "trail", "give either PATH arguments or --lookup, not both")
	case !*lookup && len(paths) == 0:
		return usageError(env, "trail", "no CloudTrail files given (PATH... or --lookup --since 1h)")
	case *since <= 0:
		return usageError(env, "trail", "--since must be positive")
	}
	cfg := rules.DefaultConfig()
	for _, p := range strings.Split(*pipeline, ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.PipelinePrincipals = append(cfg.PipelinePrincipals, p)
		}
	}
	for _, a := range strings.Split(*trusted, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.TrustedAccounts = append(cfg.TrustedAccounts, a)
		}
	}
	if *burst > 0 {
		cfg.BurstThreshold = *burst
	}
	if *burstWindow > 0 {
		cfg.BurstWindow = *burstWindow
	}
	if *iamDetails != "" {
		admins, err := readAdminUsers(*iamDetails)
		if err != nil {
			return usageError(env, "trail", "%v", err)
		}
		cfg.Admins = admins
	}
	opts := cloudtrail.Options{Rules: cfg, Source: "selfaudit-cli"}
	if *table != "" {
		st, err := deps.store(ctx, *table)
		if err != nil {
			return usageError(env, "trail", "baseline table %s: %v", *table, err)
		}
		opts.Baseline = &baseline.Tracker{Store: st, Source: "selfaudit-cli"}
		opts.Windows = st
	}
	var out []findings.Finding
	var stats cloudtrail.Stats
	if *lookup {
		client, err := deps.lookup(ctx)
		if err != nil {
			return usageError(env, "trail", "%v", err)
		}
		a := cloudtrail.NewAnalyzer(opts)
		end := time.Now().UTC()
		line := startProgress(env, *quiet, "trail")
		err = a.Lookup(ctx, client, cloudtrail.LookupOptions{Start: end.Add(-*since), End: end, Progress: line.Func()})
		line.Done()
		if err != nil {
			return usageError(env, "trail", "%v", err)
		}
		out, stats, err = a.Finish(ctx)
		if err != nil {
			return usageError(env, "trail", "%v", err)
		}
	} else {
		line := startProgress(env, *quiet, "trail")
		opts.Progress = line.Func()
		out, stats, err = cloudtrail.AnalyzePaths(ctx, paths, opts)
		line.Done()
		if err != nil {
			return usageError(env, "trail", "%v", err)
		}
	}
	if env.stderrIsTerminal && !*quiet {
		fmt.Fprintf(env.stderr, "selfaudit trail: %d records from %d files, %d findings\n", stats.Records, stats.Files, len(out))
	}
	if !sf.enabled() {
		return emitRun(ctx, env, "trail", rep, false, pol, out, nil, stats.Notes...)
	}
	notes := append(append([]string{}, stats.Notes...), "CloudTrail findings are events: the findings table remembers them but never resolves one that is not seen again; one read again (the same file, an overlapping --lookup window) is OPEN")
	if len(out) == 0 {
		return emitRun(ctx, env, "trail", rep, sf.newOnly, pol, nil, &reconciled{}, notes...)
	}
	awsCfg, err := loadAWS(ctx)
	if err != nil {
		return usageError(env, "trail", "%v", err)
	}
	rec, err := withEventState(ctx, awsCfg, sf.table, out, pol)
	if err != nil {
		return usageError(env, "trail", "%s", oneLine(err))
	}
	return emitRun(ctx, env, "trail", rep, sf.newOnly, pol, out, &rec, notes...)
}

// readAdminUsers reads an account's authorization details (the AWS CLI's
// get-account-authorization-details JSON) and returns its administrator
// users.
func readAdminUsers(path string) (rules.AdminUserSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--iam-details: %w", err)
	}
	acct, err := iamscan.DecodeAuthorizationDetails(data)
	if err != nil {
		return nil, fmt.Errorf("--iam-details %s: %w", path, err)
	}
	set := rules.AdminUserSet{}
	for _, arn := range iamscan.AdminUsers(acct, nil, time.Now().UTC()) {
		set[arn] = true
	}
	return set, nil
}
