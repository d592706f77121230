package iamscan

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/selfaudit/selfaudit/shared/cfntemplate"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
	"github.com/selfaudit/selfaudit/shared/progress"
)

// Sources of findings (the "source" field; docs/architecture.md,
// "Findings").
const (
	// SourceTemplate marks findings from files: templates and policies.
	SourceTemplate = "selfaudit-scan"
	// SourceLive marks findings from the live account scan, whether the
	// Lambda function or `selfaudit iam` ran it.
	SourceLive = "iam-wildcard-scanner"
)

// ErrInput marks input the scanner cannot read: malformed YAML or JSON, a
// malformed policy, a file given explicitly that is neither a template nor
// a policy. Its message names the file and the problem in one line.
var ErrInput = errors.New("input error")

// templateExts are the file names a folder walk considers.
var templateExts = map[string]bool{".yaml": true, ".yml": true, ".json": true, ".template": true}

// Report is the outcome of scanning files.
type Report struct {
	Findings []findings.Finding
	// Notes are sentences about what was not judged and why (a managed
	// policy that is not embedded, a reference only known at deploy time).
	Notes []string
	// Files counts the files that were templates or policies; Skipped the
	// files of walked folders that were neither.
	Files, Skipped int
	// Scanned names the files counted in Files, as their findings name
	// them: the scope of the run, whose standing findings a finding store
	// may resolve when a file no longer yields them.
	Scanned []string
}

// FileScanner scans templates and policy files. The zero value is ready to
// use; Now is the clock findings are stamped with.
type FileScanner struct {
	Now func() time.Time
	// SCPs cap what the scan of an account's authorization details
	// reports (AccountOptions.SCPs) and what the escalation graph of a
	// template's roles may use.
	SCPs [][]iameval.Policy
	// Account is the 12-digit ID of the account the templates are
	// deployed to, when known: a Lambda permission or resource policy
	// naming it is the stack's own. Empty means unknown, and every literal
	// account ID is reported under LMB002 with evidence saying so;
	// ${AWS::AccountId} is the stack's own either way.
	Account string
	// Progress hears each file ScanPaths read (the total is not known
	// while folders are walked).
	Progress progress.Func
}

func (s *FileScanner) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// ScanPaths scans files and folders. Folders are walked for .yaml, .yml,
// .json and .template files, skipping hidden folders (such as .aws-sam,
// whose build copies would double every finding) and node_modules; a
// file in a folder that is neither a template nor a policy is skipped, but
// one named explicitly is an input error. The first input error stops the
// scan: a template that cannot be read cannot be vouched for.
func (s *FileScanner) ScanPaths(paths []string) (*Report, error) {
	rep := &Report{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", p, ErrInput, unwrapPathError(err))
		}
		if !st.IsDir() {
			if err := s.scanPath(rep, p, true); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("%s: %w: %v", path, ErrInput, unwrapPathError(err))
			}
			if d.IsDir() {
				name := d.Name()
				if path != p && (strings.HasPrefix(name, ".") || name == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			if !templateExts[strings.ToLower(filepath.Ext(path))] {
				return nil
			}
			return s.scanPath(rep, path, false)
		})
		if err != nil {
			return nil, err
		}
	}
	findings.Sort(rep.Findings)
	return rep, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (s *FileScanner) scanPath(rep *Report, path string, explicit bool) error {
	s.Progress.Report(progress.Update{Done: int64(rep.Files + rep.Skipped), Unit: "files", Detail: path})
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w: %v", path, ErrInput, unwrapPathError(err))
	}
	fr, err := s.ScanFile(path, data)
	if errors.Is(err, errNotPolicy) && !explicit {
		rep.Skipped++
		return nil
	}
	if err != nil {
		return err
	}
	rep.Files++
	rep.Scanned = append(rep.Scanned, path)
	rep.Findings = append(rep.Findings, fr.Findings...)
	rep.Notes = append(rep.Notes, fr.Notes...)
	return nil
}

// inputError marks an error that already names the file (as cfntemplate's
// do) as an input error without changing its message.
type inputError struct{ err error }

func (e inputError) Error() string   { return e.err.Error() }
func (e inputError) Unwrap() []error { return []error{e.err, ErrInput} }

// errNotPolicy is wrapped into the input error for a file that is neither a
// template nor a policy, so that folder walks can skip such files.
var errNotPolicy = errors.New("neither a CloudFormation/SAM template nor an IAM policy document")

// FileReport is what one file yielded.
type FileReport struct {
	Findings []findings.Finding
	Notes    []string
}

// ScanFile scans one file's content: a CloudFormation or SAM template, an
// IAM policy document, or the JSON of `aws iam
// get-account-authorization-details`. name is used in resources and errors.
func (s *FileScanner) ScanFile(name string, data []byte) (*FileReport, error) {
	f, err := cfntemplate.Load(name, data)
	if err != nil {
		return nil, inputError{err}
	}
	if f.IsTemplate() {
		return s.scanTemplate(f)
	}
	v, _ := f.Value().(map[string]any)
	switch {
	case v == nil:
	case v["Statement"] != nil:
		return s.scanPolicyFile(f), nil
	case v["RoleDetailList"] != nil || v["Policies"] != nil && v["UserDetailList"] != nil:
		acct, err := DecodeAuthorizationDetails(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", name, ErrInput, err)
		}
		res := ScanAccountDetails(acct, AccountOptions{AllRoles: true, Now: s.Now, SCPs: s.SCPs})
		return &FileReport{Findings: res.Findings, Notes: res.Notes}, nil
	}
	return nil, fmt.Errorf("%s: %w: %w", name, ErrInput, errNotPolicy)
}

// scanPolicyFile judges a plain policy document. Its kind follows from its
// statements: only sts:AssumeRole* with a Principal is a trust policy, only
// lambda:* with a Principal is a Lambda resource policy, anything else is an
// identity policy. A statement that cannot be read is an IAM000 finding,
// as in templates, and the others are judged.
func (s *FileScanner) scanPolicyFile(f *cfntemplate.File) *FileReport {
	j := s.newJudge(f)
	pol := f.Policy()
	j.policy(cfntemplate.Source{Pointer: "", Line: 1, Variants: 1}, pol, -1, true, nil)
	return j.report()
}

func policyFileKind(doc *iampolicy.Document) iampolicy.Kind {
	if len(doc.Statements) == 0 {
		return iampolicy.Identity
	}
	trust, lambda := true, true
	for _, st := range doc.Statements {
		if st.Principal == nil && st.NotPrincipal == nil {
			return iampolicy.Identity
		}
		acts := append(append([]string(nil), st.Action...), st.NotAction...)
		if len(acts) == 0 {
			return iampolicy.Identity
		}
		for _, a := range acts {
			la := strings.ToLower(a)
			if !strings.HasPrefix(la, "sts:assumerole") && la != "sts:tagsession" && la != "sts:setsourceidentity" {
				trust = false
			}
			if !strings.HasPrefix(la, "lambda:") {
				lambda = false
			}
		}
	}
	switch {
	case trust:
		return iampolicy.Trust
	case lambda:
		return iampolicy.LambdaResource
	}
	return iampolicy.Identity
}

func (s *FileScanner) scanTemplate(f *cfntemplate.File) (*FileReport, error) {
	j := s.newJudge(f)
	sources := f.Sources()
	for _, src := range sources {
		j.source(src)
	}
	rep := j.report()
	esc, notes := templateEscalations(f, sources, j.rolePolicies, s.SCPs, j.now)
	rep.Findings = append(rep.Findings, esc...)
	rep.Notes = append(rep.Notes, notes...)
	return rep, nil
}

func isAWSManaged(ref string) bool {
	return !strings.HasPrefix(ref, "arn:") || strings.Contains(ref, ":iam::aws:policy/")
}

// newFinding turns an engine issue into a finding on resource. key makes
// the ID unique among findings of one check on one resource; extra is
// merged into a copy of the issue's evidence (issues may be shared between
// resources, so they are never modified).
func newFinding(is iampolicy.Issue, resource, key, source string, now time.Time, loc *findings.Location, extra map[string]any) findings.Finding {
	return findings.Finding{
		ID:          findings.StableID(is.Check, resource, key),
		Check:       is.Check,
		Severity:    is.Severity,
		Title:       is.Title,
		Resource:    resource,
		Evidence:    mergeMaps(is.Evidence, extra),
		Remediation: is.Remediation,
		Source:      source,
		ObservedAt:  now,
		Location:    loc,
	}
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
