package iamscan

import (
	"slices"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// TestAdminUsers: in the Cloudsplaining example account, obama holds
// AdministratorAccess directly and through the admin group, and
// userwithlotsofpermissions through the group; biden's Lambda and RDS
// full access do not reach IAM. An SCP that denies iam:* takes every
// user's administrator power away.
func TestAdminUsers(t *testing.T) {
	t.Parallel()
	acct := mustDetails(t)
	denyIAM, err := iampolicy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		scps [][]iameval.Policy
		want []string
	}{
		{"no SCP", nil, []string{"arn:aws:iam::012345678901:user/obama", "arn:aws:iam::012345678901:user/userwithlotsofpermissions"}},
		{"SCP denies IAM", [][]iameval.Policy{{{Name: "deny-iam", Doc: denyIAM}}}, nil},
	} {
		if got := AdminUsers(acct, tc.scps, now); !slices.Equal(got, tc.want) {
			t.Errorf("%s: AdminUsers = %v, want %v", tc.name, got, tc.want)
		}
		res := ScanAccountDetails(acct, AccountOptions{SCPs: tc.scps, Now: func() time.Time { return now }})
		if !slices.Equal(res.AdminUsers, tc.want) {
			t.Errorf("%s: a scan of the account found administrators %v, want %v", tc.name, res.AdminUsers, tc.want)
		}
	}
}
