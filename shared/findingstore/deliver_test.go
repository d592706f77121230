package findingstore

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/findingstest"
)

// TestDeliverWithoutStore: every finding is announced NEW and counted, as
// before the store existed, and no status metrics are written.
func TestDeliverWithoutStore(t *testing.T) {
	t.Parallel()
	var b findingstest.Recorder
	var emf bytes.Buffer
	fs := []findings.Finding{finding("IAM001", roleARN("a"), findings.Critical), finding("IAM006", roleARN("b"), findings.Medium)}
	out, err := Delivery{Bus: &b, Metrics: &emf, Source: "s"}.Deliver(context.Background(), Scope{}, fs, day1)
	if err != nil || out.Announced != 2 || out.State != nil || len(b.Announced()) != 2 {
		t.Fatalf("outcome %+v, %v; announced %v", out, err, b.Announced())
	}
	for _, e := range b.Announced() {
		if e.Status != findings.StatusNew || e.PreviousStatus != "" || e.Occurrences != 0 {
			t.Errorf("event %+v, want NEW and nothing else", e)
		}
	}
	if !strings.Contains(emf.String(), `"FindingsTotal":2`) || strings.Contains(emf.String(), findings.MetricNew) {
		t.Errorf("metrics %s", emf.String())
	}
}

// TestDeliverAnnouncesChangesOnly walks a role through its life with a
// store: only changes reach the bus, each with its status fields, and the
// metrics count every run.
func TestDeliverAnnouncesChangesOnly(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	var b findingstest.Recorder
	var emf bytes.Buffer
	d := Delivery{Store: st, Bus: &b, Metrics: &emf, Source: "iam-wildcard-scanner"}
	ctx := context.Background()
	wide := finding("IAM001", roleARN("wide"), findings.Critical)
	pass := finding("IAM004", roleARN("pass"), findings.High)

	out, err := d.Deliver(ctx, accountScope, []findings.Finding{wide, pass}, day(1))
	got := b.Take()
	if err != nil || out.Announced != 2 || len(got) != 2 || out.State.New != 2 || out.State.Open["CRITICAL"] != 1 || out.State.Open["HIGH"] != 1 {
		t.Fatalf("day 1: %+v, %v, %v", out, err, got)
	}
	for _, e := range got {
		if e.Status != findings.StatusNew || e.Occurrences != 1 || !e.FirstSeen.Equal(day(1)) || !e.LastSeen.Equal(day(1)) || !e.StatusChangedAt.Equal(day(1)) {
			t.Errorf("day 1 event %+v", e)
		}
	}

	emf.Reset()
	out, err = d.Deliver(ctx, accountScope, []findings.Finding{wide, pass}, day(2))
	if err != nil || out.Announced != 0 || len(b.Take()) != 0 || out.State.Open["CRITICAL"] != 1 {
		t.Fatalf("day 2 (nothing changed): %+v, %v", out, err)
	}
	if !strings.Contains(emf.String(), `"FindingsTotal":2`) || !strings.Contains(emf.String(), `"NewFindings":0`) || !strings.Contains(emf.String(), `"OpenFindings":1`) {
		t.Errorf("day 2 metrics %s", emf.String())
	}

	out, err = d.Deliver(ctx, accountScope, []findings.Finding{wide}, day(3))
	got = b.Take()
	if err != nil || len(got) != 1 || out.State.Resolved != 1 || out.State.Open["HIGH"] != 0 {
		t.Fatalf("day 3 (pass fixed): %+v, %v, %v", out, err, got)
	}
	if e := got[0]; e.ID != pass.ID || e.Status != findings.StatusResolved || e.PreviousStatus != findings.StatusOpen ||
		e.Occurrences != 2 || !e.FirstSeen.Equal(day(1)) || !e.LastSeen.Equal(day(2)) || e.Check != "IAM004" ||
		!e.StatusChangedAt.Equal(day(3)) { // decided after the last sighting
		t.Errorf("day 3 event %+v", e)
	}

	worse := wide
	worse.Severity = findings.High
	_, err = d.Deliver(ctx, Scope{Scanner: accountScope.Scanner, Account: account, Region: region, Targets: []string{roleARN("wide"), roleARN("pass")}},
		[]findings.Finding{worse, pass}, day(4))
	got = b.Take()
	if err != nil || len(got) != 2 {
		t.Fatalf("day 4 (targeted): %v, %v", err, got)
	}
	kinds := map[string]findings.Tracked{}
	for _, e := range got {
		kinds[e.ID] = e
	}
	if e := kinds[wide.ID]; e.Status != findings.StatusOpen || e.PreviousSeverity != findings.Critical || e.Severity != findings.High {
		t.Errorf("severity change %+v", e)
	}
	if e := kinds[pass.ID]; e.Status != findings.StatusReopened || e.PreviousStatus != findings.StatusResolved || e.Occurrences != 3 {
		t.Errorf("reopened %+v", e)
	}
}

// TestDeliverFailedAnnouncement: a bus failure fails the run, writes no
// metrics and logs the changes the table holds but the bus never got.
func TestDeliverFailedAnnouncement(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	var logs, emf bytes.Buffer
	ctx := zerolog.New(&logs).WithContext(context.Background())
	d := Delivery{Store: st, Bus: &findingstest.Recorder{Err: errors.New("bus down")}, Metrics: &emf, Source: "s"}
	f := finding("IAM001", roleARN("x"), findings.Critical)
	_, err := d.Deliver(ctx, accountScope, []findings.Finding{f}, day(1))
	if err == nil || !strings.Contains(err.Error(), "bus down") || emf.Len() != 0 || !strings.Contains(logs.String(), "NEW "+f.ID) {
		t.Errorf("err %v, metrics %q, logs %s", err, emf.String(), logs.String())
	}
}

// TestDeliverSuppressed: a suppressed finding is never announced, with a
// store or without; the store records it SUPPRESSED (and REOPENED once the
// suppression is gone), and the metrics count it apart from the findings.
func TestDeliverSuppressed(t *testing.T) {
	t.Parallel()
	wide := finding("IAM001", roleARN("wide"), findings.Critical)
	vendor := finding("IAM006", roleARN("vendor"), findings.Medium)
	isVendor := func(f findings.Finding) bool { return f.ID == vendor.ID }
	fs := []findings.Finding{wide, vendor}
	ctx := context.Background()

	var b findingstest.Recorder
	var emf bytes.Buffer
	out, err := Delivery{Bus: &b, Metrics: &emf, Source: "s", Suppressed: isVendor}.Deliver(ctx, Scope{}, fs, day1)
	if err != nil || out.Announced != 1 || out.Suppressed != 1 || len(b.Announced()) != 1 || b.Announced()[0].ID != wide.ID {
		t.Fatalf("without a store: %+v, %v, %v", out, err, b.Announced())
	}
	if m := emf.String(); !strings.Contains(m, `"FindingsTotal":1`) || !strings.Contains(m, `"`+findings.MetricSuppressed+`":1`) {
		t.Errorf("metrics %s", m)
	}

	st := newStore(t)
	b.Take()
	emf.Reset()
	d := Delivery{Store: st, Bus: &b, Metrics: &emf, Source: "s", Suppressed: isVendor}
	out, err = d.Deliver(ctx, accountScope, fs, day(1))
	got := b.Take()
	if err != nil || out.Announced != 1 || out.Suppressed != 1 || len(got) != 1 || got[0].ID != wide.ID || out.State.Open["MEDIUM"] != 0 {
		t.Fatalf("with a store: %+v, %v, %v", out, err, got)
	}
	if m := emf.String(); !strings.Contains(m, `"FindingsTotal":1`) || !strings.Contains(m, `"`+findings.MetricSuppressed+`":1`) || !strings.Contains(m, `"NewFindings":1`) {
		t.Errorf("metrics %s", m)
	}
	rec, found, err := st.get(ctx, vendor.ID)
	if err != nil || !found || rec.Status != findings.StatusSuppressed {
		t.Fatalf("stored %+v %v %v, want SUPPRESSED", rec, found, err)
	}
	d.Suppressed = nil
	_, err = d.Deliver(ctx, accountScope, fs, day(2))
	got = b.Take()
	if err != nil || len(got) != 1 || got[0].ID != vendor.ID || got[0].Status != findings.StatusReopened {
		t.Errorf("suppression gone: %v, %+v", err, got)
	}
}
