package iamscan

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpora are the third-party template collections copied into testdata
// (see their README.md): cfn_nag's test templates for IAM and Lambda
// permissions, and AWS SAM CLI's templates with conditions and permissions.
var corpora = []string{"testdata/cfnnag", "testdata/samcli"}

// corpusInputErrors are the corpus files that must stay input errors (exit
// 2), each with why. Everything else is a template or a policy, and a
// template never stops the scan: what cannot be analysed is IAM000.
var corpusInputErrors = map[string]string{
	"testdata/cfnnag/json/ec2_volume/ebs_volume_parameters.json": "not a template: only a Parameters section, no Resources",
	"testdata/cfnnag/json/structural/no_resources.json":          `not a template: {"foo": "moo"}`,
	"testdata/cfnnag/json/structural/rubbish.json":               "not a template: one line of prose, which YAML reads as a string",
	"testdata/cfnnag/yaml/ignore_fatal/non_cfn.yml":              "not a template: a YAML document with no template section",
	"testdata/cfnnag/yaml/security_group/bad_cidr.json":          "not a template: only a Parameters section, no Resources",
	"testdata/cfnnag/yaml/vulgar_bad_syntax.yml":                 "not YAML: a mapping value where YAML allows none (line 3)",
}

// TestCorporaNeverAbort scans every template of the copied corpora one by
// one, as `selfaudit scan FILE` does: only the files listed above are input
// errors, and the three templates whose policies used to stop the scan are
// judged with IAM000 where a policy cannot be read.
func TestCorporaNeverAbort(t *testing.T) {
	t.Parallel()
	var files []string
	for _, dir := range corpora {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && templateExts[strings.ToLower(filepath.Ext(path))] {
				files = append(files, filepath.ToSlash(path))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 90 {
		t.Fatalf("%d corpus files: are the corpora in testdata?", len(files))
	}
	sort.Strings(files)
	iam000 := map[string]int{}
	for _, path := range files {
		_, err := scanner().ScanPaths([]string{path})
		why, expected := corpusInputErrors[path]
		switch {
		case expected && err == nil:
			t.Errorf("%s: scanned, but is listed as an input error (%s)", path, why)
		case expected && !errors.Is(err, ErrInput):
			t.Errorf("%s: %v, want an input error", path, err)
		case !expected && err != nil:
			t.Errorf("%s: %v", path, err)
		}
		if err != nil {
			continue
		}
		data, _ := os.ReadFile(path)
		rep, err := scanner().ScanFile(path, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Findings {
			if f.Check == IAM000.ID {
				iam000[path]++
				if f.Evidence["reason"] == "" || f.Location == nil || f.Location.Line == 0 {
					t.Errorf("%s: IAM000 without reason or line: %+v", path, f)
				}
			}
		}
	}
	for path := range corpusInputErrors {
		if !contains(files, path) {
			t.Errorf("%s is listed but not in the corpora", path)
		}
	}
	// The three templates that used to end the scan with exit 2.
	for path, want := range map[string]int{
		"testdata/cfnnag/json/iam_role/iam_role_not_principal_on_trust.json": 1, // trust statement without Action ("dAction")
		"testdata/cfnnag/json/iam_user/iam_user_with_inline_policy.json":     1, // a statement written as the document
		"testdata/cfnnag/yaml/iam_role/embedded_sub.yml":                     1, // Principal: !Sub "${Principal}" when Internal
	} {
		if iam000[path] != want {
			t.Errorf("%s: %d IAM000 findings, want %d", path, iam000[path], want)
		}
	}
	t.Logf("%d corpus files, %d input errors as listed, IAM000 in %v", len(files), len(corpusInputErrors), iam000)
}
