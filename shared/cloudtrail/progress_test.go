package cloudtrail

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/selfaudit/selfaudit/shared/progress"
)

// TestAnalyzePathsProgress: AnalyzePaths reports the bytes it read of the
// files it was given, up to their total size, and how many files are done.
func TestAnalyzePathsProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var total int64
	for i := range 3 {
		path := filepath.Join(dir, fmt.Sprintf("f%d.json.gz", i))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		zw := gzip.NewWriter(f)
		var recs []string
		for j := range 200 {
			recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"2026-01-01T00:%02d:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.%d","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/u%d"}}`, j%60, j%250, i))
		}
		fmt.Fprintf(zw, `{"Records":[%s]}`, strings.Join(recs, ","))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		total += st.Size()
		f.Close()
	}
	var mu sync.Mutex
	var last progress.Update
	calls := 0
	_, stats, err := AnalyzePaths(context.Background(), []string{dir}, Options{Progress: func(u progress.Update) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if u.Done >= last.Done {
			last = u
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Records != 600 {
		t.Fatalf("records = %d, want 600", stats.Records)
	}
	if calls == 0 || last.Done != total || last.Total != total || last.Unit != "bytes" {
		t.Errorf("%d updates, last %+v; want it to reach %d of %d bytes", calls, last, total, total)
	}
}
