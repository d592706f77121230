package main

func init() {
	register("trail", notYet("trail", "analyse CloudTrail files (or --lookup) for risky and unusual activity"))
}
