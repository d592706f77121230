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
	for _, pattern := range []string{filepath.Join(templateFixtures, "*"), "testdata/cfnnag/*/*/*", "testdata/lmb002/*"} {
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
	f.Add([]byte(`{"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "1"}, "dAction": "x"}, {"Effect": "Allow", "Action": "*", "Resource": "*"}]}`))
	f.Add([]byte(`Resources: {P: {Type: AWS::Lambda::Permission, Properties: {Principal: {"Fn::If": [C, "210987654321", {"Fn::If": [D, "*", {Ref: "AWS::AccountId"}]}]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz/input.json"
		rep, err := (&FileScanner{}).ScanFile(name, data)
		if err == nil {
			seen := map[string]bool{}
			for _, fd := range rep.Findings {
				if seen[fd.ID] {
					t.Fatalf("finding %s %s twice", fd.Check, fd.Resource)
				}
				seen[fd.ID] = true
				if err := fd.Validate(); err != nil {
					t.Fatal(err)
				}
			}
		}
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
