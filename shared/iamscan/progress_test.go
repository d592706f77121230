package iamscan

import (
	"context"
	"sync"
	"testing"

	"github.com/selfaudit/selfaudit/shared/progress"
)

// TestLiveScanProgress: the account scan reports the items it read page by
// page, then every function whose policy it judged, out of all.
func TestLiveScanProgress(t *testing.T) {
	env := newLiveEnv(t, "testdata/gaad")
	var mu sync.Mutex
	stages := map[string]progress.Update{}
	var order []string
	env.s.Progress = func(u progress.Update) {
		mu.Lock()
		defer mu.Unlock()
		if _, seen := stages[u.Stage]; !seen {
			order = append(order, u.Stage)
		}
		if u.Done >= stages[u.Stage].Done {
			stages[u.Stage] = u
		}
	}
	res := env.s.ScanAccount(context.Background())
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if len(order) != 2 || order[0] != "reading roles and managed policies" || order[1] != "function policies" {
		t.Fatalf("stages %v", order)
	}
	if u := stages["reading roles and managed policies"]; u.Done == 0 || u.Total != 0 {
		t.Errorf("reading: %+v; want items counted, total unknown", u)
	}
	if u := stages["function policies"]; u.Done != int64(res.Functions) || u.Total != int64(res.Functions) || u.Unit != "functions" {
		t.Errorf("functions: %+v; want %d of %d", u, res.Functions, res.Functions)
	}
}

// TestScanPathsProgress: a folder scan reports each file it reads.
func TestScanPathsProgress(t *testing.T) {
	t.Parallel()
	var got []progress.Update
	s := &FileScanner{Now: fixedNow, Progress: func(u progress.Update) { got = append(got, u) }}
	rep, err := s.ScanPaths([]string{"samtemplates"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != rep.Files+rep.Skipped || len(got) == 0 {
		t.Fatalf("%d updates for %d files and %d skipped", len(got), rep.Files, rep.Skipped)
	}
	for i, u := range got {
		if u.Done != int64(i) || u.Unit != "files" || u.Detail == "" {
			t.Errorf("update %d: %+v", i, u)
		}
	}
}
