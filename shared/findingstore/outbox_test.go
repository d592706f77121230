package findingstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/findingstest"
)

// announced renders events as "STATUS<-PREVIOUS resource" for comparison.
func announced(ts []findings.Tracked) []string {
	out := make([]string, len(ts))
	for i, e := range ts {
		out[i] = fmt.Sprintf("%s<-%s %s", e.Status, e.PreviousStatus, e.Resource)
	}
	return out
}

func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDeliverRetriesRefusedAnnouncements: when the bus refuses a run's
// announcements, the run fails and the next run announces exactly the
// changes the bus refused, for NEW, REOPENED and RESOLVED, before its own;
// a run with nothing pending and nothing changed stays silent.
func TestDeliverRetriesRefusedAnnouncements(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	var b findingstest.Recorder
	d := Delivery{Store: st, Bus: &b, Source: "iam-wildcard-scanner"}
	ctx := context.Background()
	wide := finding("IAM001", roleARN("wide"), findings.Critical)
	pass := finding("IAM004", roleARN("pass"), findings.High)
	late := finding("IAM006", roleARN("late"), findings.Medium)
	retry := time.Minute // a Lambda retry, well within the claim timeout
	// Runs start at instants finer than the table keeps, as time.Now
	// gives them.
	day := func(n int) time.Time { return day(n).Add(1234567 * time.Nanosecond) }

	steps := []struct {
		name    string
		seen    []findings.Finding
		at      time.Time
		busDown bool
		want    []string
		again   int // of want, announced for an earlier run
	}{
		{"day 1, bus down", []findings.Finding{wide, pass}, day(1), true, nil, 0},
		{"day 1, retry", []findings.Finding{wide, pass}, day(1).Add(retry), false, []string{"NEW<- " + wide.Resource, "NEW<- " + pass.Resource}, 2},
		{"day 2, nothing changed", []findings.Finding{wide, pass}, day(2), false, nil, 0},
		{"day 3, pass fixed, bus down", []findings.Finding{wide}, day(3), true, nil, 0},
		{"day 3, retry", []findings.Finding{wide}, day(3).Add(retry), false, []string{"RESOLVED<-OPEN " + pass.Resource}, 1},
		{"day 4, nothing changed", []findings.Finding{wide}, day(4), false, nil, 0},
		{"day 5, pass broken again, bus down", []findings.Finding{wide, pass}, day(5), true, nil, 0},
		{"day 5, retry", []findings.Finding{wide, pass}, day(5).Add(retry), false, []string{"REOPENED<-RESOLVED " + pass.Resource}, 1},
		{"day 6, nothing changed", []findings.Finding{wide, pass}, day(6), false, nil, 0},
		{"day 7, late appears, bus down", []findings.Finding{wide, pass, late}, day(7), true, nil, 0},
		// The lost NEW comes first, then this run's changes, among them
		// the resolution of the finding whose NEW was lost.
		{"day 8, late and pass gone", []findings.Finding{wide}, day(8), false,
			[]string{"NEW<- " + late.Resource, "RESOLVED<-OPEN " + pass.Resource, "RESOLVED<-NEW " + late.Resource}, 1},
		{"day 9, nothing changed", []findings.Finding{wide}, day(9), false, nil, 0},
	}
	for _, s := range steps {
		b.Err = nil
		if s.busDown {
			b.Err = errors.New("bus down")
		}
		out, err := d.Deliver(ctx, accountScope, s.seen, s.at)
		if s.busDown != (err != nil) {
			t.Fatalf("%s: error %v", s.name, err)
		}
		got := b.Take()
		if s.busDown {
			continue
		}
		// Within one finding the order is the order of decision; across
		// findings the resolutions come in any order.
		if len(s.want) == 3 && len(got) == 3 && got[1].Resource == late.Resource {
			got[1], got[2] = got[2], got[1]
		}
		if !sameList(announced(got), s.want) || out.Announced != len(s.want) || out.Reannounced != s.again {
			t.Errorf("%s: announced %q (%d, %d again), want %q (%d again)", s.name, announced(got), out.Announced, out.Reannounced, s.want, s.again)
		}
	}
	// Every announcement acknowledged: nothing pending, and the resolved
	// findings are out of the scope's index.
	for _, f := range []findings.Finding{wide, pass, late} {
		r := mustGet(t, st, f.ID)
		if len(r.pending) != 0 {
			t.Errorf("%s: still pending %v", f.Resource, r.pending)
		}
		if (r.Status == findings.StatusResolved) != (r.openScope == "") {
			t.Errorf("%s: %s with openScope %q", f.Resource, r.Status, r.openScope)
		}
	}
}

// TestRetriedEventCarriesDecidedFields: a change announced again carries
// the status and severity it was decided with, and the sightings of today.
func TestRetriedEventCarriesDecidedFields(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	b := findingstest.Recorder{Err: errors.New("bus down")}
	d := Delivery{Store: st, Bus: &b, Source: "s"}
	ctx := context.Background()
	high := finding("IAM001", roleARN("app"), findings.High)
	crit := high
	crit.Severity = findings.Critical
	if _, err := d.Deliver(ctx, accountScope, []findings.Finding{high}, day(1)); err == nil {
		t.Fatal("no error from a refused announcement")
	}
	b.Err = nil
	if _, err := d.Deliver(ctx, accountScope, []findings.Finding{high}, day(1)); err != nil {
		t.Fatal(err)
	}
	b.Take()
	b.Err = errors.New("bus down")
	if _, err := d.Deliver(ctx, accountScope, []findings.Finding{crit}, day(2)); err == nil {
		t.Fatal("no error from a refused announcement")
	}
	b.Err = nil
	if _, err := d.Deliver(ctx, accountScope, []findings.Finding{high}, day(3)); err != nil {
		t.Fatal(err)
	}
	got := b.Take()
	// Day 2's escalation is announced as decided; day 3's step back down
	// is a change of its own.
	if len(got) != 2 {
		t.Fatalf("announced %+v, want the escalation and the step down", got)
	}
	if e := got[0]; e.Status != findings.StatusOpen || e.Severity != findings.Critical || e.PreviousSeverity != findings.High ||
		e.Occurrences != 4 || !e.FirstSeen.Equal(day(1)) || !e.LastSeen.Equal(day(3)) {
		t.Errorf("escalation announced again as %+v", e)
	}
	if e := got[1]; e.Status != findings.StatusOpen || e.Severity != findings.High || e.PreviousSeverity != findings.Critical {
		t.Errorf("step down announced as %+v", e)
	}
}

// TestOldAcknowledgementKeepsNewerChange: acknowledging a change clears
// that change only; a newer change of the same finding stays pending, and
// its resolved finding stays findable until it is announced.
func TestOldAcknowledgementKeepsNewerChange(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	st.Outbox = true
	ctx := context.Background()
	f := finding("IAM001", roleARN("x"), findings.High)
	res, err := st.Reconcile(ctx, accountScope, []findings.Finding{f}, day(1))
	if err != nil || len(res.Changes) != 1 {
		t.Fatalf("day 1: %+v, %v", res, err)
	}
	isNew := res.Changes[0]
	res, err = st.Reconcile(ctx, accountScope, nil, day(2))
	if err != nil || len(res.Changes) != 1 || res.Changes[0].Kind != ChangeResolved || len(res.Pending) != 1 || res.Pending[0].Kind != ChangeNew {
		t.Fatalf("day 2: %+v, %v", res, err)
	}
	for range 2 { // twice: an acknowledgement repeated changes nothing
		if err := st.Acknowledge(ctx, []Change{isNew}); err != nil {
			t.Fatal(err)
		}
	}
	r := mustGet(t, st, f.ID)
	if len(r.pending) != 1 || r.pending[res.Changes[0].pendingKey].Kind != ChangeResolved || r.openScope != accountScope.Key() {
		t.Fatalf("after the old acknowledgement: pending %v, openScope %q", r.pending, r.openScope)
	}

	var b findingstest.Recorder
	out, err := Delivery{Store: st, Bus: &b}.Deliver(ctx, accountScope, nil, day(3))
	if got := announced(b.Take()); err != nil || !sameList(got, []string{"RESOLVED<-NEW " + f.Resource}) || out.Reannounced != 1 {
		t.Fatalf("day 3: %q, %+v, %v", got, out, err)
	}
	if r := mustGet(t, st, f.ID); len(r.pending) != 0 || r.openScope != "" {
		t.Fatalf("after day 3: pending %v, openScope %q", r.pending, r.openScope)
	}
	if _, err := (Delivery{Store: st, Bus: &b}).Deliver(ctx, accountScope, nil, day(4)); err != nil || len(b.Announced()) != 0 {
		t.Fatalf("day 4: %v, %+v", err, b.Announced())
	}
}

// TestClaimedChangesWaitForTheirRun: a change is announced again only once
// the run that decided it gave it up (released it, or let its claim run
// out), so a run beside one still announcing does not repeat its changes.
func TestClaimedChangesWaitForTheirRun(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	f := finding("IAM001", roleARN("x"), findings.High)
	running := *st
	running.Outbox = true
	// A run that decided a change and then stopped before announcing it.
	if _, err := running.Reconcile(ctx, accountScope, []findings.Finding{f}, day(1)); err != nil {
		t.Fatal(err)
	}
	var b findingstest.Recorder
	d := Delivery{Store: st, Bus: &b}
	if _, err := d.Deliver(ctx, accountScope, []findings.Finding{f}, day(1).Add(time.Minute)); err != nil || len(b.Announced()) != 0 {
		t.Fatalf("within the claim: %v, %+v", err, b.Announced())
	}
	out, err := d.Deliver(ctx, accountScope, []findings.Finding{f}, day(1).Add(DefaultClaimTimeout))
	if got := announced(b.Take()); err != nil || !sameList(got, []string{"NEW<- " + f.Resource}) || out.Reannounced != 1 {
		t.Fatalf("after the claim: %q, %v", got, err)
	}
}

// TestConcurrentWritersWithOutbox: eight runs recording the same new
// findings at once announce each NEW once between them, counting the
// changes they take over.
func TestConcurrentWritersWithOutbox(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	st.Outbox = true
	const writers, n = 8, 12
	var fs []findings.Finding
	for i := range n {
		fs = append(fs, finding("IAM001", roleARN(fmt.Sprintf("r%02d", i)), findings.High))
	}
	news := map[string]int{}
	for _, res := range reconcileAtOnce(t, st, writers, fs) {
		for _, c := range append(res.Pending, res.Changes...) {
			news[c.Record.ID+" "+string(c.Kind)]++
		}
	}
	if len(news) != n {
		t.Errorf("changes %v, want one NEW per finding", news)
	}
	for _, f := range fs {
		if news[f.ID+" NEW"] != 1 {
			t.Errorf("%s announced NEW %d times, want once", f.Resource, news[f.ID+" NEW"])
		}
	}
}

// writesOff fails every UpdateItem while off is set.
type writesOff struct {
	DynamoAPI
	off *atomic.Bool
}

func (w writesOff) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if w.off.Load() {
		return nil, errors.New("injected write failure")
	}
	return w.DynamoAPI.UpdateItem(ctx, in, optFns...)
}

// breakingBus accepts the events, then makes the table refuse writes.
type breakingBus struct {
	findingstest.Recorder
	off *atomic.Bool
}

func (b *breakingBus) Announce(ctx context.Context, ts []findings.Tracked) error {
	err := b.Recorder.Announce(ctx, ts)
	b.off.Store(true)
	return err
}

// TestUnacknowledgedAnnouncementRepeats: when the bus accepted a change but
// the acknowledgement could not be written, the run succeeds, warns, and a
// run after the claim ran out announces the change a second time: at least
// once, never zero times.
func TestUnacknowledgedAnnouncementRepeats(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	var off atomic.Bool
	st.Client = writesOff{DynamoAPI: st.Client, off: &off}
	var logs bytes.Buffer
	ctx := zerolog.New(&logs).WithContext(context.Background())
	f := finding("IAM001", roleARN("x"), findings.High)
	b := &breakingBus{off: &off}
	out, err := Delivery{Store: st, Bus: b}.Deliver(ctx, accountScope, []findings.Finding{f}, day(1))
	if err != nil || out.Announced != 1 || !strings.Contains(logs.String(), "may be announced again") {
		t.Fatalf("day 1: %+v, %v, logs %s", out, err, logs.String())
	}
	off.Store(false)
	var again findingstest.Recorder
	d := Delivery{Store: st, Bus: &again}
	if _, err := d.Deliver(ctx, accountScope, []findings.Finding{f}, day(1).Add(time.Minute)); err != nil || len(again.Announced()) != 0 {
		t.Fatalf("within the claim: %v, %+v", err, again.Announced())
	}
	if _, err := d.Deliver(ctx, accountScope, []findings.Finding{f}, day(2)); err != nil || !sameList(announced(again.Take()), []string{"NEW<- " + f.Resource}) {
		t.Fatalf("day 2: %v", err)
	}
	if _, err := d.Deliver(ctx, accountScope, []findings.Finding{f}, day(3)); err != nil || len(again.Announced()) != 0 {
		t.Fatalf("day 3: %v, %+v", err, again.Announced())
	}
}
