package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/fleet"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
	"github.com/selfaudit/selfaudit/shared/orgaudit/coordinator"
	"github.com/selfaudit/selfaudit/shared/orgaudit/fleetunit"
	"github.com/selfaudit/selfaudit/shared/orgaudit/iamunit"
)

func init() {
	register("org", command{
		summary: "audit every account of the AWS Organization through its member role (org audit)",
		run:     runOrg,
	})
}

const orgUsage = "audit [--role-name NAME] [--external-id ID] [--accounts IDS] [--exclude IDS] [--regions LIST] [--concurrency N] [--format text|json|sarif|asff|html] [--fail-on LEVEL] [--config FILE] [--baseline FILE] [--strict-suppressions]"

// collector is a findings bus that keeps what it is told, for printing.
type collector struct {
	mu sync.Mutex
	fs []findings.Finding
}

func (c *collector) Announce(_ context.Context, ts []findings.Tracked) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range ts {
		c.fs = append(c.fs, t.Finding)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// runOrg runs `org audit`: the organisation audit of the stack, with
// goroutines in place of the units queue and a ledger in memory in place
// of the runs table. The caller's credentials must list the organisation's
// accounts (the management account, or a delegated administrator) and
// assume the member role.
func runOrg(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] != "audit" {
		return usageError(env, "org", "want a subcommand: selfaudit org %s", orgUsage)
	}
	fs := newFlagSet(env, "org audit", orgUsage)
	var rf reportFlags
	var pf policyFlags
	rf.register(fs, "text, json, sarif, asff (Security Hub) or html")
	pf.register(fs)
	role := fs.String("role-name", orgaudit.DefaultRoleName, "the member role to assume in every account (org/member-role.yaml)")
	external := fs.String("external-id", "", "the sts:ExternalId the member role requires")
	accounts := fs.String("accounts", "", "comma-separated account, OU (ou-...) or root (r-...) IDs to audit; default every active account")
	exclude := fs.String("exclude", "", "comma-separated account, OU or root IDs to leave out")
	regions := fs.String("regions", "", "comma-separated regions of the fleet audits (the first is also the IAM scan's); default the configured region")
	concurrency := fs.Int("concurrency", 16, "units audited at once (1-500)")
	if done, code := parseFlags(env, fs, args[1:]); done {
		return code
	}
	out, err := rf.parse()
	if err != nil {
		return usageError(env, "org audit", "%v", err)
	}
	if fs.NArg() > 0 {
		return usageError(env, "org audit", "unexpected argument %q", fs.Arg(0))
	}
	if *concurrency < 1 || *concurrency > 500 {
		return usageError(env, "org audit", "--concurrency must be 1 to 500")
	}
	pol, err := pf.load(checks.EngineIAM, checks.EngineFleet, checks.EngineOrg)
	if err != nil {
		return usageError(env, "org audit", "%s", oneLine(err))
	}
	cfg, err := loadAWS(ctx)
	if err != nil {
		return usageError(env, "org audit", "%v", err)
	}
	plan := coordinator.Plan{Regions: splitList(*regions), Include: splitList(*accounts), Exclude: splitList(*exclude)}
	if len(plan.Regions) == 0 && cfg.Region != "" {
		plan.Regions = []string{cfg.Region}
	}
	plan.Scanners = orgaudit.Scanners()
	if err := plan.Validate(); err != nil {
		return usageError(env, "org audit", "%v", err)
	}
	who, err := whoAmI(ctx, cfg)
	if err != nil {
		return usageError(env, "org audit", "%v", err)
	}
	ids, orgARN, err := coordinator.Accounts(ctx, coordinator.NewOrganizations(cfg), plan)
	if err != nil {
		return usageError(env, "org audit", "%v", err)
	}
	if len(ids) == 0 {
		return usageError(env, "org audit", "the organisation has no active account the flags select")
	}
	now := time.Now().UTC()
	run := orgaudit.Run{ID: coordinator.NewRunID(now), Created: now, Deadline: now.Add(24 * time.Hour), Regions: plan.Regions, Scanners: plan.Scanners, Accounts: ids, Organization: orgARN}
	ledger := orgaudit.NewMemoryLedger()
	if err := ledger.Create(ctx, run); err != nil {
		return usageError(env, "org audit", "%v", err)
	}
	bus := &collector{}
	completer := &orgaudit.Completer{Ledger: ledger, Findings: findingstore.Delivery{Bus: bus}, AuditAccount: who.account}
	w := &orgaudit.Worker{
		Roles:    &orgaudit.Roles{STS: orgaudit.NewSTS(cfg), Base: cfg, RoleName: *role, ExternalID: *external, Partition: who.partition},
		Scanners: map[string]orgaudit.UnitScanner{orgaudit.ScannerIAM: iamunit.Scanner{Partition: who.partition}, orgaudit.ScannerFleet: fleetunit.Scanner{Config: fleet.Config{Source: "selfaudit-cli"}}},
		Ledger:   ledger, Delivery: findingstore.Delivery{Bus: bus},
	}
	var units []orgaudit.Unit
	for _, a := range ids {
		units = append(units, orgaudit.UnitsOf(run.ID, a, plan.Regions, plan.Scanners)...)
	}
	failures := fanOut(ctx, env, w, units, *concurrency)
	cov, err := completer.Complete(ctx, run.ID, true)
	if err != nil || cov == nil {
		return usageError(env, "org audit", "complete the run: %v", err)
	}
	notes := []string{fmt.Sprintf("audited %d of %d accounts in %s: units done %d, not covered %d, failed %d",
		cov.AccountsCovered, cov.Accounts, strings.Join(plan.Regions, ", "), cov.Done, cov.NotCovered, cov.Lost)}
	for _, g := range cov.Gaps {
		var why []string
		for _, k := range sortedKeys(g.NotCovered) {
			why = append(why, k+": "+g.NotCovered[k])
		}
		for _, k := range g.Lost {
			why = append(why, k+": "+failures[g.Account+"/"+k])
		}
		notes = append(notes, fmt.Sprintf("account %s not audited: %s", g.Account, strings.Join(why, "; ")))
	}
	return emitRun(ctx, env, "org audit", out, false, pol, bus.fs, nil, notes...)
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fanOut audits units with n goroutines, trying a failed unit three times,
// and returns why the units that still failed did, by "account/unit key".
// On a terminal it shows progress on stderr.
func fanOut(ctx context.Context, env *cliEnv, w *orgaudit.Worker, units []orgaudit.Unit, n int) map[string]string {
	jobs := make(chan orgaudit.Unit)
	var done atomic.Int64
	var mu sync.Mutex
	failures := map[string]string{}
	var wg sync.WaitGroup
	for range min(n, len(units)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				var err error
				for attempt := 0; attempt < 3; attempt++ {
					if _, err = w.Handle(ctx, orgaudit.Message{Kind: orgaudit.KindUnit, Unit: u}); err == nil || ctx.Err() != nil {
						break
					}
					time.Sleep(time.Duration(1<<attempt) * time.Second)
				}
				if err != nil {
					var nc *orgaudit.NotCoveredError
					if !errors.As(err, &nc) {
						mu.Lock()
						failures[u.Account+"/"+u.Key()] = oneLine(err)
						mu.Unlock()
					}
				}
				if d := done.Add(1); env.stderrIsTerminal {
					fmt.Fprintf(env.stderr, "\rselfaudit org audit: %d/%d units", d, len(units))
				}
			}
		}()
	}
	for _, u := range units {
		if ctx.Err() != nil {
			break
		}
		jobs <- u
	}
	close(jobs)
	wg.Wait()
	if env.stderrIsTerminal {
		fmt.Fprintln(env.stderr)
	}
	return failures
}
