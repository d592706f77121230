package iamscan

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/selfaudit/selfaudit/shared/findingstore"
)

// The scanner names of the live scan's scopes in the finding store. They
// are the function's name, so that the daily run and `selfaudit iam
// --state-table` agree on one table about the same account. A scan of
// every role is a scope of its own, so that the default scan, which judges
// fewer roles, never resolves what only a scan of every role judged.
const (
	StoreScanner         = "iam-wildcard-scanner"
	StoreScannerAllRoles = "iam-wildcard-scanner-all-roles"
)

// Place is the account a live scan reads: its partition and ID, and the
// region whose functions it lists.
type Place struct {
	Partition, Account, Region string
}

// StoreScope is the part of the account a live scan of t read, for the
// finding store to resolve in: the account's roles (IAM is global) and the
// resource policies of the region's functions, or the one role or function
// of a targeted scan. res is the scan's result: its errors become the
// parts the scan could not read (see Gaps), and a targeted scan of a role
// Lambda cannot assume (res.BeyondDefault) is in the scope of a scan of
// every role, the only account scan that judges it.
func StoreScope(t Target, p Place, allRoles bool, res *Result) findingstore.Scope {
	scope := findingstore.Scope{Scanner: StoreScanner, Account: p.Account, Region: p.Region, Unreadable: Gaps(p, res.Errors)}
	if allRoles || res.BeyondDefault {
		scope.Scanner = StoreScannerAllRoles
	}
	switch t.Scope {
	case ScopeRole:
		target := res.Target
		if target == "" {
			target = t.Resource
		}
		if target == "" {
			// Unread, and asked for by name: a role's ARN can hold a
			// path, so this one may miss its findings, which only
			// leaves them standing.
			target = "arn:" + p.Partition + ":iam::" + p.Account + ":role/" + t.Name
		}
		scope.Targets = []string{target}
	case ScopeFunction:
		target := res.Target
		if target == "" && IsFunctionARN(t.Name) {
			target = t.Name
		}
		if target == "" {
			target = "arn:" + p.Partition + ":lambda:" + p.Region + ":" + p.Account + ":function:" + t.Name
		}
		scope.Targets = []string{target}
	}
	return scope
}

// Gaps maps the resources a scan could not read onto the parts of its
// scope whose remembered findings it must leave as they were, neither
// confirmed nor resolved: a role or function by its ARN; the whole of IAM
// when the account details could not be read; every role when a managed
// policy could not be judged (the roles that attach it are not known
// here); every function when they could not be listed; and the whole scope
// for anything else.
func Gaps(p Place, errs []ResourceError) []findingstore.Gap {
	iamPrefix := "arn:" + p.Partition + ":iam::" + p.Account + ":"
	var gaps []findingstore.Gap
	for _, e := range errs {
		g := findingstore.Gap{Target: e.Resource, Reason: strings.Join(strings.Fields(e.Error()), " ")}
		a, err := arn.Parse(e.Resource)
		switch {
		case e.Resource == "account":
			g.Target, g.Prefix = iamPrefix, true
		case e.Resource == "functions":
			g.Target, g.Prefix = "arn:"+p.Partition+":lambda:"+p.Region+":"+p.Account+":function:", true
		case err != nil:
			g.Target, g.Prefix = "", true
		case a.Service == "iam" && strings.HasPrefix(a.Resource, "policy/"):
			g.Target, g.Prefix = iamPrefix+"role/", true
		}
		gaps = append(gaps, g)
	}
	return gaps
}
