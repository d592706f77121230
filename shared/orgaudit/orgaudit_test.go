package orgaudit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
)

type fakeRoles struct{ denied map[string]bool }

func (r fakeRoles) Config(_ context.Context, account, region string) (aws.Config, error) {
	if r.denied[account] {
		return aws.Config{}, &NotCoveredError{Account: account, Reason: "AccessDenied: no role"}
	}
	return aws.Config{Region: region}, nil
}

type fakeScanner struct{}

func (fakeScanner) Scan(_ context.Context, cfg aws.Config, u Unit) (Scan, error) {
	res := "arn:aws:lambda:" + u.Region + ":" + u.Account + ":function:f"
	f := findings.Finding{ID: findings.StableID("LMB110", res, u.Scanner), Check: "LMB110", Severity: findings.Medium, Title: "t", Resource: res, Source: u.Scanner, ObservedAt: time.Unix(0, 0).UTC()}
	return Scan{Findings: []findings.Finding{f}, Scope: findingstore.Scope{Scanner: u.Scanner, Account: u.Account, Region: u.Region}, Source: u.Scanner}, nil
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
		if *en.DetailType != DetailTypeCompleted {
			return nil, fmt.Errorf("detail type %s", *en.DetailType)
		}
		e.details = append(e.details, *en.Detail)
	}
	return &eventbridge.PutEventsOutput{}, nil
}

func acct(i int) string { return fmt.Sprintf("%012d", 100000000000+i) }

// TestDeadlineReportsLostUnits closes a run with units never handled.
func TestDeadlineReportsLostUnits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ledger := NewMemoryLedger()
	run := Run{ID: "r2", Regions: []string{"eu-west-1"}, Scanners: []string{ScannerFleet}, Accounts: []string{acct(1), acct(2), acct(3)}}
	if err := ledger.Create(ctx, run); err != nil {
		t.Fatal(err)
	}
	ev, bus := &recEvents{}, &recBus{}
	w := &Worker{Roles: fakeRoles{}, Scanners: map[string]UnitScanner{ScannerFleet: fakeScanner{}}, Ledger: ledger, Delivery: findingstore.Delivery{Bus: bus},
		Completer: &Completer{Ledger: ledger, Events: ev, Findings: findingstore.Delivery{Bus: bus}, AuditAccount: "111111111111"}}
	if _, err := w.Handle(ctx, Message{Kind: KindUnit, Unit: Unit{Run: "r2", Account: acct(1), Region: "eu-west-1", Scanner: ScannerFleet}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Handle(ctx, Message{Kind: KindDeadline, Unit: Unit{Run: "r2"}, Deadline: time.Now().Add(time.Hour)}); err == nil {
		t.Fatal("a deadline message before the deadline completed the run")
	}
	out, err := w.Handle(ctx, Message{Kind: KindDeadline, Unit: Unit{Run: "r2"}, Deadline: time.Now().Add(-time.Second)})
	if err != nil || out.Completed == nil {
		t.Fatalf("deadline: %+v %v", out, err)
	}
	if c := out.Completed; c.Done != 1 || c.Lost != 2 || !c.TimedOut || len(c.Gaps) != 2 {
		t.Errorf("coverage %+v", c)
	}
	if _, err := w.Handle(ctx, Message{Kind: KindUnit, Unit: Unit{Run: "r2", Account: "000000000000", Region: "eu-west-1", Scanner: ScannerFleet}}); err == nil {
		t.Error("unit outside the run accepted")
	}
}

func TestParseMessage(t *testing.T) {
	t.Parallel()
	good := Message{Kind: KindUnit, Unit: Unit{Run: "r", Account: acct(1), Region: "eu-west-1", Scanner: ScannerIAM}}.Body()
	if _, err := ParseMessage([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		``, `{}`, `[]`, `{"kind":"unit"}`,
		`{"kind":"unit","run":"r","account":"12","region":"eu-west-1","scanner":"iam-wildcard-scanner"}`,
		`{"kind":"unit","run":"r","account":"100000000001","region":"EU","scanner":"iam-wildcard-scanner"}`,
		`{"kind":"unit","run":"r","account":"100000000001","region":"eu-west-1","scanner":"other"}`,
		`{"kind":"unit","run":"r#x","account":"100000000001","region":"eu-west-1","scanner":"iam-wildcard-scanner"}`,
		`{"kind":"deadline"}`, `{"kind":"later","run":"r"}`, `{"kind":"unit","extra":1}`,
	} {
		if _, err := ParseMessage([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(Message{Kind: KindUnit, Unit: Unit{Run: "r", Account: acct(1), Region: "eu-west-1", Scanner: ScannerIAM}}.Body()))
	f.Add([]byte(`{"kind":"deadline","run":"x","deadline":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			return
		}
		if _, err := ParseMessage([]byte(m.Body())); err != nil {
			t.Fatalf("round trip of %q: %v", b, err)
		}
	})
}
