package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

const (
	catalogDir = "../../../../../shared/data/iam/action-catalog"
	pathsDir   = "../../../../../shared/data/iam/privesc-paths"
	dataDir    = "../../data"
)

// TestCommittedDataUpToDate regenerates the catalog and the escalation
// paths from the source data and compares them with the committed files,
// so a stale generated file fails the build rather than a scan. It is
// skipped where the source data (a sibling of the repository) is absent.
func TestCommittedDataUpToDate(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(catalogDir); err != nil {
		t.Skipf("source data not present: %v", err)
	}
	want, err := buildCatalog(catalogDir)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := os.ReadFile(filepath.Join(dataDir, "actions.tsv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("data/actions.tsv.gz is stale: run go generate ./shared/iampolicy")
	}
	wantPaths, err := buildPaths(pathsDir)
	if err != nil {
		t.Fatal(err)
	}
	gotPaths, err := os.ReadFile(filepath.Join(dataDir, "privesc.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotPaths, wantPaths) {
		t.Error("data/privesc.tsv is stale: run go generate ./shared/iampolicy")
	}
}

func TestLevelCode(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Read": "R", "List": "L", "Write": "W",
		"Permissions management, Write": "P", "Tagging, Write": "T", "Permissions management": "P",
	}
	for in, want := range tests {
		got, err := levelCode(in)
		if err != nil || got != want {
			t.Errorf("levelCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := levelCode("Unknown"); err == nil {
		t.Error("levelCode accepted an unknown level")
	}
}
