// Package awsid recognises the shapes of AWS identifiers that several
// engines and the command line check: a 12-digit account ID and the
// partition a Region belongs to. They are small, but each was written in
// four places, and a fix to one (a GovCloud Region, say) must reach all.
package awsid

import "strings"

// IsAccountID reports whether s is a 12-digit AWS account ID.
func IsAccountID(s string) bool {
	return len(s) == 12 && strings.Trim(s, "0123456789") == ""
}

// PartitionOf returns the partition a Region belongs to: aws-cn for the
// China Regions, aws-us-gov for GovCloud, aws otherwise (and for "").
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
