package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/orgaudit"
	"github.com/selfaudit/selfaudit/shared/orgaudit/coordinator"
)

type fakeStarter struct {
	got coordinator.Plan
	run orgaudit.Run
	err error
}

func (f *fakeStarter) Start(_ context.Context, p coordinator.Plan) (orgaudit.Run, error) {
	f.got = p
	return f.run, f.err
}

func TestHandle(t *testing.T) {
	t.Parallel()
	deadline := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	run := orgaudit.Run{ID: "r1", Deadline: deadline, Regions: []string{"us-east-1", "eu-west-1"}, Scanners: orgaudit.Scanners(), Accounts: []string{"111111111111", "222222222222"}}
	f := &fakeStarter{run: run}
	h := &handler{coordinator: f, plan: coordinator.Plan{Regions: []string{"us-east-1", "eu-west-1"}}}
	out, err := h.Handle(context.Background(), []byte(`{"source":"aws.scheduler"}`))
	if err != nil {
		t.Fatal(err)
	}
	if out.Run != "r1" || out.Accounts != 2 || out.Units != 6 || !out.Deadline.Equal(deadline) {
		t.Errorf("output %+v; want run r1, 2 accounts, 6 units", out)
	}
	if len(f.got.Regions) != 2 {
		t.Errorf("plan %+v", f.got)
	}
	h.accounts = func(context.Context, coordinator.Plan) ([]string, string, error) {
		return []string{"111111111111"}, "", nil
	}
	f.got = coordinator.Plan{}
	out, err = h.Handle(context.Background(), []byte(`{"dryRun":true}`))
	if err != nil || !out.DryRun || out.Accounts != 1 || f.got.Regions != nil {
		t.Errorf("dry run: %+v, %v; started %+v", out, err, f.got)
	}
	f.err = errors.New("boom")
	if _, err := h.Handle(context.Background(), nil); err == nil {
		t.Error("a failed start does not fail the invocation")
	}
}

func TestSetupNamesEveryBadVariable(t *testing.T) {
	t.Parallel()
	_, _, err := coordinator.FromEnv(awsConfig(), func(string) string { return "" })
	if err == nil {
		t.Fatal("no error without configuration")
	}
	for _, name := range []string{orgaudit.EnvRunsTable, coordinator.EnvRegions, coordinator.EnvIAMQueue, coordinator.EnvFleetQueue} {
		if !contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}
