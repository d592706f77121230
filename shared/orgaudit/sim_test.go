package orgaudit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/awsconfig"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/fleet"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
	"github.com/selfaudit/selfaudit/shared/orgaudit/coordinator"
	"github.com/selfaudit/selfaudit/shared/orgaudit/fleetunit"
	"github.com/selfaudit/selfaudit/shared/orgaudit/iamunit"
)

// simConfig is one simulated organisation audit.
type simConfig struct {
	Accounts, Regions int
	// Concurrency caps the workers, as the event source mappings'
	// MaximumConcurrency summed: each worker polls both queues, a fifth
	// of them the IAM queue first (the share of its units).
	Concurrency int
	// Throttle divides the fakes' API rates (2: throttled twice as
	// readily).
	Throttle float64
	// Visibility is the units queues' visibility timeout (seconds) and
	// MaxReceive their redrive policy's maxReceiveCount.
	Visibility, MaxReceive int
	MinLatency             time.Duration
	MaxLatency             time.Duration
	Timeout                time.Duration
	// Kill stops every worker when this many units are marked, and starts
	// new ones, as a deployment or a crash of every execution environment
	// would.
	Kill int
	// NoRoleEvery: one account in NoRoleEvery has no member role;
	// MaxFunctions and MaxRoles bound an account's estate.
	NoRoleEvery, MaxFunctions, MaxRoles int
	// CrashBetween makes every n-th account-finishing write fail once, as
	// a worker stopped between marking a unit and counting its account.
	CrashBetween int
}

// simResult is what the simulation saw.
type simResult struct {
	Accounts, Regions, Units, Done, NotCovered, Lost int
	Seconds                                          float64
	Calls, Throttled                                 int64
	// Wins counts per unit the marks that changed it; CompletionEvents
	// the completion events on the bus; FindingEvents the finding events.
	Wins             map[string]int
	CompletionEvents int
	FindingEvents    int64
	Coverage         *orgaudit.Coverage
	State            *orgaudit.RunState
	NoRole           []string
	// Store is the run's finding store.
	Store *findingstore.Store
}

func (r simResult) Line() string {
	return fmt.Sprintf("org-audit: accounts=%d regions=%d units=%d done=%d not_covered=%d lost=%d seconds=%.1f calls=%d throttled=%d",
		r.Accounts, r.Regions, r.Units, r.Done, r.NotCovered, r.Lost, r.Seconds, r.Calls, r.Throttled)
}

// timedScanner records how long each unit's scan took and how many failed.
type timedScanner struct {
	orgaudit.UnitScanner
	stats *scanStats
}

type scanStats struct {
	mu       sync.Mutex
	slowest  []time.Duration
	failures int
	total    time.Duration
	n        int
}

func (s timedScanner) Scan(ctx context.Context, cfg aws.Config, u orgaudit.Unit) (orgaudit.Scan, error) {
	start := time.Now()
	res, err := s.UnitScanner.Scan(ctx, cfg, u)
	d := time.Since(start)
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	s.stats.n++
	s.stats.total += d
	if err != nil || res.Err != nil {
		s.stats.failures++
	}
	s.stats.slowest = append(s.stats.slowest, d)
	slices.Sort(s.stats.slowest)
	if len(s.stats.slowest) > 5 {
		s.stats.slowest = s.stats.slowest[len(s.stats.slowest)-5:]
	}
	return res, err
}

// countingBus counts finding events instead of keeping them.
type countingBus struct{ n atomic.Int64 }

func (b *countingBus) Announce(_ context.Context, ts []findings.Tracked) error {
	b.n.Add(int64(len(ts)))
	return nil
}

// watchLedger counts the marks that won and fails some account-finishing
// writes once.
type watchLedger struct {
	orgaudit.Ledger
	mu      sync.Mutex
	wins    map[string]int
	marked  atomic.Int64
	every   int
	n       int
	crashed map[string]bool
}

func (l *watchLedger) Mark(ctx context.Context, u orgaudit.Unit, m orgaudit.Mark) (orgaudit.Marked, error) {
	res, err := l.Ledger.Mark(ctx, u, m)
	if err == nil && res.Won {
		l.mu.Lock()
		l.wins[u.Account+"/"+u.Key()]++
		l.mu.Unlock()
		l.marked.Add(1)
	}
	return res, err
}

func (l *watchLedger) FinishAccount(ctx context.Context, run, account string) (int, int, error) {
	l.mu.Lock()
	l.n++
	crash := l.every > 0 && l.n%l.every == 0 && !l.crashed[account]
	if crash {
		l.crashed[account] = true
	}
	l.mu.Unlock()
	if crash {
		return 0, 0, fmt.Errorf("simulated crash before counting account %s", account)
	}
	return l.Ledger.FinishAccount(ctx, run, account)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var benchRegions = []string{"us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "us-west-2", "ap-northeast-1", "sa-east-1", "ca-central-1"}

// runSim runs the coordinator and the workers in this process against
// fauxqs, dynalite and the organisation's fakes.
func runSim(t *testing.T, sc simConfig) simResult {
	t.Helper()
	ctx := context.Background()
	org := &awsfake.Organization{Accounts: sc.Accounts, Seed: 16, ExternalID: "selfaudit-bench", NoRoleEvery: sc.NoRoleEvery, MaxFunctions: sc.MaxFunctions, MaxRoles: sc.MaxRoles}
	of, fakes := awsfake.NewOrgFakes(org, awsfake.OrgLimits{MinLatency: sc.MinLatency, MaxLatency: sc.MaxLatency, Scale: sc.Throttle})
	servers := awsfake.Serve(t, fakes...)
	env := map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDAUDITACCOUNT", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_ENDPOINT_URL_SQS": testenv.FauxqsEndpoint(t), "AWS_ENDPOINT_URL_DYNAMODB": testenv.DynaliteEndpoint(t),
	}
	for _, f := range fakes {
		env[f.EndpointVar()] = servers.URL(f)
	}
	cfg, err := awsconfig.Lambda(ctx, nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = awsHTTPClient()
	sqsc := sqs.NewFromConfig(cfg)
	ddb := dynamodb.NewFromConfig(cfg)
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	runsTable, findingsTable := "org-runs-"+suffix, "org-findings-"+suffix
	if err := orgaudit.CreateRunsTable(ctx, ddb, runsTable, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := findingstore.CreateTable(ctx, ddb, findingsTable, time.Minute); err != nil {
		t.Fatal(err)
	}
	dlq := testenv.NewQueue(t, sqsc, "org-dlq", false)
	dlqARN := testenv.QueueARN(t, sqsc, dlq)
	queue := func(name string) string {
		url := testenv.NewQueue(t, sqsc, name, false)
		redrive, _ := json.Marshal(map[string]any{"deadLetterTargetArn": dlqARN, "maxReceiveCount": sc.MaxReceive})
		_, err := sqsc.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{
			"VisibilityTimeout": strconv.Itoa(sc.Visibility), "RedrivePolicy": string(redrive)}})
		if err != nil {
			t.Fatal(err)
		}
		return url
	}
	queues := map[string]string{orgaudit.ScannerIAM: queue("org-iam"), orgaudit.ScannerFleet: queue("org-fleet")}
	ledger := &watchLedger{Ledger: &orgaudit.DynamoLedger{Client: ddb, Table: runsTable}, wins: map[string]int{}, every: sc.CrashBetween, crashed: map[string]bool{}}
	bus := &countingBus{}
	store := &findingstore.Store{Client: ddb, Table: findingsTable}
	completer := &orgaudit.Completer{Ledger: ledger, Events: eventbridge.NewFromConfig(cfg), BusName: "findings",
		Findings: findingstore.Delivery{Store: store, Bus: bus}, AuditAccount: awsfake.OrgManagementAccount}
	regions := benchRegions[:sc.Regions]

	// The coordinator runs beside the workers, which poll from the start
	// as event source mappings do: the first units are audited while the
	// last are still being sent.
	start := time.Now()
	coord := &coordinator.Coordinator{Org: coordinator.NewOrganizations(cfg), Queue: sqsc, Ledger: ledger, Queues: queues}
	var (
		run      orgaudit.Run
		startErr error
		units    atomic.Int64
	)
	coordDone := make(chan struct{})
	go func() {
		defer close(coordDone)
		run, startErr = coord.Start(ctx, coordinator.Plan{Regions: regions})
		units.Store(int64(run.Units()))
		t.Logf("run %s: %d accounts, %d units sent in %s", run.ID, len(run.Accounts), run.Units(), time.Since(start).Round(time.Millisecond))
	}()

	stats := &scanStats{}
	defer func() {
		t.Logf("scans %d (failed %d), mean %s, slowest %v", stats.n, stats.failures, (stats.total / time.Duration(max(stats.n, 1))).Round(time.Millisecond), stats.slowest)
	}()
	newWorker := func(scanner string) *orgaudit.Worker {
		roles := &orgaudit.Roles{STS: orgaudit.NewSTS(cfg), Base: cfg, ExternalID: "selfaudit-bench"}
		w := &orgaudit.Worker{Roles: roles, Ledger: ledger, Completer: completer,
			Delivery: findingstore.Delivery{Store: store, Bus: bus}}
		switch scanner {
		case orgaudit.ScannerIAM:
			w.Scanners = map[string]orgaudit.UnitScanner{scanner: timedScanner{iamunit.Scanner{}, stats}}
		default:
			w.Scanners = map[string]orgaudit.UnitScanner{scanner: timedScanner{fleetunit.Scanner{Config: fleet.Config{Reports: fleet.ReportsOff}}, stats}}
		}
		return w
	}
	startPool := func(ctx context.Context, wg *sync.WaitGroup) {
		for i := 0; i < sc.Concurrency; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// One environment of each function, taking turns: the
				// cap is on both event source mappings together, so
				// neither queue waits while the other's workers idle.
				order := []string{orgaudit.ScannerIAM, orgaudit.ScannerFleet}
				if i%5 != 0 {
					order[0], order[1] = order[1], order[0]
				}
				ws := map[string]*orgaudit.Worker{orgaudit.ScannerIAM: newWorker(orgaudit.ScannerIAM), orgaudit.ScannerFleet: newWorker(orgaudit.ScannerFleet)}
				for ctx.Err() == nil {
					if !pollOnce(ctx, sqsc, queues[order[0]], ws[order[0]]) && !pollOnce(ctx, sqsc, queues[order[1]], ws[order[1]]) {
						continue
					}
				}
			}()
		}
	}
	progressDone := make(chan struct{})
	defer close(progressDone)
	go func() {
		tick := time.NewTicker(30 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-progressDone:
				return
			case <-tick.C:
				t.Logf("%4.0fs: %d of %d units marked, %d calls, %d throttled", time.Since(start).Seconds(), ledger.marked.Load(), units.Load(), of.Counters.Calls.Load(), of.Counters.Throttled.Load())
			}
		}
	}()
	deadline := time.Now().Add(sc.Timeout)
	killed := sc.Kill == 0
	for {
		poolCtx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		startPool(poolCtx, &wg)
		for !completed(of) && !failedToStart(coordDone, &startErr) && time.Now().Before(deadline) {
			if !killed && ledger.marked.Load() >= int64(sc.Kill) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		stop()
		wg.Wait()
		if !killed && !completed(of) && !failedToStart(coordDone, &startErr) && time.Now().Before(deadline) {
			killed = true
			t.Logf("killed every worker after %d units marked; starting new ones", ledger.marked.Load())
			continue
		}
		break
	}
	<-coordDone
	if startErr != nil {
		t.Fatal(startErr)
	}
	res := simResult{Accounts: len(run.Accounts), Regions: len(regions), Seconds: time.Since(start).Seconds(),
		Calls: of.Counters.Calls.Load(), Throttled: of.Counters.Throttled.Load(), Wins: ledger.wins, FindingEvents: bus.n.Load(), NoRole: org.NoRoleAccounts(), Store: store}
	for _, d := range of.Events.Entries() {
		if d.DetailType == orgaudit.DetailTypeCompleted {
			res.CompletionEvents++
			var cov orgaudit.Coverage
			if err := json.Unmarshal([]byte(d.Detail), &cov); err != nil {
				t.Fatal(err)
			}
			res.Coverage = &cov
		}
	}
	st, err := ledger.Load(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	res.State = st
	cov := orgaudit.CoverageOf(st, time.Now())
	res.Units, res.Done, res.NotCovered, res.Lost = cov.Units, cov.Done, cov.NotCovered, cov.Lost
	return res
}

// failedToStart reports whether the coordinator has returned an error;
// *err may be read once done is closed.
func failedToStart(done <-chan struct{}, err *error) bool {
	select {
	case <-done:
		return *err != nil
	default:
		return false
	}
}

func completed(of *awsfake.OrgFakes) bool {
	for _, e := range of.Events.Entries() {
		if e.DetailType == orgaudit.DetailTypeCompleted {
			return true
		}
	}
	return false
}

// pollOnce is one poll of an SQS event source mapping with batch size 1:
// receive, invoke, delete what succeeded. It reports whether a message
// came.
func pollOnce(ctx context.Context, c *sqs.Client, queue string, w *orgaudit.Worker) bool {
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), MaxNumberOfMessages: 1, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
	if err != nil || len(out.Messages) == 0 {
		return false
	}
	ev := orgaudit.SQSBatch{}
	for _, m := range out.Messages {
		ev.Records = append(ev.Records, orgaudit.SQSRecord{MessageID: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), EventSource: "aws:sqs"})
	}
	failed := map[string]bool{}
	for _, f := range w.HandleSQS(ctx, ev) {
		failed[f.ItemIdentifier] = true
	}
	for _, m := range out.Messages {
		if !failed[aws.ToString(m.MessageId)] {
			_, _ = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queue), ReceiptHandle: m.ReceiptHandle})
		}
	}
	return true
}

// checkExactlyOnce fails unless every unit was marked exactly once, every
// account counted down to zero, one completion event was published and
// the accounts without a role, and only they, are not covered.
func checkExactlyOnce(t *testing.T, r simResult) {
	t.Helper()
	if r.Lost != 0 || r.Done+r.NotCovered != r.Units {
		t.Errorf("lost %d; done %d + not covered %d != units %d", r.Lost, r.Done, r.NotCovered, r.Units)
	}
	// The ledger's counts above say every unit was marked. The wins seen
	// by the workers may be fewer, never more: a worker killed after
	// DynamoDB applied its write but before the answer arrived never
	// learns that it won, and the redelivered message finds the unit
	// already marked.
	if len(r.Wins) > r.Units {
		t.Errorf("%d units marked, more than the %d units", len(r.Wins), r.Units)
	}
	for u, n := range r.Wins {
		if n != 1 {
			t.Errorf("unit %s marked %d times", u, n)
		}
	}
	for _, a := range r.State.Accounts {
		if a.Remaining != 0 {
			t.Errorf("account %s: remaining %d, want 0", a.Account, a.Remaining)
		}
	}
	if r.CompletionEvents != 1 {
		t.Errorf("%d completion events, want 1", r.CompletionEvents)
	}
	perAccount := 1 + r.Regions
	if want := len(r.NoRole) * perAccount; r.NotCovered != want {
		t.Errorf("not covered %d, want %d (%d accounts without a role × %d units)", r.NotCovered, want, len(r.NoRole), perAccount)
	}
	if c := r.Coverage; c != nil {
		if len(c.Gaps) != len(r.NoRole) {
			t.Errorf("coverage names %d accounts not audited, want %d", len(c.Gaps), len(r.NoRole))
		}
	}
}

// TestKillAndRestartWorkers runs a small organisation, kills every worker
// mid-run (and makes some workers stop between marking a unit and
// counting its account), restarts them, and checks that no unit is lost or
// counted twice.
func TestKillAndRestartWorkers(t *testing.T) {
	r := runSim(t, simConfig{Accounts: 30, Regions: 2, Concurrency: 12, Throttle: 1, Visibility: 2, MaxReceive: 20,
		MinLatency: 2 * time.Millisecond, MaxLatency: 5 * time.Millisecond, Timeout: 3 * time.Minute, Kill: 30, CrashBetween: 4, NoRoleEvery: 10, MaxFunctions: 40, MaxRoles: 40})
	t.Log(r.Line())
	checkExactlyOnce(t, r)
	// Every audited account's administrators are recorded (none, in the
	// simulated organisation), and no account that could not be entered.
	noRole := map[string]bool{}
	for _, a := range r.NoRole {
		noRole[a] = true
	}
	for _, a := range r.State.Accounts {
		_, _, found, err := r.Store.AdminUsers(context.Background(), a.Account, time.Now())
		if err != nil || found == noRole[a.Account] {
			t.Errorf("account %s (role missing %v): administrators recorded %v, %v", a.Account, noRole[a.Account], found, err)
		}
	}
}

// TestBenchOrg is `make bench-org`: ORG_ACCOUNTS (1000) accounts,
// ORG_REGIONS (4) regions, ORG_CONCURRENCY (100) workers, ORG_THROTTLE (1)
// times the throttling. Its last line is the figures.
func TestBenchOrg(t *testing.T) {
	if os.Getenv("ORG_BENCH") == "" {
		t.Skip("ORG_BENCH not set: run make bench-org")
	}
	throttle, _ := strconv.ParseFloat(os.Getenv("ORG_THROTTLE"), 64)
	if throttle <= 0 {
		throttle = 1
	}
	r := runSim(t, simConfig{Accounts: envInt("ORG_ACCOUNTS", 1000), Regions: envInt("ORG_REGIONS", 4), Concurrency: envInt("ORG_CONCURRENCY", 100),
		Throttle: throttle, Visibility: 60, MaxReceive: 5, Timeout: 14 * time.Minute})
	checkExactlyOnce(t, r)
	t.Logf("finding events %d", r.FindingEvents)
	fmt.Println(r.Line())
}
