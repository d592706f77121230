package iamscan

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkScanTemplates scans files one ScanFile each, the cost of a
// pipeline gate: "stack" is the project's own SAM stack; "labelled" the
// parser's original fixtures and the 18 labelled cfn_nag templates (the
// same set since the benchmark was written, so figures compare across
// changes); "corpora" every file of the copied corpora.
func BenchmarkScanTemplates(b *testing.B) {
	labelled := []string{}
	for _, n := range []string{"iam-json.json", "policy-identity.json", "policy-trust.json", "sam-shortform.yaml", "malformed.yaml", "no-type.yaml", "not-a-template.yaml"} {
		labelled = append(labelled, filepath.Join(templateFixtures, n))
	}
	lf, err := os.Open("testdata/cfnnag/labels.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(lf)
	for sc.Scan() {
		var row labelRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			b.Fatal(err)
		}
		labelled = append(labelled, filepath.Join("testdata/cfnnag", strings.TrimPrefix(row.Template, "spec/test_templates/")))
	}
	lf.Close()
	var corpus []string
	for _, dir := range []string{"testdata/cfnnag", "testdata/samcli"} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && templateExts[strings.ToLower(filepath.Ext(path))] {
				corpus = append(corpus, path)
			}
			return nil
		})
	}
	for _, set := range []struct {
		name  string
		files []string
	}{{"stack", []string{filepath.Join("..", "..", "template.yaml")}}, {"labelled", labelled}, {"corpora", corpus}} {
		if len(set.files) == 0 {
			continue
		}
		b.Run(set.name, func(b *testing.B) {
			type file struct {
				name string
				data []byte
			}
			var files []file
			size := 0
			for _, n := range set.files {
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
		})
	}
}
