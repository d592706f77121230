package iamscan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/selfaudit/selfaudit/shared/awspage"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iamgraph"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
	"github.com/selfaudit/selfaudit/shared/progress"
)

// IAMAPI is what the live scan calls on IAM: one paginated
// GetAccountAuthorizationDetails pass for a full scan, and the per-role
// reads for a scan of one role.
type IAMAPI interface {
	GetAccountAuthorizationDetails(ctx context.Context, in *iam.GetAccountAuthorizationDetailsInput, optFns ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, optFns ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	GetPolicy(ctx context.Context, in *iam.GetPolicyInput, optFns ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(ctx context.Context, in *iam.GetPolicyVersionInput, optFns ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
}

// LambdaAPI is what the live scan calls on Lambda.
type LambdaAPI interface {
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	GetPolicy(ctx context.Context, in *lambda.GetPolicyInput, optFns ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

var (
	_ IAMAPI    = (*iam.Client)(nil)
	_ LambdaAPI = (*lambda.Client)(nil)
)

// Scanner runs the live scan. Clients should carry the adaptive retryer of
// shared/awsconfig: throttled calls are retried there, and what still fails
// is reported in Result.Errors rather than dropped.
type Scanner struct {
	IAM    IAMAPI
	Lambda LambdaAPI
	// AllRoles judges every role instead of only those Lambda can assume.
	AllRoles bool
	// SCPs are the service control policies over the account by level,
	// root first: they cap what is reported (AccountOptions.SCPs).
	SCPs [][]iameval.Policy
	// PageSize is MaxItems for GetAccountAuthorizationDetails and
	// ListFunctions; 0 leaves the services' defaults (100 and 50).
	PageSize int32
	// Concurrency bounds parallel GetPolicy calls; 0 means 4, which stays
	// well inside Lambda's control-plane rate for GetPolicy.
	Concurrency int
	Now         func() time.Time
	// Progress hears how the account scan goes: roles and managed
	// policies read (page by page, total unknown), then the functions
	// whose resource policies were judged out of all.
	Progress progress.Func
}

func (s *Scanner) now() func() time.Time {
	if s.Now != nil {
		return s.Now
	}
	return time.Now
}

// ScanAccount scans every role in scope and every function's resource
// policy. Failures are in the result's Errors.
func (s *Scanner) ScanAccount(ctx context.Context) *Result {
	res := &Result{}
	// Functions first: the roles they run as are the targets of
	// lambda:UpdateFunctionCode in the escalation graph.
	fns, listed := s.listFunctions(ctx)
	acct, err := s.ReadAccount(ctx)
	if err != nil {
		res.Errors = append(res.Errors, ResourceError{Resource: "account", Operation: "GetAccountAuthorizationDetails", Err: err})
	} else {
		res.Merge(ScanAccountDetails(acct, AccountOptions{AllRoles: s.AllRoles, Now: s.Now, SCPs: s.SCPs, Functions: fns}))
	}
	res.Merge(listed)
	res.Merge(s.scanFunctionList(ctx, fns))
	findings.Sort(res.Findings)
	return res
}

// accountFilter asks IAM for every principal and the managed policies.
// Users and groups are not what a Lambda estate runs as, and their own
// policies are not judged under IAM001 to IAM007, but they are nodes of
// the principal graph (IAM009): a user that can pass an administrator role
// to Lambda is how the estate gets abused. AWS managed policies come with
// their default version, so they are judged by AWS's current text rather
// than by a copy that may be out of date.
var accountFilter = []iamtypes.EntityType{
	iamtypes.EntityTypeUser, iamtypes.EntityTypeGroup,
	iamtypes.EntityTypeRole, iamtypes.EntityTypeLocalManagedPolicy, iamtypes.EntityTypeAWSManagedPolicy,
}

// ReadAccount pages through GetAccountAuthorizationDetails once and decodes
// the roles and the default versions of managed policies.
func (s *Scanner) ReadAccount(ctx context.Context) (*AccountDetails, error) {
	in := &iam.GetAccountAuthorizationDetailsInput{Filter: accountFilter}
	if s.PageSize > 0 {
		in.MaxItems = aws.Int32(s.PageSize)
	}
	acct := &AccountDetails{Policies: map[string]ManagedPolicyDetail{}}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(s.IAM, in)
	for page := 1; p.HasMorePages(); page++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read page %d: %w", page, err)
		}
		for _, r := range out.RoleDetailList {
			rd, err := roleFromSDK(r)
			if err != nil {
				return nil, err
			}
			acct.Roles = append(acct.Roles, rd)
		}
		for _, u := range out.UserDetailList {
			ud, err := userFromSDK(u)
			if err != nil {
				return nil, err
			}
			acct.Users = append(acct.Users, ud)
		}
		for _, g := range out.GroupDetailList {
			gd, err := groupFromSDK(g)
			if err != nil {
				return nil, err
			}
			acct.Groups = append(acct.Groups, gd)
		}
		for _, mp := range out.Policies {
			d, ok, err := defaultVersion(mp)
			if err != nil {
				return nil, err
			}
			if ok {
				acct.Policies[aws.ToString(mp.Arn)] = d
			}
		}
		s.Progress.Report(progress.Update{Stage: "reading roles and managed policies", Done: int64(len(acct.Roles) + len(acct.Policies)),
			Unit: "items", Detail: fmt.Sprintf("page %d", page)})
	}
	return acct, nil
}

func roleFromSDK(r iamtypes.RoleDetail) (RoleDetail, error) {
	rd := RoleDetail{ARN: aws.ToString(r.Arn), Name: aws.ToString(r.RoleName)}
	if r.PermissionsBoundary != nil {
		rd.Boundary = aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn)
	}
	if r.AssumeRolePolicyDocument != nil {
		d, err := DecodeDocument(*r.AssumeRolePolicyDocument)
		if err != nil {
			return rd, fmt.Errorf("trust policy of role %s: %w", rd.ARN, err)
		}
		rd.Trust = d
	}
	for _, p := range r.RolePolicyList {
		d, err := DecodeDocument(aws.ToString(p.PolicyDocument))
		if err != nil {
			return rd, fmt.Errorf("inline policy %s of role %s: %w", aws.ToString(p.PolicyName), rd.ARN, err)
		}
		rd.Inline = append(rd.Inline, InlinePolicy{Name: aws.ToString(p.PolicyName), Document: d})
	}
	for _, a := range r.AttachedManagedPolicies {
		rd.Attached = append(rd.Attached, AttachedPolicy{ARN: aws.ToString(a.PolicyArn), Name: aws.ToString(a.PolicyName)})
	}
	return rd, nil
}

func inlineFromSDK(ps []iamtypes.PolicyDetail, of string) ([]InlinePolicy, error) {
	var out []InlinePolicy
	for _, p := range ps {
		d, err := DecodeDocument(aws.ToString(p.PolicyDocument))
		if err != nil {
			return nil, fmt.Errorf("inline policy %s of %s: %w", aws.ToString(p.PolicyName), of, err)
		}
		out = append(out, InlinePolicy{Name: aws.ToString(p.PolicyName), Document: d})
	}
	return out, nil
}

func attachedFromSDK(as []iamtypes.AttachedPolicy) []AttachedPolicy {
	var out []AttachedPolicy
	for _, a := range as {
		out = append(out, AttachedPolicy{ARN: aws.ToString(a.PolicyArn), Name: aws.ToString(a.PolicyName)})
	}
	return out
}

func userFromSDK(u iamtypes.UserDetail) (UserDetail, error) {
	ud := UserDetail{ARN: aws.ToString(u.Arn), Name: aws.ToString(u.UserName), Groups: u.GroupList, Attached: attachedFromSDK(u.AttachedManagedPolicies)}
	if u.PermissionsBoundary != nil {
		ud.Boundary = aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn)
	}
	var err error
	ud.Inline, err = inlineFromSDK(u.UserPolicyList, "user "+ud.ARN)
	return ud, err
}

func groupFromSDK(g iamtypes.GroupDetail) (GroupDetail, error) {
	gd := GroupDetail{ARN: aws.ToString(g.Arn), Name: aws.ToString(g.GroupName), Attached: attachedFromSDK(g.AttachedManagedPolicies)}
	var err error
	gd.Inline, err = inlineFromSDK(g.GroupPolicyList, "group "+gd.ARN)
	return gd, err
}

func defaultVersion(mp iamtypes.ManagedPolicyDetail) (ManagedPolicyDetail, bool, error) {
	arn := aws.ToString(mp.Arn)
	for _, v := range mp.PolicyVersionList {
		if !v.IsDefaultVersion && aws.ToString(v.VersionId) != aws.ToString(mp.DefaultVersionId) {
			continue
		}
		d, err := DecodeDocument(aws.ToString(v.Document))
		if err != nil {
			return ManagedPolicyDetail{}, false, fmt.Errorf("managed policy %s version %s: %w", arn, aws.ToString(v.VersionId), err)
		}
		return ManagedPolicyDetail{ARN: arn, Name: aws.ToString(mp.PolicyName), DefaultVersion: aws.ToString(v.VersionId), Document: d}, true, nil
	}
	return ManagedPolicyDetail{}, false, nil
}

// ScanFunctions lists every function and judges its resource policy.
func (s *Scanner) ScanFunctions(ctx context.Context) *Result {
	fns, res := s.listFunctions(ctx)
	res.Merge(s.scanFunctionList(ctx, fns))
	findings.Sort(res.Findings)
	return res
}

// listFunctions lists every function with the role it runs as; a listing
// error is in the result.
func (s *Scanner) listFunctions(ctx context.Context) ([]iamgraph.Function, *Result) {
	res := &Result{}
	in := &lambda.ListFunctionsInput{}
	if s.PageSize > 0 {
		in.MaxItems = aws.Int32(min(s.PageSize, 50))
	}
	var fns []iamgraph.Function
	p := lambda.NewListFunctionsPaginator(s.Lambda, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			res.Errors = append(res.Errors, ResourceError{Resource: "functions", Operation: "ListFunctions", Err: err})
			break
		}
		for _, fn := range out.Functions {
			fns = append(fns, iamgraph.Function{ARN: aws.ToString(fn.FunctionArn), Role: aws.ToString(fn.Role)})
		}
	}
	return fns, res
}

// scanFunctionList judges the resource policy of each listed function.
func (s *Scanner) scanFunctionList(ctx context.Context, list []iamgraph.Function) *Result {
	res := &Result{}
	fns := make([]string, len(list))
	for i, f := range list {
		fns[i] = f.ARN
	}
	workers := s.Concurrency
	if workers <= 0 {
		workers = 4
	}
	results := make([]*Result, len(fns))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var done atomic.Int64
	report := func(n int64) {
		s.Progress.Report(progress.Update{Stage: "function policies", Done: n, Total: int64(len(fns)), Unit: "functions"})
	}
	report(0)
	for w := 0; w < min(workers, len(fns)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = s.scanFunction(ctx, fns[i])
				report(done.Add(1))
			}
		}()
	}
	for i := range fns {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, r := range results {
		res.Merge(r)
	}
	findings.Sort(res.Findings)
	return res
}

// ScanFunction judges one function's resource policy; name may be a name
// or an ARN.
func (s *Scanner) ScanFunction(ctx context.Context, name string) *Result {
	return s.scanFunction(ctx, name)
}

func (s *Scanner) scanFunction(ctx context.Context, fn string) *Result {
	res := &Result{}
	out, err := s.Lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)})
	var nf *lambdatypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		// No resource policy: nobody but the account's own identities can
		// invoke it.
		res.Functions = 1
		return res
	case err != nil:
		res.Errors = append(res.Errors, ResourceError{Resource: fn, Operation: "GetPolicy", Err: err})
		return res
	}
	res.Functions = 1
	arn := fn
	if !strings.HasPrefix(arn, "arn:") {
		arn = functionARNFromPolicy(aws.ToString(out.Policy), fn)
	}
	if IsFunctionARN(arn) {
		res.Target = arn
	}
	v, err := DecodeDocument(aws.ToString(out.Policy))
	if err == nil {
		var doc *iampolicy.Document
		doc, err = iampolicy.FromValue(v)
		if err == nil {
			now := s.now()().UTC()
			for _, is := range iampolicy.Evaluate(doc, iampolicy.LambdaResource, iampolicy.Options{AccountID: arnAccount(arn)}) {
				res.Findings = append(res.Findings, newFinding(is, arn, is.Key, SourceLive, now, nil,
					map[string]any{"policy": "resource policy", "statementPointer": is.Pointer}))
			}
			return res
		}
	}
	res.Errors = append(res.Errors, ResourceError{Resource: arn, Operation: "parse resource policy", Err: err})
	return res
}

// functionARNFromPolicy finds the function's ARN in its own policy's
// Resource, so that findings always name an ARN even when the caller only
// knew the name.
func functionARNFromPolicy(policy, name string) string {
	v, err := DecodeDocument(policy)
	if err != nil {
		return name
	}
	m, _ := v.(map[string]any)
	sts, _ := m["Statement"].([]any)
	for _, st := range sts {
		sm, _ := st.(map[string]any)
		if r, ok := sm["Resource"].(string); ok && strings.Contains(r, ":function:") {
			return r
		}
	}
	return name
}

// ScanRole judges one role, whatever its trust policy says: a targeted
// scan is asked for because this role just changed. It reads the role, its
// inline policies and the default versions of its attached policies, and
// for its escalation paths (IAM009) the account's principals in one
// GetAccountAuthorizationDetails pass.
func (s *Scanner) ScanRole(ctx context.Context, name string) *Result {
	res := &Result{}
	rd, acct, err := s.readRole(ctx, name)
	if err != nil {
		res.Errors = append(res.Errors, ResourceError{Resource: "role/" + name, Operation: "read role", Err: err})
		return res
	}
	acct.Roles = []RoleDetail{rd}
	// The role's escalation paths (IAM009) run through the rest of the
	// account, which one GetAccountAuthorizationDetails pass reads: without
	// it this scan would resolve a path the account scan found. When it
	// fails, the role's findings are left as they were (an error on the
	// role), and the graph has the role alone.
	whole, err := s.ReadAccount(ctx)
	if err != nil {
		res.Errors = append(res.Errors, ResourceError{Resource: rd.ARN, Operation: "GetAccountAuthorizationDetails (escalation paths)", Err: err})
		whole = nil
	}
	res.Merge(ScanAccountDetails(acct, AccountOptions{AllRoles: true, Now: s.Now, SCPs: s.SCPs, Graph: whole}))
	res.Target = rd.ARN
	if trust, err := iampolicy.FromValue(rd.Trust); rd.Trust == nil || (err == nil && !LambdaCanAssume(trust)) {
		res.BeyondDefault = true
	}
	return res
}

func (s *Scanner) readRole(ctx context.Context, name string) (RoleDetail, *AccountDetails, error) {
	acct := &AccountDetails{Policies: map[string]ManagedPolicyDetail{}}
	out, err := s.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return RoleDetail{}, nil, fmt.Errorf("GetRole %s: %w", name, err)
	}
	rd := RoleDetail{ARN: aws.ToString(out.Role.Arn), Name: name}
	if out.Role.PermissionsBoundary != nil {
		rd.Boundary = aws.ToString(out.Role.PermissionsBoundary.PermissionsBoundaryArn)
	}
	if out.Role.AssumeRolePolicyDocument != nil {
		if rd.Trust, err = DecodeDocument(*out.Role.AssumeRolePolicyDocument); err != nil {
			return rd, nil, fmt.Errorf("trust policy of role %s: %w", name, err)
		}
	}
	inl := iam.NewListRolePoliciesPaginator(s.IAM, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	inline, err := awspage.All(ctx, inl, func(page *iam.ListRolePoliciesOutput) []string { return page.PolicyNames })
	if err != nil {
		return rd, nil, fmt.Errorf("ListRolePolicies %s: %w", name, err)
	}
	for _, pn := range inline {
		gp, err := s.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)})
		if err != nil {
			return rd, nil, fmt.Errorf("GetRolePolicy %s of role %s: %w", pn, name, err)
		}
		d, err := DecodeDocument(aws.ToString(gp.PolicyDocument))
		if err != nil {
			return rd, nil, fmt.Errorf("inline policy %s of role %s: %w", pn, name, err)
		}
		rd.Inline = append(rd.Inline, InlinePolicy{Name: pn, Document: d})
	}
	att := iam.NewListAttachedRolePoliciesPaginator(s.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	attached, err := awspage.All(ctx, att, func(page *iam.ListAttachedRolePoliciesOutput) []iamtypes.AttachedPolicy { return page.AttachedPolicies })
	if err != nil {
		return rd, nil, fmt.Errorf("ListAttachedRolePolicies %s: %w", name, err)
	}
	for _, ap := range attached {
		arn := aws.ToString(ap.PolicyArn)
		rd.Attached = append(rd.Attached, AttachedPolicy{ARN: arn, Name: aws.ToString(ap.PolicyName)})
		mp, err := s.readManagedPolicy(ctx, arn)
		if err != nil {
			return rd, nil, err
		}
		acct.Policies[arn] = mp
	}
	sort.Slice(rd.Inline, func(i, j int) bool { return rd.Inline[i].Name < rd.Inline[j].Name })
	return rd, acct, nil
}

func (s *Scanner) readManagedPolicy(ctx context.Context, arn string) (ManagedPolicyDetail, error) {
	gp, err := s.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return ManagedPolicyDetail{}, fmt.Errorf("GetPolicy %s: %w", arn, err)
	}
	ver := aws.ToString(gp.Policy.DefaultVersionId)
	pv, err := s.IAM.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(ver)})
	if err != nil {
		return ManagedPolicyDetail{}, fmt.Errorf("GetPolicyVersion %s %s: %w", arn, ver, err)
	}
	d, err := DecodeDocument(aws.ToString(pv.PolicyVersion.Document))
	if err != nil {
		return ManagedPolicyDetail{}, fmt.Errorf("managed policy %s version %s: %w", arn, ver, err)
	}
	return ManagedPolicyDetail{ARN: arn, Name: aws.ToString(gp.Policy.PolicyName), DefaultVersion: ver, Document: d}, nil
}

// RoleNameFromARN returns the role name of an IAM role ARN
// (arn:aws:iam::123456789012:role/path/name), or false.
func RoleNameFromARN(arn string) (string, bool) {
	if !strings.HasPrefix(arn, "arn:") {
		return "", false
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return "", false
	}
	p := parts[5][len("role/"):]
	if i := strings.LastIndex(p, "/"); i >= 0 {
		p = p[i+1:]
	}
	return p, p != ""
}

// IsFunctionARN reports whether arn names a Lambda function.
func IsFunctionARN(arn string) bool {
	parts := strings.SplitN(arn, ":", 7)
	return len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" && parts[6] != ""
}
