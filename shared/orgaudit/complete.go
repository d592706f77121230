package orgaudit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
)

// DetailTypeCompleted is the detail type of the run's completion event on
// the findings bus (source "selfaudit"); its detail is a Coverage.
const DetailTypeCompleted = "Selfaudit Audit Run Completed"

// Source is the source field of ORG001 findings and the scanner of their
// scope in the finding store.
const Source = "org-coordinator"

// ORG001 names every account a run could not audit.
var ORG001 = checks.Register(checks.Check{
	ID: "ORG001", Engine: checks.EngineOrg, Severity: findings.High,
	Inputs:      []checks.Input{checks.InputOrganization},
	Title:       "Accounts of the organisation were not audited",
	Description: "An organisation audit run could not audit every unit (account, region, scanner) it planned: the member role is missing or denied in some accounts, or units were still unfinished at the run's deadline. Those accounts' Lambda estates went unchecked. The finding is CRITICAL when more than 10 % of the accounts were not audited.",
	Remediation: "Deploy the member role (org/member-role.yaml, as a service-managed StackSet with automatic deployment) to every account named in the evidence, check its trust policy names this audit account's scanner roles and external ID, and re-drive the units queue's DLQ for units that failed.",
	References: checks.References{Docs: []string{
		"https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html",
	}},
})

// AccountGap is an account not audited completely, with why.
type AccountGap struct {
	Account string `json:"account"`
	// NotCovered maps a unit ("scanner@region") to why it was not
	// covered; Lost lists the units unfinished at the deadline.
	NotCovered map[string]string `json:"notCovered,omitempty"`
	Lost       []string          `json:"lost,omitempty"`
}

// RegionCoverage is how many accounts' fleet audits of a region finished.
type RegionCoverage struct {
	Region     string `json:"region"`
	Covered    int    `json:"covered"`
	NotCovered int    `json:"notCovered"`
}

// Coverage is the detail of the completion event: what a run audited and
// what it could not.
type Coverage struct {
	Run       string    `json:"run"`
	Started   time.Time `json:"started"`
	Deadline  time.Time `json:"deadline"`
	Completed time.Time `json:"completed"`
	// TimedOut is true when the deadline closed the run with units left.
	TimedOut bool `json:"timedOut"`
	Accounts int  `json:"accounts"`
	// AccountsCovered counts the accounts every unit of which was done.
	AccountsCovered int              `json:"accountsCovered"`
	Regions         []RegionCoverage `json:"regions"`
	Units           int              `json:"units"`
	Done            int              `json:"done"`
	NotCovered      int              `json:"notCovered"`
	Lost            int              `json:"lost"`
	// Findings are the changes announced and the findings standing, over
	// the units done.
	Findings Tally `json:"findings"`
	// Gaps lists every account not audited completely, sorted.
	Gaps []AccountGap `json:"gaps"`
}

// CoverageOf sums a run's state.
func CoverageOf(st *RunState, now time.Time) Coverage {
	cov := Coverage{Run: st.Run.ID, Started: st.Run.Created, Deadline: st.Run.Deadline, Completed: now.UTC(),
		Accounts: len(st.Accounts), Gaps: []AccountGap{}}
	byRegion := map[string]*RegionCoverage{}
	for _, r := range st.Run.Regions {
		byRegion[r] = &RegionCoverage{Region: r}
	}
	for _, a := range st.Accounts {
		gap := AccountGap{Account: a.Account}
		for _, k := range slices.Sorted(maps.Keys(a.Units)) {
			s := a.Units[k]
			cov.Units++
			switch s {
			case StateDone:
				cov.Done++
			case StateNotCovered:
				cov.NotCovered++
				if gap.NotCovered == nil {
					gap.NotCovered = map[string]string{}
				}
				gap.NotCovered[k] = a.Reasons[k]
			default:
				cov.Lost++
				gap.Lost = append(gap.Lost, k)
			}
			if scanner, region, ok := strings.Cut(k, "@"); ok && scanner == ScannerFleet {
				if rc := byRegion[region]; rc != nil {
					if s == StateDone {
						rc.Covered++
					} else {
						rc.NotCovered++
					}
				}
			}
		}
		cov.Findings.New += a.Tally.New
		cov.Findings.Resolved += a.Tally.Resolved
		cov.Findings.Open += a.Tally.Open
		if gap.NotCovered == nil && gap.Lost == nil {
			cov.AccountsCovered++
		} else {
			cov.Gaps = append(cov.Gaps, gap)
		}
	}
	for _, r := range st.Run.Regions {
		cov.Regions = append(cov.Regions, *byRegion[r])
	}
	cov.TimedOut = cov.Lost > 0
	sort.Slice(cov.Gaps, func(i, j int) bool { return cov.Gaps[i].Account < cov.Gaps[j].Account })
	return cov
}

// Finding is the ORG001 finding of a coverage with gaps, on resource (the
// organisation's ARN): HIGH, CRITICAL when more than 10 % of the accounts
// were not audited. ok is false when every account was audited.
func (c Coverage) Finding(resource string, now time.Time) (f findings.Finding, ok bool) {
	if len(c.Gaps) == 0 {
		return findings.Finding{}, false
	}
	sev := ORG001.Severity
	if c.Accounts > 0 && len(c.Gaps)*10 > c.Accounts {
		sev = findings.Critical
	}
	accounts := make([]string, len(c.Gaps))
	reasons := map[string]string{}
	for i, g := range c.Gaps {
		accounts[i] = g.Account
		var why []string
		for _, k := range slices.Sorted(maps.Keys(g.NotCovered)) {
			why = append(why, k+": "+g.NotCovered[k])
		}
		for _, k := range g.Lost {
			why = append(why, k+": not finished by the run's deadline")
		}
		reasons[g.Account] = strings.Join(why, "; ")
	}
	return findings.Finding{
		ID:          findings.StableID(ORG001.ID, resource, ""),
		Check:       ORG001.ID,
		Severity:    sev,
		Title:       fmt.Sprintf("%d of %d accounts: %s", len(c.Gaps), c.Accounts, ORG001.Title),
		Resource:    resource,
		Evidence:    map[string]any{"run": c.Run, "accounts": accounts, "reasons": reasons, "accountsTotal": c.Accounts, "unitsNotCovered": c.NotCovered, "unitsLost": c.Lost},
		Remediation: ORG001.Remediation,
		Source:      Source,
		ObservedAt:  now.UTC(),
	}, true
}

// EventsAPI is the EventBridge call the completion event needs.
type EventsAPI = findings.PutEventsAPI

// Completer closes runs: one completion event and the ORG001 finding.
type Completer struct {
	Ledger Ledger
	// Events and BusName receive the completion event; nil Events sends
	// none (the command line prints the coverage instead).
	Events  EventsAPI
	BusName string
	// Findings reconciles and announces ORG001 (scope: Source, the
	// organisation's management account, no region). Its Bus nil
	// announces nothing.
	Findings findingstore.Delivery
	// AuditAccount stands in for the organisation's ARN when a run does
	// not know it.
	AuditAccount string
	// ClaimFor is how long a completer may take before another may take
	// over; 0 means 2 minutes.
	ClaimFor time.Duration
	Now      func() time.Time
}

func (c *Completer) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Complete closes a run whose accounts are all finished or, with force
// (the deadline), whatever it holds. It returns nil, nil when the run is
// not finished yet, already completed or being completed elsewhere.
func (c *Completer) Complete(ctx context.Context, run string, force bool) (*Coverage, error) {
	st, err := c.Ledger.Load(ctx, run)
	if err != nil {
		return nil, err
	}
	if st.Completed {
		return nil, nil
	}
	cov := CoverageOf(st, c.now())
	if cov.Lost > 0 && !force {
		return nil, nil
	}
	now := c.now()
	claimFor := c.ClaimFor
	if claimFor <= 0 {
		claimFor = 2 * time.Minute
	}
	ok, err := c.Ledger.Claim(ctx, run, now, now.Add(claimFor))
	if err != nil || !ok {
		return nil, err
	}
	if err := c.announce(ctx, st.Run, cov); err != nil {
		return &cov, err
	}
	if err := c.Ledger.Close(ctx, run, cov); err != nil {
		return &cov, fmt.Errorf("close run %s: %w", run, err)
	}
	if w := c.Findings.Metrics; w != nil {
		if err := WriteCoverageEMF(w, cov, now); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Str("run", run).Msg("coverage metrics not written")
		}
	}
	zerolog.Ctx(ctx).Info().Str("run", run).Int("accounts", cov.Accounts).Int("accountsCovered", cov.AccountsCovered).
		Int("units", cov.Units).Int("done", cov.Done).Int("notCovered", cov.NotCovered).Int("lost", cov.Lost).Msg("organisation audit run completed")
	return &cov, nil
}

// Resource is the resource of a run's ORG001: the organisation's ARN, or
// the audit account's root when unknown.
func (c *Completer) Resource(r Run) string {
	if r.Organization != "" {
		return r.Organization
	}
	return "arn:aws:iam::" + c.AuditAccount + ":root"
}

func (c *Completer) announce(ctx context.Context, r Run, cov Coverage) error {
	var errs []error
	if c.Findings.Bus != nil {
		resource := c.Resource(r)
		var fs []findings.Finding
		if f, ok := cov.Finding(resource, cov.Completed); ok {
			fs = append(fs, f)
		}
		scope := findingstore.Scope{Scanner: Source, Account: accountOf(resource), Targets: []string{resource}}
		if _, err := c.Findings.Deliver(ctx, scope, fs, cov.Completed); err != nil {
			errs = append(errs, fmt.Errorf("ORG001 of run %s: %w", r.ID, err))
		}
	}
	if c.Events != nil {
		if err := c.putEvent(ctx, cov); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// accountOf is the account field of an ARN.
func accountOf(a string) string {
	parts := strings.SplitN(a, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}

func (c *Completer) putEvent(ctx context.Context, cov Coverage) error {
	detail, err := json.Marshal(cov)
	if err != nil {
		return err
	}
	in := &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("selfaudit"), DetailType: aws.String(DetailTypeCompleted),
		Detail: aws.String(string(detail)), EventBusName: aws.String(c.BusName),
	}}}
	var last error
	for attempt := 0; attempt < 4; attempt++ {
		out, err := c.Events.PutEvents(ctx, in)
		switch {
		case err != nil:
			last = err
		case out.FailedEntryCount > 0 && len(out.Entries) > 0:
			last = fmt.Errorf("%s: %s", aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage))
		default:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(100<<attempt) * time.Millisecond):
		}
	}
	return fmt.Errorf("completion event of run %s: %w", cov.Run, last)
}
