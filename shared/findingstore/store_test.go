package findingstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
)

const (
	account = "123456789012"
	region  = "us-east-1"
)

var day1 = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

func day(n int) time.Time { return day1.Add(time.Duration(n-1) * 24 * time.Hour) }

// newClient returns a DynamoDB client on dynalite, skipping or failing the
// test as testenv decides when dynalite is not running. It sets no
// environment, so the tests, each on a table of its own, run in parallel.
func newClient(t *testing.T) *dynamodb.Client {
	t.Helper()
	return testenv.DynaliteClient(t)
}

var tableSeq atomic.Int64

// newStore creates a fresh findings table in dynalite with CreateTable.
func newStore(t *testing.T) *Store {
	t.Helper()
	client := newClient(t)
	name := fmt.Sprintf("findings-%d-%d", time.Now().UnixNano(), tableSeq.Add(1))
	if err := CreateTable(context.Background(), client, name, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return &Store{Client: client, Table: name}
}

func roleARN(name string) string { return "arn:aws:iam::" + account + ":role/" + name }
func fnARN(name string) string {
	return "arn:aws:lambda:" + region + ":" + account + ":function:" + name
}

// finding builds a valid finding of check on resource.
func finding(check, resource string, sev findings.Severity) findings.Finding {
	return findings.Finding{
		ID: findings.StableID(check, resource, ""), Check: check, Severity: sev,
		Title: check + " on " + resource, Resource: resource, Source: "iam-wildcard-scanner",
		Evidence: map[string]any{"action": "*"}, ObservedAt: day1,
	}
}

var accountScope = Scope{Scanner: "iam-wildcard-scanner", Account: account, Region: region}

// changesByID indexes a result's changes, failing on two for one finding.
func changesByID(t *testing.T, res Result) map[string]Change {
	t.Helper()
	out := map[string]Change{}
	for _, c := range res.Changes {
		if _, dup := out[c.Record.ID]; dup {
			t.Fatalf("two changes for finding %s", c.Record.ID)
		}
		out[c.Record.ID] = c
	}
	return out
}

func mustGet(t *testing.T, st *Store, id string) Record {
	t.Helper()
	r, found, err := st.get(context.Background(), id)
	if err != nil || !found {
		t.Fatalf("get %s: found=%v, %v", id, found, err)
	}
	return r
}

// TestLifecycle walks one finding through every transition, one run per
// step, against the real table.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	suppressed := false
	st.Suppressed = func(findings.Finding) bool { return suppressed }
	high := finding("IAM001", roleARN("app"), findings.High)
	crit := high
	crit.Severity = findings.Critical

	steps := []struct {
		name       string
		seen       []findings.Finding
		suppressed bool
		wantKind   ChangeKind
		wantPrev   findings.Status
		wantStatus findings.Status
		wantOcc    int64
	}{
		{"first sighting", []findings.Finding{high}, false, ChangeNew, "", findings.StatusNew, 1},
		{"seen again", []findings.Finding{high}, false, ChangeNone, findings.StatusNew, findings.StatusOpen, 2},
		{"still there", []findings.Finding{high}, false, ChangeNone, findings.StatusOpen, findings.StatusOpen, 3},
		{"worse", []findings.Finding{crit}, false, ChangeSeverity, findings.StatusOpen, findings.StatusOpen, 4},
		{"fixed", nil, false, ChangeResolved, findings.StatusOpen, findings.StatusResolved, 4},
		{"still fixed", nil, false, ChangeNone, "", findings.StatusResolved, 4},
		{"broken again", []findings.Finding{high}, false, ChangeReopened, findings.StatusResolved, findings.StatusReopened, 5},
		{"fixed right after", nil, false, ChangeResolved, findings.StatusReopened, findings.StatusResolved, 5},
		{"broken, but accepted", []findings.Finding{high}, true, ChangeNone, findings.StatusResolved, findings.StatusSuppressed, 6},
		{"accepted, still there", []findings.Finding{high}, true, ChangeNone, findings.StatusSuppressed, findings.StatusSuppressed, 7},
		{"acceptance lifted", []findings.Finding{high}, false, ChangeReopened, findings.StatusSuppressed, findings.StatusReopened, 8},
		{"open after reopening", []findings.Finding{high}, false, ChangeNone, findings.StatusReopened, findings.StatusOpen, 9},
		{"suppressed", []findings.Finding{high}, true, ChangeNone, findings.StatusOpen, findings.StatusSuppressed, 10},
		{"suppressed and fixed", nil, false, ChangeNone, findings.StatusSuppressed, findings.StatusResolved, 10},
	}
	for i, s := range steps {
		suppressed = s.suppressed
		res, err := st.Reconcile(ctx, accountScope, s.seen, day(i+1))
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		ch := changesByID(t, res)[high.ID]
		if ch.Kind != s.wantKind {
			t.Errorf("%s: change %q, want %q", s.name, ch.Kind, s.wantKind)
		}
		if ch.Kind != ChangeNone && ch.PreviousStatus != s.wantPrev {
			t.Errorf("%s: previous status %q, want %q", s.name, ch.PreviousStatus, s.wantPrev)
		}
		if ch.Kind == ChangeSeverity && ch.PreviousSeverity != findings.High {
			t.Errorf("%s: previous severity %v, want HIGH", s.name, ch.PreviousSeverity)
		}
		r := mustGet(t, st, high.ID)
		if r.Status != s.wantStatus || r.Occurrences != s.wantOcc {
			t.Errorf("%s: stored status %s, occurrences %d; want %s, %d", s.name, r.Status, r.Occurrences, s.wantStatus, s.wantOcc)
		}
		if !r.FirstSeen.Equal(day(1)) {
			t.Errorf("%s: firstSeen %v, want %v", s.name, r.FirstSeen, day(1))
		}
		if len(s.seen) > 0 {
			if !r.LastSeen.Equal(day(i+1)) || len(res.Seen) != 1 || res.Seen[0].Status != s.wantStatus {
				t.Errorf("%s: lastSeen %v, seen %+v", s.name, r.LastSeen, res.Seen)
			}
		}
	}
}

// TestConcurrentWriters runs eight reconciles of the same findings at once:
// every sighting is counted and each finding is announced NEW exactly once.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	const writers, n = 8, 12
	var fs []findings.Finding
	for i := range n {
		fs = append(fs, finding("IAM001", roleARN(fmt.Sprintf("r%02d", i)), findings.High))
	}
	news := map[string]int{}
	for w, res := range reconcileAtOnce(t, st, writers, fs) {
		for _, c := range res.Changes {
			if c.Kind != ChangeNew {
				t.Errorf("writer %d announced %s for %s", w, c.Kind, c.Record.ID)
			}
			news[c.Record.ID]++
		}
	}
	for _, f := range fs {
		if news[f.ID] != 1 {
			t.Errorf("%s announced NEW %d times, want once", f.Resource, news[f.ID])
		}
		r := mustGet(t, st, f.ID)
		if r.Occurrences != writers || r.Version != writers || r.Status != findings.StatusOpen {
			t.Errorf("%s: occurrences %d, version %d, status %s; want %d, %d, OPEN", f.Resource, r.Occurrences, r.Version, r.Status, writers, writers)
		}
	}
}

// reconcileAtOnce runs writers reconciliations of fs in the account scope
// at the same time, each seeing the findings in another order as
// independent runs would, and returns their results by writer.
func reconcileAtOnce(t *testing.T, st *Store, writers int, fs []findings.Finding) []Result {
	t.Helper()
	results := make([]Result, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := len(fs)
			mine := append(fs[w%n:n:n], fs[:w%n]...)
			res, err := st.Reconcile(context.Background(), accountScope, mine, day1)
			if err != nil {
				t.Error(err)
			}
			results[w] = res
		}()
	}
	wg.Wait()
	return results
}

// TestConcurrentResolution resolves the same missing findings from eight
// runs at once: each is announced RESOLVED once.
func TestConcurrentResolution(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	var fs []findings.Finding
	for i := range 10 {
		fs = append(fs, finding("IAM002", roleARN(fmt.Sprintf("r%02d", i)), findings.Medium))
	}
	if _, err := st.Reconcile(ctx, accountScope, fs, day(1)); err != nil {
		t.Fatal(err)
	}
	var resolved atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := st.Reconcile(ctx, accountScope, nil, day(2))
			if err != nil {
				t.Error(err)
			}
			resolved.Add(int64(len(res.Changes)))
		}()
	}
	wg.Wait()
	if resolved.Load() != int64(len(fs)) {
		t.Fatalf("%d resolutions announced, want %d", resolved.Load(), len(fs))
	}
}

// TestTTL checks the expiry attribute itself: set 90 days after
// resolution, removed when the finding is seen again.
func TestTTL(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	f := finding("IAM001", roleARN("app"), findings.High)
	raw := func() map[string]types.AttributeValue {
		out, err := st.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.Table),
			Key: map[string]types.AttributeValue{AttrID: str(f.ID)}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	if _, err := st.Reconcile(ctx, accountScope, []findings.Finding{f}, day(1)); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw()[AttrExpires]; ok {
		t.Fatal("a standing finding has an expiry")
	}
	res, err := st.Reconcile(ctx, accountScope, nil, day(2))
	if err != nil {
		t.Fatal(err)
	}
	want := day(2).Add(90 * 24 * time.Hour).Unix()
	if got, ok := raw()[AttrExpires].(*types.AttributeValueMemberN); !ok || got.Value != fmt.Sprint(want) {
		t.Fatalf("expiresAt after resolution = %v, want N %d", raw()[AttrExpires], want)
	}
	if len(res.Resolved) != 1 || res.Resolved[0].ExpiresAt.Unix() != want {
		t.Fatalf("resolved = %+v", res.Resolved)
	}
	if _, ok := raw()[AttrOpenScope]; ok {
		t.Fatal("a resolved finding is still in the index of standing findings")
	}
	if _, err := st.Reconcile(ctx, accountScope, []findings.Finding{f}, day(3)); err != nil {
		t.Fatal(err)
	}
	if v, ok := raw()[AttrExpires]; ok {
		t.Fatalf("a reopened finding keeps expiresAt %v", v)
	}
	if r := mustGet(t, st, f.ID); r.Status != findings.StatusReopened || !r.ExpiresAt.IsZero() {
		t.Fatalf("after reopening: %s, expires %v", r.Status, r.ExpiresAt)
	}

	// Past its retention a resolved finding counts as never seen, even
	// while DynamoDB has not deleted it yet.
	if _, err := st.Reconcile(ctx, accountScope, nil, day(4)); err != nil {
		t.Fatal(err)
	}
	late := day(4).Add(ResolvedRetention)
	res, err = st.Reconcile(ctx, accountScope, []findings.Finding{f}, late)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 1 || res.Changes[0].Kind != ChangeNew || res.Changes[0].PreviousStatus != "" {
		t.Fatalf("seen after retention: changes %+v, want NEW", res.Changes)
	}
	if r := mustGet(t, st, f.ID); r.Occurrences != 1 || !r.FirstSeen.Equal(late) || r.PreviousStatus != "" {
		t.Fatalf("seen after retention: %+v", r)
	}
}

// TestTargetedRescan: a rescan of one role resolves that role's findings
// only; another scanner's findings on the same account are untouched.
func TestTargetedRescan(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	a1 := finding("IAM001", roleARN("a"), findings.High)
	a2 := finding("IAM003", roleARN("a"), findings.Medium)
	b := finding("IAM001", roleARN("b"), findings.High)
	fleet := finding("FLEET001", fnARN("f"), findings.Low)
	fleetScope := Scope{Scanner: "lambda-fleet-auditor", Account: account, Region: region}
	if _, err := st.Reconcile(ctx, accountScope, []findings.Finding{a1, a2, b}, day(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Reconcile(ctx, fleetScope, []findings.Finding{fleet}, day(1)); err != nil {
		t.Fatal(err)
	}
	target := accountScope
	target.Targets = []string{roleARN("a")}
	res, err := st.Reconcile(ctx, target, []findings.Finding{a2}, day(2))
	if err != nil {
		t.Fatal(err)
	}
	ch := changesByID(t, res)
	if len(ch) != 1 || ch[a1.ID].Kind != ChangeResolved {
		t.Fatalf("changes = %+v, want a1 resolved only", res.Changes)
	}
	for _, f := range []findings.Finding{a2, b, fleet} {
		if r := mustGet(t, st, f.ID); !r.Status.Standing() {
			t.Errorf("%s %s became %s", f.Check, f.Resource, r.Status)
		}
	}
	// A full scan of the IAM scope then resolves b, and still not the
	// fleet's finding.
	res, err = st.Reconcile(ctx, accountScope, []findings.Finding{a2}, day(3))
	if err != nil {
		t.Fatal(err)
	}
	if ch := changesByID(t, res); len(ch) != 1 || ch[b.ID].Kind != ChangeResolved {
		t.Fatalf("changes = %+v, want b resolved only", res.Changes)
	}
	if r := mustGet(t, st, fleet.ID); r.Status != findings.StatusNew {
		t.Errorf("fleet finding became %s", r.Status)
	}
}

// TestTemplateFiles: a template scan resolves only in the files it read.
func TestTemplateFiles(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	mk := func(res string) findings.Finding {
		f := finding("IAM001", res, findings.High)
		f.Source = "selfaudit-scan"
		return f
	}
	x := mk("a/template.yaml#/Resources/R/Properties/Policies/0")
	y := mk("b/template.yaml#/Resources/R/Properties/Policies/0")
	files := Scope{Scanner: "selfaudit-scan", Targets: []string{"a/template.yaml", "b/template.yaml"}}
	if _, err := st.Reconcile(ctx, files, []findings.Finding{x, y}, day(1)); err != nil {
		t.Fatal(err)
	}
	onlyA := Scope{Scanner: "selfaudit-scan", Targets: []string{"a/template.yaml"}}
	res, err := st.Reconcile(ctx, onlyA, nil, day(2))
	if err != nil {
		t.Fatal(err)
	}
	if ch := changesByID(t, res); len(ch) != 1 || ch[x.ID].Kind != ChangeResolved {
		t.Fatalf("changes = %+v, want the finding of a/template.yaml resolved only", res.Changes)
	}
	if r := mustGet(t, st, x.ID); r.Target != "a/template.yaml" || r.Account != "" {
		t.Errorf("stored target %q account %q", r.Target, r.Account)
	}
}

// TestUnreadablePartsResolveNothing: a role whose policies could not be
// read, and functions that could not be listed, keep their findings.
func TestUnreadablePartsResolveNothing(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	a := finding("IAM001", roleARN("a"), findings.High)
	locked := finding("IAM001", roleARN("locked"), findings.High)
	fn := finding("IAM010", fnARN("f"), findings.Critical)
	if _, err := st.Reconcile(ctx, accountScope, []findings.Finding{a, locked, fn}, day(1)); err != nil {
		t.Fatal(err)
	}
	partial := accountScope
	partial.Unreadable = []Gap{
		{Target: roleARN("locked"), Reason: "GetRolePolicy: AccessDenied"},
		{Target: "arn:aws:lambda:" + region + ":" + account + ":function:", Prefix: true, Reason: "ListFunctions: throttled"},
	}
	res, err := st.Reconcile(ctx, partial, nil, day(2))
	if err != nil {
		t.Fatal(err)
	}
	if ch := changesByID(t, res); len(ch) != 1 || ch[a.ID].Kind != ChangeResolved {
		t.Fatalf("changes = %+v, want only the readable role's finding resolved", res.Changes)
	}
	unread := map[string]string{}
	for _, u := range res.Unread {
		unread[u.ID] = u.Gap.Reason
	}
	if len(unread) != 2 || unread[locked.ID] == "" || unread[fn.ID] == "" {
		t.Fatalf("unread = %+v, want the locked role and the function", res.Unread)
	}
	if open := res.Open(); open["HIGH"] != 1 || open["CRITICAL"] != 1 || open["MEDIUM"] != 0 {
		t.Fatalf("open after a partial run = %v, want the unread HIGH and CRITICAL", open)
	}
	// Nothing readable at all: nothing resolves.
	blind := accountScope
	blind.Unreadable = []Gap{{Prefix: true, Reason: "GetAccountAuthorizationDetails: AccessDenied"}}
	res, err = st.Reconcile(ctx, blind, nil, day(3))
	if err != nil || len(res.Changes) != 0 || len(res.Unread) != 2 {
		t.Fatalf("blind run: changes %+v, unread %d, %v", res.Changes, len(res.Unread), err)
	}
}

// countingQueries counts the pages the scope query reads.
type countingQueries struct {
	DynamoAPI
	queries atomic.Int64
}

func (c *countingQueries) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries.Add(1)
	return c.DynamoAPI.Query(ctx, in, optFns...)
}

// TestScopeQueryPages resolves more standing findings than one page holds.
func TestScopeQueryPages(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	const n, page = 23, 5
	var fs []findings.Finding
	for i := range n {
		fs = append(fs, finding("FLEET002", fnARN(fmt.Sprintf("f%02d", i)), findings.Low))
	}
	if _, err := st.Reconcile(ctx, accountScope, fs, day(1)); err != nil {
		t.Fatal(err)
	}
	counter := &countingQueries{DynamoAPI: st.Client}
	st.Client, st.PageSize = counter, page
	res, err := st.Reconcile(ctx, accountScope, fs[:1], day(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != n-1 {
		t.Fatalf("%d changes, want %d resolutions", len(res.Changes), n-1)
	}
	if q := counter.queries.Load(); q < (n+page-1)/page {
		t.Fatalf("%d query pages for %d findings at %d a page", q, n, page)
	}
}

func TestCreateTableIsIdempotentAndChecksLayout(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	client := st.Client.(*dynamodb.Client)
	if err := CreateTable(ctx, client, st.Table, 30*time.Second); err != nil {
		t.Fatalf("second CreateTable: %v", err)
	}
	other := fmt.Sprintf("not-findings-%d", time.Now().UnixNano())
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(other), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := CreateTable(ctx, client, other, 30*time.Second); err == nil {
		t.Fatal("CreateTable accepted a table with another key schema")
	}
}

func TestReconcileRejectsBadInput(t *testing.T) {
	t.Parallel()
	st := &Store{Table: "unused"} // no client: nothing may be written
	ctx := context.Background()
	if _, err := st.Reconcile(ctx, Scope{}, nil, day1); err == nil {
		t.Error("accepted a scope without scanner")
	}
	bad := finding("IAM001", roleARN("a"), findings.High)
	bad.Severity = 0
	if _, err := st.Reconcile(ctx, accountScope, []findings.Finding{bad}, day1); err == nil {
		t.Error("accepted a finding without severity")
	}
}

// failingWrites fails the writes of one finding.
type failingWrites struct {
	DynamoAPI
	id string
}

func (c failingWrites) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if k, _ := in.Key[AttrID].(*types.AttributeValueMemberS); k != nil && k.Value == c.id {
		return nil, fmt.Errorf("injected failure")
	}
	return c.DynamoAPI.UpdateItem(ctx, in, optFns...)
}

// TestFailedWriteResolvesNothing: when one finding cannot be recorded the
// run still reports the changes it wrote, and resolves nothing.
func TestFailedWriteResolvesNothing(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	old := finding("IAM001", roleARN("old"), findings.High)
	if _, err := st.Reconcile(ctx, accountScope, []findings.Finding{old}, day(1)); err != nil {
		t.Fatal(err)
	}
	a := finding("IAM001", roleARN("a"), findings.High)
	b := finding("IAM001", roleARN("b"), findings.High)
	st.Client = failingWrites{DynamoAPI: st.Client, id: b.ID}
	res, err := st.Reconcile(ctx, accountScope, []findings.Finding{a, b, a}, day(2))
	if err == nil {
		t.Fatal("no error for a failed write")
	}
	if len(res.Changes) != 1 || res.Changes[0].Record.ID != a.ID || res.Changes[0].Kind != ChangeNew {
		t.Fatalf("changes %+v, want a NEW once", res.Changes)
	}
	if len(res.Seen) != 1 || res.Seen[0].Occurrences != 1 {
		t.Fatalf("seen %+v, want a once", res.Seen)
	}
	if r := mustGet(t, st, old.ID); r.Status != findings.StatusNew {
		t.Fatalf("a failed run resolved %s: %s", old.Resource, r.Status)
	}
}
