package orgaudit

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/shared/findingstore"
)

// TestCompletionWritesCoverageMetrics: the invocation that completes a run
// writes its coverage as EMF, for the dashboard's coverage per run.
func TestCompletionWritesCoverageMetrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ledger := NewMemoryLedger()
	run := Run{ID: "r3", Regions: []string{"eu-west-1"}, Scanners: []string{ScannerFleet}, Accounts: []string{acct(1), acct(2)}}
	if err := ledger.Create(ctx, run); err != nil {
		t.Fatal(err)
	}
	bus := &recBus{}
	w := &Worker{Roles: fakeRoles{denied: map[string]bool{acct(2): true}}, Scanners: map[string]UnitScanner{ScannerFleet: fakeScanner{}}, Ledger: ledger,
		Delivery: findingstore.Delivery{Bus: bus}, Completer: &Completer{Ledger: ledger, Events: &recEvents{}, Findings: findingstore.Delivery{Bus: bus}, AuditAccount: "111111111111"}}
	var emf bytes.Buffer
	var ev SQSBatch
	for i, a := range run.Accounts {
		ev.Records = append(ev.Records, SQSRecord{MessageID: string(rune('a' + i)), EventSource: "aws:sqs",
			Body: Message{Kind: KindUnit, Unit: Unit{Run: "r3", Account: a, Region: "eu-west-1", Scanner: ScannerFleet}}.Body()})
	}
	if f := w.HandleInvocation(ctx, ev, Invocation{Metrics: &emf}); len(f) != 0 {
		t.Fatalf("failures %v", f)
	}
	if w.Completer.Findings.Metrics != nil || w.Delivery.Metrics != nil {
		t.Error("HandleInvocation changed the worker it was called on")
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(emf.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m[MetricOrgAccounts] != nil {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no coverage line in\n%s", emf.String())
	}
	want := map[string]float64{MetricOrgAccounts: 2, MetricOrgAccountsCovered: 1, MetricOrgUnitsDone: 1, MetricOrgUnitsNotCovered: 1, MetricOrgUnitsLost: 0}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v", k, line[k], v)
		}
	}
	if line["run"] != "r3" {
		t.Errorf("run %v", line["run"])
	}
}
