package iamscan

import (
	"errors"
	"reflect"
	"testing"

	"github.com/selfaudit/selfaudit/shared/findingstore"
)

// TestGaps: each resource an IAM scan could not read becomes the part of
// the scope whose findings it must leave alone.
func TestGaps(t *testing.T) {
	t.Parallel()
	p := Place{Partition: "aws-cn", Account: "123456789012", Region: "cn-north-1"}
	fail := errors.New("AccessDenied")
	tests := map[string]struct {
		err    ResourceError
		target string
		prefix bool
	}{
		"account details": {ResourceError{Resource: "account", Operation: "GetAccountAuthorizationDetails", Err: fail}, "arn:aws-cn:iam::123456789012:", true},
		"function list":   {ResourceError{Resource: "functions", Operation: "ListFunctions", Err: fail}, "arn:aws-cn:lambda:cn-north-1:123456789012:function:", true},
		"one function":    {ResourceError{Resource: "arn:aws-cn:lambda:cn-north-1:123456789012:function:f", Operation: "GetPolicy", Err: fail}, "arn:aws-cn:lambda:cn-north-1:123456789012:function:f", false},
		"one role":        {ResourceError{Resource: "arn:aws-cn:iam::123456789012:role/r", Operation: "parse trust policy", Err: fail}, "arn:aws-cn:iam::123456789012:role/r", false},
		"managed policy":  {ResourceError{Resource: "arn:aws-cn:iam::aws:policy/P", Operation: "parse managed policy", Err: fail}, "arn:aws-cn:iam::123456789012:role/", true},
		"not an ARN":      {ResourceError{Resource: "role/r", Operation: "read role", Err: fail}, "", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := StoreScope(Target{Scope: ScopeAccount}, p, false, &Result{Errors: []ResourceError{tc.err}})
			want := []findingstore.Gap{{Target: tc.target, Prefix: tc.prefix, Reason: tc.err.Error()}}
			if !reflect.DeepEqual(s.Unreadable, want) {
				t.Errorf("gaps %+v, want %+v", s.Unreadable, want)
			}
			if err := s.Validate(); err != nil || s.Scanner != StoreScanner || s.Account != p.Account || s.Region != p.Region || len(s.Targets) != 0 {
				t.Errorf("scope %+v: %v", s, err)
			}
		})
	}
	if s := StoreScope(Target{Scope: ScopeAccount}, p, true, &Result{}); s.Scanner != StoreScannerAllRoles || len(s.Unreadable) != 0 {
		t.Errorf("scope of every role %+v", s)
	}
	if s := StoreScope(Target{Scope: ScopeRole, Name: "r"}, p, false, &Result{BeyondDefault: true}); s.Scanner != StoreScannerAllRoles {
		t.Errorf("a rescan of a role Lambda cannot assume is in scope %s, want %s", s.Scanner, StoreScannerAllRoles)
	}
}

// TestStoreScopeTargets: a targeted scan resolves only inside its one role
// or function, named by its ARN however the event named it.
func TestStoreScopeTargets(t *testing.T) {
	t.Parallel()
	p := Place{Partition: "aws", Account: "123456789012", Region: "eu-west-1"}
	const roleARN = "arn:aws:iam::123456789012:role/service/worker"
	const fnARN = "arn:aws:lambda:eu-west-1:123456789012:function:api"
	tests := map[string]struct {
		t    Target
		res  Result
		want string
	}{
		"role read":                   {Target{Scope: ScopeRole, Name: "worker"}, Result{Target: roleARN}, roleARN},
		"role from a finding":         {Target{Scope: ScopeRole, Name: "worker", Resource: roleARN}, Result{}, roleARN},
		"role by name, not read":      {Target{Scope: ScopeRole, Name: "worker"}, Result{}, "arn:aws:iam::123456789012:role/worker"},
		"function read":               {Target{Scope: ScopeFunction, Name: "api"}, Result{Target: fnARN}, fnARN},
		"function by ARN":             {Target{Scope: ScopeFunction, Name: fnARN}, Result{}, fnARN},
		"function by name, no policy": {Target{Scope: ScopeFunction, Name: "api"}, Result{}, fnARN},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := StoreScope(tc.t, p, false, &tc.res)
			if len(s.Targets) != 1 || s.Targets[0] != tc.want || s.Validate() != nil {
				t.Errorf("targets %v, want [%s]", s.Targets, tc.want)
			}
		})
	}
}
