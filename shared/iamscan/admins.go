package iamscan

import (
	"slices"
	"time"

	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iamgraph"
)

// AdminUsers returns, sorted, the ARNs of the account's IAM users that are
// administrator-equivalent (iamgraph: they may write the permissions of
// any role and any user), through their own policies or their groups',
// within their permissions boundary and the given SCPs. The CloudTrail
// checker's CT014 reads it: a password sign-in without MFA is worse for
// such a user. A scan of the account (Result.AdminUsers) finds the same.
func AdminUsers(acct *AccountDetails, scps [][]iameval.Policy, now time.Time) []string {
	pc := &policyCache{acct: acct, docs: map[string]*managedDoc{}}
	principals := pc.usersAndGroups(acct, false, nil)
	return adminUsersOf(iamgraph.Build(iamgraph.Input{Principals: principals, SCPs: scps, Now: now}), principals)
}

// adminUsersOf lists, sorted, the users among principals that g holds
// administrator-equivalent.
func adminUsersOf(g *iamgraph.Graph, principals []iamgraph.Principal) []string {
	var out []string
	for _, p := range principals {
		if p.Kind == iamgraph.User && g.Admin(p.ARN) {
			out = append(out, p.ARN)
		}
	}
	slices.Sort(out)
	return out
}
