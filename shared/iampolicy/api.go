package iampolicy

import "github.com/selfaudit/selfaudit/shared/findings"

// Document is a parsed IAM policy document.
type Document struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one entry of a policy's Statement list, normalised so that
// checks never need to care which of the legal JSON shapes was written.
type Statement struct {
	// Index is the position in the Statement list (0 when Statement is a
	// single object).
	Index int
	// Pointer is the JSON pointer of the statement relative to the document
	// root: "/Statement/2", or "/Statement" for the object form.
	Pointer string
	Sid     string
	// Effect is as written ("Allow" or "Deny").
	Effect string
	// Principal and NotPrincipal are nil when absent.
	Principal, NotPrincipal *Principal
	// Action, NotAction, Resource and NotResource are nil when absent; a
	// single string becomes a one-element list.
	Action, NotAction, Resource, NotResource []string
	// Condition maps operator -> condition key -> values (scalars
	// stringified).
	Condition map[string]map[string][]string
	// Raw is the statement as given (decoded JSON), kept for evidence.
	Raw any
}

// Principal is a statement's Principal or NotPrincipal element.
type Principal struct {
	// Wildcard is set for "*", {"AWS": "*"} or "*" inside the AWS list.
	Wildcard bool
	// Values maps "AWS", "Service", "Federated", "CanonicalUser" to values.
	Values map[string][]string
}

// Kind says what a policy is attached to, which decides the checks that
// apply to it.
type Kind int

const (
	// Identity is the identity policy of a role, user, group or managed
	// policy: checks IAM001 to IAM007.
	Identity Kind = iota
	// LambdaResource is a Lambda function's resource policy: LMB001 to LMB003.
	LambdaResource
	// Trust is a role's trust (assume role) policy: IAM008.
	Trust
)

// Options carries context a document alone does not.
type Options struct {
	// AccountID is the account owning the resource. LMB002 reports an
	// account principal only when it is known to differ from AccountID; when
	// AccountID is empty, no account principal is reported under LMB002.
	AccountID string
}

// Issue is one check's verdict on one statement. Scanners turn it into a
// findings.Finding by adding the resource, source and time.
type Issue struct {
	Check       string
	Severity    findings.Severity
	Title       string
	Remediation string
	// Pointer is the statement's Pointer.
	Pointer string
	// Key is the evidence key for findings.StableID: stable across runs.
	Key string
	// Evidence holds at least "statement" (the statement's Raw) plus the
	// figures that triggered the issue.
	Evidence map[string]any
}

// ActionInfo is one IAM action from the embedded catalog.
type ActionInfo struct {
	Service string
	Name    string
	// AccessLevel is one of Read, List, Write, Permissions management,
	// Tagging.
	AccessLevel string
	// ResourceTypes reports whether the action supports resource-level
	// permissions.
	ResourceTypes bool
}
