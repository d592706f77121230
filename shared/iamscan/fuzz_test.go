package iamscan

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzScanFile feeds arbitrary files to the file scanner (templates, policy
// documents, account details): no panics, and every error is an input
// error naming the file.
func FuzzScanFile(f *testing.F) {
	for _, pattern := range []string{filepath.Join(templateFixtures, "*"), "testdata/cfnnag/*/*/*"} {
		seeds, _ := filepath.Glob(pattern)
		for _, s := range seeds {
			if b, err := os.ReadFile(s); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"Statement": {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sts:AssumeRole"}}`))
	f.Add([]byte(`{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::x"}]}`))
	f.Add([]byte(`{"RoleDetailList": [{"Arn": "arn:aws:iam::1:role/r", "AssumeRolePolicyDocument": "%7B%7D"}], "Policies": []}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz/input.json"
		_, err := (&FileScanner{}).ScanFile(name, data)
		if err == nil {
			return
		}
		if errors.Is(err, errNotPolicy) {
			return
		}
		if !errors.Is(err, ErrInput) {
			t.Fatalf("error is not an input error: %v", err)
		}
		if !strings.HasPrefix(err.Error(), name+": ") {
			t.Fatalf("error does not name the file first: %q", err)
		}
	})
}

// FuzzDecodeDocument covers IAM's URL-encoded documents.
func FuzzDecodeDocument(f *testing.F) {
	f.Add("%7B%22Statement%22%3A%5B%5D%7D")
	f.Add(`{"Statement": []}`)
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = DecodeDocument(s)
	})
}
