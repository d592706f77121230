package iampolicy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// addSeeds adds every policy under testdata/policies to the corpus.
func addSeeds(f *testing.F) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "policies", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed policies: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Statement":[]}`))
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Action":"*:*","NotResource":"*","Principal":"*"}}`))
}

// checkIssues asserts what every evaluation must satisfy whatever the input.
func checkIssues(t *testing.T, doc *Document) {
	t.Helper()
	known := map[string]bool{}
	for _, c := range Checks() {
		known[c.ID] = true
	}
	for _, kind := range []Kind{Identity, LambdaResource, Trust} {
		for _, is := range Evaluate(doc, kind, Options{AccountID: "111122223333"}) {
			if !known[is.Check] || is.Key == "" || is.Evidence["statement"] == nil || is.Severity.String() == "" {
				t.Fatalf("malformed issue %+v", is)
			}
			if _, err := json.Marshal(is.Evidence); err != nil {
				t.Fatalf("evidence of %s does not encode: %v", is.Check, err)
			}
		}
	}
}

// FuzzParse feeds arbitrary bytes to Parse and evaluates whatever parses.
// Run it with an execution count rather than a duration on shared or busy
// machines, e.g. -fuzztime 3000x: a duration-based -fuzztime can fail with
// a spurious "context deadline exceeded" under CPU starvation (Go issue
// 75804).
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		checkIssues(t, doc)
	})
}

// FuzzFromValue decodes JSON without UseNumber (float64 numbers, as YAML and
// template loaders produce) and feeds the tree to FromValue.
func FuzzFromValue(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		doc, err := FromValue(v)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		checkIssues(t, doc)
	})
}
