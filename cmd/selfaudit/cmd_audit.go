package main

func init() {
	register("audit", notYet("audit", "offline self-audit of ./template.yaml and events/cloudtrail"))
}
