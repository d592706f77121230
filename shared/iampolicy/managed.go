package iampolicy

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"sync"
)

//go:embed data/managed/*.json
var managedFS embed.FS

// ManagedPolicyInfo describes one embedded AWS managed policy.
type ManagedPolicyInfo struct {
	Name    string
	ARN     string
	Version string // the policy version the document was copied from, when known
	Source  string // where the document was copied from
}

type managedEntry struct {
	info ManagedPolicyInfo
	doc  *Document
}

var (
	managedOnce   sync.Once
	managedByName map[string]*managedEntry // lower-case name
	managedList   []ManagedPolicyInfo
	managedErr    error
)

func loadManaged() {
	managedByName = map[string]*managedEntry{}
	entries, err := managedFS.ReadDir("data/managed")
	if err != nil {
		managedErr = fmt.Errorf("list embedded managed policies: %w", err)
		return
	}
	for _, e := range entries {
		b, err := managedFS.ReadFile(path.Join("data/managed", e.Name()))
		if err != nil {
			managedErr = fmt.Errorf("read embedded managed policy %s: %w", e.Name(), err)
			return
		}
		var f struct {
			Arn      string          `json:"Arn"`
			Source   string          `json:"Source"`
			Version  string          `json:"Version"`
			Document json.RawMessage `json:"Document"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			managedErr = fmt.Errorf("decode embedded managed policy %s: %w", e.Name(), err)
			return
		}
		doc, err := Parse(f.Document)
		if err != nil {
			managedErr = fmt.Errorf("parse embedded managed policy %s: %w", e.Name(), err)
			return
		}
		name := strings.TrimSuffix(e.Name(), ".json")
		info := ManagedPolicyInfo{Name: name, ARN: f.Arn, Version: f.Version, Source: f.Source}
		managedByName[strings.ToLower(name)] = &managedEntry{info: info, doc: doc}
		managedList = append(managedList, info)
	}
}

// ManagedPolicy returns the document of an AWS managed policy embedded in
// the binary, by name ("AdministratorAccess") or ARN
// ("arn:aws:iam::aws:policy/AdministratorAccess", also with a path such as
// service-role/ and in the aws-cn and aws-us-gov partitions), or by name
// with its path ("service-role/AWSLambdaBasicExecutionRole"). Names match
// without regard to case. A customer managed policy ARN (an account ID in
// place of "aws") is never an AWS managed policy. The returned document is
// a copy the caller may change.
func ManagedPolicy(nameOrARN string) (*Document, bool) {
	managedOnce.Do(loadManaged)
	name := strings.TrimSpace(nameOrARN)
	if strings.HasPrefix(name, "arn:") {
		parts := strings.SplitN(name, ":", 6)
		if len(parts) != 6 || parts[2] != "iam" || parts[4] != "aws" || !strings.HasPrefix(parts[5], "policy/") {
			return nil, false
		}
	}
	// A name may carry the policy's path ("service-role/AWSLambdaRole"), as
	// SAM's Policies and CDK's fromAwsManagedPolicyName accept.
	name = name[strings.LastIndex(name, "/")+1:]
	e := managedByName[strings.ToLower(name)]
	if e == nil {
		return nil, false
	}
	d := *e.doc
	d.Statements = append([]Statement(nil), e.doc.Statements...)
	return &d, true
}

// ManagedPoliciesError reports why an embedded managed policy could not be
// loaded. The files are part of the binary, so an error is a build defect;
// the package's tests fail on it, and lookups then behave as if the policy
// were not embedded.
func ManagedPoliciesError() error {
	managedOnce.Do(loadManaged)
	return managedErr
}

// ManagedPolicies lists the embedded AWS managed policies, sorted by name.
func ManagedPolicies() []ManagedPolicyInfo {
	managedOnce.Do(loadManaged)
	return append([]ManagedPolicyInfo(nil), managedList...)
}
