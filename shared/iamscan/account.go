package iamscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// AccountDetails is what the scan needs of an account's IAM configuration,
// with every policy document decoded. It is built from
// GetAccountAuthorizationDetails pages (live) or from the JSON the AWS CLI
// prints for that call (offline).
type AccountDetails struct {
	Roles []RoleDetail
	// Policies maps a managed policy ARN to its default version.
	Policies map[string]ManagedPolicyDetail
}

// RoleDetail is one role and the policies that shape what it may do.
type RoleDetail struct {
	ARN, Name string
	// Trust is the decoded AssumeRolePolicyDocument.
	Trust    any
	Inline   []InlinePolicy
	Attached []AttachedPolicy
	// Boundary is the ARN of the role's permissions boundary, "" for none.
	Boundary string
}

// InlinePolicy is a role's embedded policy.
type InlinePolicy struct {
	Name     string
	Document any
}

// AttachedPolicy names a managed policy attached to a role.
type AttachedPolicy struct {
	ARN, Name string
}

// ManagedPolicyDetail is a managed policy's default version.
type ManagedPolicyDetail struct {
	ARN, Name, DefaultVersion string
	Document                  any
}

// DecodeDocument reads a policy document as IAM returns it: URL-encoded
// JSON (RFC 3986) in its XML answers. Already-decoded JSON, as the AWS CLI
// prints it, is accepted too.
func DecodeDocument(s string) (any, error) {
	raw := strings.TrimSpace(s)
	if !strings.HasPrefix(raw, "{") {
		// PathUnescape, not QueryUnescape: IAM encodes "+" as %2B, and a
		// literal "+" must not turn into a space.
		dec, err := url.PathUnescape(raw)
		if err != nil {
			return nil, fmt.Errorf("URL-decode policy document: %w", err)
		}
		raw = dec
	}
	return decodeJSON([]byte(raw))
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode policy JSON: %w", err)
	}
	return numbersToStrings(v), nil
}

// numbersToStrings keeps numbers exactly as written (account IDs).
func numbersToStrings(v any) any {
	switch t := v.(type) {
	case json.Number:
		return t.String()
	case []any:
		for i := range t {
			t[i] = numbersToStrings(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = numbersToStrings(t[k])
		}
	}
	return v
}

// cliDetails mirrors the JSON of `aws iam get-account-authorization-details`.
// Documents are decoded in the same pass as the rest (as any: an object,
// or a URL-encoded string), not kept raw and parsed again: on the example
// account that second pass over every document was half the decode time.
type cliDetails struct {
	RoleDetailList []struct {
		Arn, RoleName            string
		AssumeRolePolicyDocument any
		RolePolicyList           []struct {
			PolicyName     string
			PolicyDocument any
		}
		AttachedManagedPolicies []struct{ PolicyArn, PolicyName string }
	}
	Policies []struct {
		Arn, PolicyName, DefaultVersionId string
		PolicyVersionList                 []struct {
			Document         any
			VersionId        string
			IsDefaultVersion bool
		}
	}
}

// DecodeAuthorizationDetails reads the AWS CLI's JSON for
// GetAccountAuthorizationDetails, where documents are JSON objects (or, from
// some tools, URL-encoded strings).
func DecodeAuthorizationDetails(data []byte) (*AccountDetails, error) {
	var in cliDetails
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("decode authorization details: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode authorization details: data after the JSON document")
	}
	doc := func(v any, what string) (any, error) {
		switch t := v.(type) {
		case nil:
			return nil, nil
		case string:
			d, err := DecodeDocument(t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			return d, nil
		case map[string]any:
			return numbersToStrings(t), nil
		default:
			return nil, fmt.Errorf("%s: policy document is a JSON %T, want an object or a string", what, v)
		}
	}
	out := &AccountDetails{Policies: map[string]ManagedPolicyDetail{}}
	for _, r := range in.RoleDetailList {
		rd := RoleDetail{ARN: r.Arn, Name: r.RoleName}
		var err error
		if rd.Trust, err = doc(r.AssumeRolePolicyDocument, "trust policy of role "+r.RoleName); err != nil {
			return nil, err
		}
		for _, p := range r.RolePolicyList {
			d, err := doc(p.PolicyDocument, "policy "+p.PolicyName+" of role "+r.RoleName)
			if err != nil {
				return nil, err
			}
			rd.Inline = append(rd.Inline, InlinePolicy{Name: p.PolicyName, Document: d})
		}
		for _, a := range r.AttachedManagedPolicies {
			rd.Attached = append(rd.Attached, AttachedPolicy{ARN: a.PolicyArn, Name: a.PolicyName})
		}
		out.Roles = append(out.Roles, rd)
	}
	for _, p := range in.Policies {
		for _, v := range p.PolicyVersionList {
			if !v.IsDefaultVersion && v.VersionId != p.DefaultVersionId {
				continue
			}
			d, err := doc(v.Document, "managed policy "+p.Arn)
			if err != nil {
				return nil, err
			}
			out.Policies[p.Arn] = ManagedPolicyDetail{ARN: p.Arn, Name: p.PolicyName, DefaultVersion: v.VersionId, Document: d}
			break
		}
	}
	return out, nil
}

// AccountOptions tunes ScanAccountDetails.
type AccountOptions struct {
	// AllRoles judges every role; by default only the roles Lambda can
	// assume are judged, which is this scanner's job.
	AllRoles bool
	Now      func() time.Time
}

// Result is the outcome of a live (or offline account) scan.
type Result struct {
	Findings  []findings.Finding
	Roles     int // roles judged
	Functions int // functions whose resource policy was read
	Policies  int // managed policies judged
	// Errors lists the resources that could not be read after the SDK's
	// retries. A result with errors is incomplete and the run must fail.
	Errors []ResourceError
	Notes  []string
	// Target is the ARN of the one role or function a targeted scan
	// read, when it learnt it; the finding store resolves within it.
	Target string
	// BeyondDefault is set when a targeted scan judged a role Lambda
	// cannot assume, which only a scan of every role judges: its findings
	// belong to that scope, or the next default account scan, not judging
	// the role, would call them fixed.
	BeyondDefault bool
}

// ResourceError is a read that failed for one resource.
type ResourceError struct {
	Resource  string
	Operation string
	Err       error
}

func (e ResourceError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Operation, e.Resource, e.Err)
}

func (e ResourceError) Unwrap() error { return e.Err }

// Err joins the resource errors, or is nil when every read succeeded.
func (r *Result) Err() error {
	if len(r.Errors) == 0 {
		return nil
	}
	errs := make([]error, len(r.Errors))
	for i, e := range r.Errors {
		errs[i] = e
	}
	return fmt.Errorf("scan incomplete: %d resources could not be read: %w", len(r.Errors), errors.Join(errs...))
}

// Merge adds another result's counts, findings, errors and notes.
func (r *Result) Merge(o *Result) {
	r.Findings = append(r.Findings, o.Findings...)
	r.Roles += o.Roles
	r.Functions += o.Functions
	r.Policies += o.Policies
	r.Errors = append(r.Errors, o.Errors...)
	r.Notes = append(r.Notes, o.Notes...)
}

// LambdaCanAssume reports whether a trust policy lets the Lambda service
// assume the role.
func LambdaCanAssume(trust *iampolicy.Document) bool {
	if trust == nil {
		return false
	}
	for _, st := range trust.Statements {
		if !strings.EqualFold(st.Effect, "Allow") || st.Principal == nil {
			continue
		}
		for _, svc := range st.Principal.Values["Service"] {
			if strings.EqualFold(svc, "lambda.amazonaws.com") {
				return true
			}
		}
	}
	return false
}

// ScanAccountDetails judges the roles of an account: trust policies
// (IAM008), inline policies and attached managed policies (IAM001 to
// IAM007). Managed policies are judged by the default version IAM
// returned, which for AWS managed policies is AWS's current text; an
// attached policy missing from the details falls back to the embedded copy
// of AWS managed policies, or is noted as not judged. Each managed policy is
// evaluated once however many roles use it; its findings are reported per
// role, because the role is what a fix changes (detach, or scope down).
func ScanAccountDetails(acct *AccountDetails, opts AccountOptions) *Result {
	now := time.Now().UTC()
	if opts.Now != nil {
		now = opts.Now().UTC()
	}
	res := &Result{}
	managed := map[string][]iampolicy.Issue{}
	judged := map[string]bool{}
	for _, role := range acct.Roles {
		account := arnAccount(role.ARN)
		evalOpts := iampolicy.Options{AccountID: account}
		var trust *iampolicy.Document
		if role.Trust != nil {
			d, err := iampolicy.FromValue(role.Trust)
			if err != nil {
				res.Errors = append(res.Errors, ResourceError{Resource: role.ARN, Operation: "parse trust policy", Err: err})
				continue
			}
			trust = d
		}
		if !opts.AllRoles && !LambdaCanAssume(trust) {
			continue
		}
		res.Roles++
		if trust != nil {
			for _, is := range iampolicy.Evaluate(trust, iampolicy.Trust, evalOpts) {
				res.Findings = append(res.Findings, newFinding(is, role.ARN, "trust|"+is.Key, SourceLive, now, nil,
					map[string]any{"policy": "AssumeRolePolicyDocument", "statementPointer": is.Pointer}))
			}
		}
		for _, p := range role.Inline {
			d, err := iampolicy.FromValue(p.Document)
			if err != nil {
				res.Errors = append(res.Errors, ResourceError{Resource: role.ARN, Operation: "parse inline policy " + p.Name, Err: err})
				continue
			}
			for _, is := range iampolicy.Evaluate(d, iampolicy.Identity, evalOpts) {
				res.Findings = append(res.Findings, newFinding(is, role.ARN, "inline:"+p.Name+"|"+is.Key, SourceLive, now, nil,
					map[string]any{"policy": p.Name, "policyType": "inline", "statementPointer": is.Pointer}))
			}
		}
		for _, a := range role.Attached {
			issues, ok := managed[a.ARN]
			if !ok {
				var note string
				issues, note, ok = judgeManaged(acct, a, evalOpts)
				if note != "" {
					res.Notes = append(res.Notes, note)
				}
				if !ok {
					res.Errors = append(res.Errors, ResourceError{Resource: a.ARN, Operation: "parse managed policy", Err: errors.New(note)})
					continue
				}
				managed[a.ARN] = issues
				judged[a.ARN] = true
			}
			for _, is := range issues {
				res.Findings = append(res.Findings, newFinding(is, role.ARN, "managed:"+a.ARN+"|"+is.Key, SourceLive, now, nil,
					map[string]any{"policy": a.ARN, "policyType": "managed", "statementPointer": is.Pointer}))
			}
		}
	}
	res.Policies = len(judged)
	findings.Sort(res.Findings)
	sort.Strings(res.Notes)
	return res
}

// judgeManaged evaluates one managed policy. ok is false only when its
// document is present but cannot be parsed.
func judgeManaged(acct *AccountDetails, a AttachedPolicy, opts iampolicy.Options) ([]iampolicy.Issue, string, bool) {
	if p, found := acct.Policies[a.ARN]; found && p.Document != nil {
		d, err := iampolicy.FromValue(p.Document)
		if err != nil {
			return nil, fmt.Sprintf("managed policy %s (version %s): %v", a.ARN, p.DefaultVersion, err), false
		}
		return iampolicy.Evaluate(d, iampolicy.Identity, opts), "", true
	}
	if d, found := iampolicy.ManagedPolicy(a.ARN); found {
		return iampolicy.Evaluate(d, iampolicy.Identity, opts), "", true
	}
	return nil, fmt.Sprintf("managed policy %s is attached but its document was not returned: not judged", a.ARN), true
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
