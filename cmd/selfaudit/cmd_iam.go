package main

func init() {
	register("iam", notYet("iam", "scan the live account's roles, policies and Lambda resource policies"))
}
