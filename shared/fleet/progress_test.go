package fleet_test

import (
	"context"
	"testing"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/shared/fleet"
	"github.com/selfaudit/selfaudit/shared/progress"
)

// TestAuditProgress: an audit reports its steps in order, from listing
// the functions to judging them, each naming how many functions there are.
func TestAuditProgress(t *testing.T) {
	srv := awsfake.StartFleet(t, awsfake.SampleEstate())
	var got []progress.Update
	a := newWireAuditor(t, srv, fleet.Config{Progress: func(u progress.Update) { got = append(got, u) }})
	res, err := a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("%d updates, want 6: %+v", len(got), got)
	}
	for i, u := range got {
		if u.Done != int64(i) || u.Total != 5 || u.Unit != "steps" || u.Stage == "" {
			t.Errorf("update %d: %+v", i, u)
		}
	}
	if last := got[len(got)-1]; last.Stage != "judging" || res.Functions == 0 || last.Detail == "0 functions" {
		t.Errorf("last update %+v for %d functions", last, res.Functions)
	}
}
