package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/selfaudit/selfaudit/shared/findings/findingstest"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
)

type memberConfigs struct{}

func (memberConfigs) Config(_ context.Context, _, region string) (aws.Config, error) {
	return aws.Config{Region: region}, nil
}

type unitScanner struct{ err error }

func (s unitScanner) Scan(_ context.Context, _ aws.Config, u orgaudit.Unit) (orgaudit.Scan, error) {
	return orgaudit.Scan{Scope: findingstore.Scope{Scanner: "lambda-fleet-auditor", Account: u.Account, Region: u.Region}, Source: "lambda-fleet-auditor"}, s.err
}

// TestInvokeTellsUnitsFromTheSchedule: an SQS event is a batch of units,
// answered with the ones to deliver again; anything else is the schedule.
func TestInvokeTellsUnitsFromTheSchedule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ledger := orgaudit.NewMemoryLedger()
	run := orgaudit.Run{ID: "run-1", Created: time.Now(), Deadline: time.Now().Add(time.Hour), Regions: []string{"us-east-1"},
		Scanners: []string{orgaudit.ScannerFleet}, Accounts: []string{"111111111111", "222222222222"}}
	if err := ledger.Create(ctx, run); err != nil {
		t.Fatal(err)
	}
	w := &orgaudit.Worker{Roles: memberConfigs{}, Ledger: ledger, Delivery: findingstore.Delivery{Bus: &findingstest.Recorder{}},
		Scanners: map[string]orgaudit.UnitScanner{orgaudit.ScannerFleet: unitScanner{}}}
	h := &handler{auditor: fakeAuditor{err: errors.New("the schedule's audit ran")}, publisher: &findingstest.Recorder{}, metrics: io.Discard, org: w}
	body := func(account string) string {
		return orgaudit.Message{Kind: orgaudit.KindUnit, Unit: orgaudit.Unit{Run: run.ID, Account: account, Region: "us-east-1", Scanner: orgaudit.ScannerFleet}}.Body()
	}
	ev, _ := json.Marshal(orgaudit.SQSBatch{Records: []orgaudit.SQSRecord{
		{MessageID: "m1", Body: body("111111111111"), EventSource: "aws:sqs"},
		{MessageID: "m2", Body: "not a unit", EventSource: "aws:sqs"},
	}})
	out, err := h.Invoke(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if out.BatchItemFailures == nil || len(*out.BatchItemFailures) != 1 || (*out.BatchItemFailures)[0].ItemIdentifier != "m2" {
		t.Errorf("batch item failures %+v, want m2 only", out.BatchItemFailures)
	}
	raw, _ := json.Marshal(out)
	var shape map[string]any
	_ = json.Unmarshal(raw, &shape)
	if _, ok := shape["batchItemFailures"]; !ok {
		t.Errorf("answer %s has no batchItemFailures", raw)
	}
	if _, err := h.Invoke(ctx, []byte(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`)); err == nil || err.Error() != "audit lambda fleet: the schedule's audit ran" {
		t.Errorf("scheduled event: %v, want the audit's error", err)
	}
	h.org = nil
	if _, err := h.Invoke(ctx, ev); !errors.Is(err, orgaudit.ErrOrganizationModeOff) {
		t.Errorf("SQS event outside organisation mode: %v", err)
	}
}
