package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

const dataDir = "../../data"

// TestCommittedDataUpToDate regenerates the catalog and the escalation
// paths from the source data and compares them with the committed files,
// so a stale generated file fails the build rather than a scan. The source
// data is not in the repository: the test runs where SELFAUDIT_IAM_CATALOG
// and SELFAUDIT_PRIVESC_PATHS name its folders, as for go generate, and is
// skipped elsewhere.
func TestCommittedDataUpToDate(t *testing.T) {
	t.Parallel()
	catalogDir, pathsDir := os.Getenv("SELFAUDIT_IAM_CATALOG"), os.Getenv("SELFAUDIT_PRIVESC_PATHS")
	if catalogDir == "" || pathsDir == "" {
		t.Skip("SELFAUDIT_IAM_CATALOG and SELFAUDIT_PRIVESC_PATHS not set: source data not present")
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
