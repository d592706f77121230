package findingstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// Scope is what one posture run read: the scanner that ran, the account and
// region it looked at, optionally narrowed to some targets, and the parts it
// could not read.
//
// A finding belongs to the scope of the run that last saw it, stored as the
// item's "scope" key (scanner, account and region) and its "target" (see
// TargetOf). A run resolves a standing finding only when the finding's scope
// key equals the run's, its target is one of the run's Targets (or the run
// has none), and no Gap covers the target.
type Scope struct {
	// Scanner names the engine that ran, e.g. "iam-wildcard-scanner" or
	// "lambda-fleet-auditor". Required: two engines reading the same
	// account must never resolve each other's findings.
	Scanner string
	// Account and Region are where the run looked. A template scan,
	// which reads files rather than an account, leaves both empty.
	Account string
	Region  string
	// Targets narrows the run: the ARN of the one role or function of a
	// targeted rescan, or the files of a template scan. Empty means the
	// whole account and region.
	Targets []string
	// Unreadable lists the parts the run could not read (an access error,
	// throttling it gave up on). Their findings are left as they were.
	Unreadable []Gap
}

// Gap is one part of a scope a run could not read.
type Gap struct {
	// Target is the ARN or file that could not be read. With Prefix it
	// covers every target that starts with it: "arn:aws:lambda:us-east-1:
	// 123456789012:function:" when functions could not be listed, "" (with
	// Prefix) when nothing could be read at all.
	Target string
	Prefix bool
	// Reason says why, for the run's report.
	Reason string
}

// scopeSep joins the parts of a scope key. It appears in no scanner name,
// account ID or region name, which Validate checks.
const scopeSep = "|"

// Validate reports a scope that could not be stored or would resolve
// findings it did not read.
func (s Scope) Validate() error {
	if s.Scanner == "" {
		return errors.New("scope: empty scanner")
	}
	for _, part := range []string{s.Scanner, s.Account, s.Region} {
		if strings.Contains(part, scopeSep) {
			return fmt.Errorf("scope: %q contains %q", part, scopeSep)
		}
	}
	for _, t := range s.Targets {
		if t == "" {
			return fmt.Errorf("scope %s: empty target", s.Key())
		}
	}
	for _, g := range s.Unreadable {
		if g.Target == "" && !g.Prefix {
			return fmt.Errorf("scope %s: unreadable part with an empty target (use Prefix to mark the whole scope unreadable)", s.Key())
		}
	}
	return nil
}

// Key is the scope's partition key in the table's index: scanner, account
// and region joined by "|".
func (s Scope) Key() string {
	return s.Scanner + scopeSep + s.Account + scopeSep + s.Region
}

// gap returns the unreadable part that covers target, if any.
func (s Scope) gap(target string) (Gap, bool) {
	for _, g := range s.Unreadable {
		if target == g.Target || (g.Prefix && strings.HasPrefix(target, g.Target)) {
			return g, true
		}
	}
	return Gap{}, false
}

// TargetOf is what a finding is about, the unit a targeted rescan or a
// template scan names: the resource ARN for findings on AWS resources, and
// the file for findings on files, whose resource is "file#/json/pointer".
func TargetOf(f findings.Finding) string {
	if arn.IsARN(f.Resource) {
		return f.Resource
	}
	if file, _, ok := strings.Cut(f.Resource, "#"); ok && file != "" {
		return file
	}
	return f.Resource
}

// placeOf is the account and region a finding is stored with: those of its
// resource ARN where the ARN names them, else the scope's (IAM ARNs name no
// region; files name neither).
func placeOf(f findings.Finding, s Scope) (account, region string) {
	account, region = s.Account, s.Region
	if a, err := arn.Parse(f.Resource); err == nil {
		if a.AccountID != "" {
			account = a.AccountID
		}
		if a.Region != "" {
			region = a.Region
		}
	}
	return account, region
}
