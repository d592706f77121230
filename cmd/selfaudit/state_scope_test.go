package main

import (
	"errors"
	"reflect"
	"testing"

	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/iamscan"
)

// TestIAMScopeGaps: each resource an IAM scan could not read becomes the
// part of the scope whose findings it must leave alone.
func TestIAMScopeGaps(t *testing.T) {
	t.Parallel()
	who := caller{account: "123456789012", partition: "aws-cn"}
	fail := errors.New("AccessDenied")
	tests := map[string]struct {
		err    iamscan.ResourceError
		target string
		prefix bool
	}{
		"account details": {iamscan.ResourceError{Resource: "account", Operation: "GetAccountAuthorizationDetails", Err: fail}, "arn:aws-cn:iam::123456789012:", true},
		"function list":   {iamscan.ResourceError{Resource: "functions", Operation: "ListFunctions", Err: fail}, "arn:aws-cn:lambda:cn-north-1:123456789012:function:", true},
		"one function":    {iamscan.ResourceError{Resource: "arn:aws-cn:lambda:cn-north-1:123456789012:function:f", Operation: "GetPolicy", Err: fail}, "arn:aws-cn:lambda:cn-north-1:123456789012:function:f", false},
		"one role":        {iamscan.ResourceError{Resource: "arn:aws-cn:iam::123456789012:role/r", Operation: "parse trust policy", Err: fail}, "arn:aws-cn:iam::123456789012:role/r", false},
		"managed policy":  {iamscan.ResourceError{Resource: "arn:aws-cn:iam::aws:policy/P", Operation: "parse managed policy", Err: fail}, "arn:aws-cn:iam::123456789012:role/", true},
		"not an ARN":      {iamscan.ResourceError{Resource: "role/r", Operation: "read role", Err: fail}, "", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := iamScope(who, "cn-north-1", false, []iamscan.ResourceError{tc.err})
			want := []findingstore.Gap{{Target: tc.target, Prefix: tc.prefix, Reason: tc.err.Error()}}
			if !reflect.DeepEqual(s.Unreadable, want) {
				t.Errorf("gaps %+v, want %+v", s.Unreadable, want)
			}
			if err := s.Validate(); err != nil || s.Scanner != scannerIAM || s.Account != who.account || s.Region != "cn-north-1" {
				t.Errorf("scope %+v: %v", s, err)
			}
		})
	}
	if s := iamScope(who, "cn-north-1", true, nil); s.Scanner != scannerIAMAll || len(s.Unreadable) != 0 {
		t.Errorf("--all-roles scope %+v", s)
	}
}
