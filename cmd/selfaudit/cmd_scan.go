package main

func init() {
	register("scan", notYet("scan", "check CloudFormation/SAM templates and IAM policy files for over-broad permissions"))
}
