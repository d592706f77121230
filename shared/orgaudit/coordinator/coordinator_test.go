package coordinator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/shared/awsconfig"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
)

// fakeOrg is an organisation of accounts 100000000000 + i, the first half
// in ou-a (with ou-a2 nested holding the last of them), the rest in the
// root; the last account is suspended.
type fakeOrg struct{ n int }

func acct(i int) string { return fmt.Sprintf("%012d", 100000000000+i) }

func (o fakeOrg) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	out := &organizations.ListAccountsOutput{}
	for i := start; i < min(start+2, o.n); i++ {
		st := orgtypes.AccountStatusActive
		if i == o.n-1 {
			st = orgtypes.AccountStatusSuspended
		}
		out.Accounts = append(out.Accounts, orgtypes.Account{Id: aws.String(acct(i)), Status: st, Arn: aws.String("arn:aws:organizations::999999999999:account/o-abc/" + acct(i))})
	}
	if start+2 < o.n {
		out.NextToken = aws.String(fmt.Sprint(start + 2))
	}
	return out, nil
}

func (o fakeOrg) ListAccountsForParent(_ context.Context, in *organizations.ListAccountsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	out := &organizations.ListAccountsForParentOutput{}
	half := o.n / 2
	switch *in.ParentId {
	case "ou-a":
		for i := 0; i < half-1; i++ {
			out.Accounts = append(out.Accounts, orgtypes.Account{Id: aws.String(acct(i))})
		}
	case "ou-a2":
		out.Accounts = append(out.Accounts, orgtypes.Account{Id: aws.String(acct(half - 1))})
	}
	return out, nil
}

func (o fakeOrg) ListChildren(_ context.Context, in *organizations.ListChildrenInput, _ ...func(*organizations.Options)) (*organizations.ListChildrenOutput, error) {
	if *in.ParentId == "ou-a" {
		return &organizations.ListChildrenOutput{Children: []orgtypes.Child{{Id: aws.String("ou-a2")}}}, nil
	}
	return &organizations.ListChildrenOutput{}, nil
}

// fakeQueue records bodies and fails every entry of its first call.
type fakeQueue struct {
	mu     sync.Mutex
	calls  int
	bodies map[string][]string
}

func (q *fakeQueue) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	out := &sqs.SendMessageBatchOutput{}
	if len(in.Entries) > 10 {
		return nil, fmt.Errorf("%d entries", len(in.Entries))
	}
	for i, e := range in.Entries {
		if q.calls == 1 || (q.calls == 2 && i == 0) {
			out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("injected")})
			continue
		}
		q.bodies[*in.QueueUrl] = append(q.bodies[*in.QueueUrl], *e.MessageBody)
		out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

type fakeRoles struct{ denied map[string]bool }

func (r fakeRoles) Config(_ context.Context, account, region string) (aws.Config, error) {
	if r.denied[account] {
		return aws.Config{}, &orgaudit.NotCoveredError{Account: account, Reason: "AccessDenied: no role"}
	}
	return aws.Config{Region: region}, nil
}

type fakeScanner struct{}

func (fakeScanner) Scan(_ context.Context, cfg aws.Config, u orgaudit.Unit) (orgaudit.Scan, error) {
	res := "arn:aws:lambda:" + u.Region + ":" + u.Account + ":function:f"
	f := findings.Finding{ID: findings.StableID("LMB110", res, u.Scanner), Check: "LMB110", Severity: findings.Medium, Title: "t", Resource: res, Source: u.Scanner, ObservedAt: time.Unix(0, 0).UTC()}
	return orgaudit.Scan{Findings: []findings.Finding{f}, Scope: findingstore.Scope{Scanner: u.Scanner, Account: u.Account, Region: u.Region}, Source: u.Scanner}, nil
}

type recBus struct {
	mu sync.Mutex
	ts []findings.Tracked
}

func (b *recBus) Announce(_ context.Context, ts []findings.Tracked) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ts = append(b.ts, ts...)
	return nil
}

type recEvents struct {
	mu      sync.Mutex
	details []string
}

func (e *recEvents) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, en := range in.Entries {
		if *en.DetailType != orgaudit.DetailTypeCompleted {
			return nil, fmt.Errorf("detail type %s", *en.DetailType)
		}
		e.details = append(e.details, *en.Detail)
	}
	return &eventbridge.PutEventsOutput{}, nil
}

func TestAccountsIncludeExclude(t *testing.T) {
	t.Parallel()
	org := fakeOrg{n: 10}
	for _, tc := range []struct {
		name     string
		p        Plan
		want     int
		wantErr  bool
		firstAcc string
	}{
		{"all active", Plan{Regions: []string{"eu-west-1"}}, 9, false, acct(0)},
		{"OU with nested OU", Plan{Regions: []string{"eu-west-1"}, Include: []string{"ou-a"}}, 5, false, acct(0)},
		{"OU minus account", Plan{Regions: []string{"eu-west-1"}, Include: []string{"ou-a"}, Exclude: []string{acct(0)}}, 4, false, acct(1)},
		{"exclude nested OU", Plan{Regions: []string{"eu-west-1"}, Exclude: []string{"ou-a2"}}, 8, false, acct(0)},
		{"suspended account not audited", Plan{Regions: []string{"eu-west-1"}, Include: []string{acct(9), acct(8)}}, 1, false, acct(8)},
	} {
		got, orgARN, err := Accounts(context.Background(), org, tc.p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != tc.want || got[0] != tc.firstAcc {
			t.Errorf("%s: got %v, want %d accounts from %s", tc.name, got, tc.want, tc.firstAcc)
		}
		if orgARN != "arn:aws:organizations::999999999999:organization/o-abc" {
			t.Errorf("%s: organisation %q", tc.name, orgARN)
		}
	}
	if err := (Plan{Regions: []string{"nowhere"}, Include: []string{"123"}}).Validate(); err == nil {
		t.Error("bad plan accepted")
	}
}

// TestRunCountsEachUnitOnce starts a run, delivers every message twice
// from several goroutines at once, and checks that the run completes
// once, with each unit counted once and the account without a role
// reported not covered.
func TestRunCountsEachUnitOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ledger := orgaudit.NewMemoryLedger()
	q := &fakeQueue{bodies: map[string][]string{}}
	c := &Coordinator{Org: fakeOrg{n: 6}, Queue: q, Ledger: ledger, Queues: map[string]string{orgaudit.ScannerIAM: "q-iam", orgaudit.ScannerFleet: "q-fleet"}, NewID: func() string { return "run1" }}
	run, err := c.Start(ctx, Plan{Regions: []string{"eu-west-1", "us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if run.Units() != 5*3 || len(q.bodies["q-iam"]) != 5+1 || len(q.bodies["q-fleet"]) != 10 {
		t.Fatalf("units %d, sent iam %d fleet %d", run.Units(), len(q.bodies["q-iam"]), len(q.bodies["q-fleet"]))
	}
	bus, ev := &recBus{}, &recEvents{}
	w := &orgaudit.Worker{Roles: fakeRoles{denied: map[string]bool{acct(4): true}}, Scanners: map[string]orgaudit.UnitScanner{orgaudit.ScannerIAM: fakeScanner{}, orgaudit.ScannerFleet: fakeScanner{}},
		Ledger: ledger, Delivery: findingstore.Delivery{Bus: bus},
		Completer: &orgaudit.Completer{Ledger: ledger, Events: ev, Findings: findingstore.Delivery{Bus: bus}}}
	var bodies []string
	for _, b := range append(q.bodies["q-iam"], q.bodies["q-fleet"]...) {
		if m, _ := orgaudit.ParseMessage([]byte(b)); m.Kind == orgaudit.KindUnit {
			bodies = append(bodies, b)
		}
	}
	var wg sync.WaitGroup
	for round := 0; round < 2; round++ {
		for _, b := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := orgaudit.ParseMessage([]byte(b))
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := w.Handle(ctx, m); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	// The deadline after completion does nothing.
	if out, err := w.Handle(ctx, orgaudit.Message{Kind: orgaudit.KindDeadline, Unit: orgaudit.Unit{Run: "run1"}}); err != nil || out.Completed != nil {
		t.Fatalf("deadline after completion: %+v, %v", out, err)
	}
	if len(ev.details) != 1 {
		t.Fatalf("%d completion events, want 1", len(ev.details))
	}
	var cov orgaudit.Coverage
	if err := json.Unmarshal([]byte(ev.details[0]), &cov); err != nil {
		t.Fatal(err)
	}
	if cov.Units != 15 || cov.Done != 12 || cov.NotCovered != 3 || cov.Lost != 0 || cov.AccountsCovered != 4 || len(cov.Gaps) != 1 || cov.Gaps[0].Account != acct(4) {
		t.Errorf("coverage %+v", cov)
	}
	var org001 []findings.Tracked
	for _, tr := range bus.ts {
		if tr.Check == "ORG001" {
			org001 = append(org001, tr)
		}
	}
	if len(org001) != 1 || org001[0].Severity != findings.Critical || org001[0].Resource != "arn:aws:organizations::999999999999:organization/o-abc" {
		t.Errorf("ORG001: %+v", org001)
	}
	if got := len(bus.ts) - len(org001); got != 24 { // no store: each delivery announces its one finding
		t.Logf("unit findings announced %d (each delivery that scanned)", got)
	}
}

// TestListingOutlastsThrottling: a run lists the organisation although
// ListAccounts is throttled eight times in a row, more than the SDK's
// usual six tries allow.
func TestListingOutlastsThrottling(t *testing.T) {
	t.Parallel()
	fast := func(o *organizations.Options) { o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, time.Millisecond) }
	for _, tc := range []struct {
		name   string
		client func(aws.Config) *organizations.Client
		wantOK bool
	}{
		{"the SDK's six tries", func(cfg aws.Config) *organizations.Client { return organizations.NewFromConfig(cfg, fast) }, false},
		{"NewOrganizations", func(cfg aws.Config) *organizations.Client { return NewOrganizations(cfg, fast) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, fakes := awsfake.NewOrgFakes(&awsfake.Organization{Accounts: 45, Seed: 1}, awsfake.OrgLimits{MinLatency: time.Millisecond, MaxLatency: 2 * time.Millisecond,
				Rates: map[string]float64{"Organizations.*": 1000}}) // only the injected throttling
			servers := awsfake.Serve(t, fakes...)
			orgs := fakes[0]
			orgs.(interface {
				SetError(string, *awsfake.APIError)
			}).SetError("ListAccounts",
				&awsfake.APIError{Status: http.StatusBadRequest, Type: "TooManyRequestsException", Message: "Rate exceeded", Times: 8})
			// The functions' attempts, without the adaptive retryer's
			// client-side pacing, which would make the test wait.
			cfg := aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(servers.URL(orgs)),
				Retryer: func() aws.Retryer { return retry.NewStandard() }, RetryMaxAttempts: awsconfig.MaxAttempts, HTTPClient: awsconfig.HTTPClient()}
			got, _, err := Accounts(context.Background(), tc.client(cfg), Plan{Regions: []string{"us-east-1"}})
			if tc.wantOK && (err != nil || len(got) != 45) {
				t.Errorf("%d accounts, %v; want 45", len(got), err)
			}
			if !tc.wantOK && err == nil {
				t.Error("listing succeeded; the test no longer shows why the coordinator tries more often")
			}
		})
	}
}
