package iamscan

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkScanTemplates scans the project's own SAM stack, the parser's
// fixtures and the labelled cfn_nag templates, one ScanFile each: the cost
// of a pipeline gate on a repository of templates.
func BenchmarkScanTemplates(b *testing.B) {
	var names []string
	for _, pattern := range []string{filepath.Join("..", "..", "template.yaml"), filepath.Join(templateFixtures, "*"), "testdata/cfnnag/*/*/*"} {
		m, _ := filepath.Glob(pattern)
		names = append(names, m...)
	}
	type file struct {
		name string
		data []byte
	}
	var files []file
	size := 0
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, file{n, data})
		size += len(data)
	}
	s := scanner()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			_, _ = s.ScanFile(f.name, f.data)
		}
	}
}
