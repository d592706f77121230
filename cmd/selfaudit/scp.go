package main

import (
	"flag"
	"strings"

	"github.com/selfaudit/selfaudit/shared/iameval"
)

// scpFlag registers --scp on a scanning command: each --scp FILE is one
// level of the organization (root first), and FILE,FILE puts several SCPs
// at one level, as in `selfaudit simulate`. The scan reports only what
// every level lets through.
func scpFlag(fs *flag.FlagSet) *listFlag {
	var l listFlag
	fs.Var(&l, "scp", "an SCP file capping what is reported; each --scp is one level of the organization, root first; FILE,FILE puts several SCPs at one level; a level of Deny statements only is taken with FullAWSAccess beside it")
	return &l
}

// readSCPs reads the levels given with --scp.
func readSCPs(levels []string) ([][]iameval.Policy, error) {
	var out [][]iameval.Policy
	for _, level := range levels {
		var l []iameval.Policy
		for _, p := range strings.Split(level, ",") {
			pol, err := readPolicyFile(p)
			if err != nil {
				return nil, err
			}
			l = append(l, *pol)
		}
		out = append(out, l)
	}
	return out, nil
}
