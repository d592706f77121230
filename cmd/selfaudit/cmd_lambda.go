package main

func init() {
	register("lambda", notYet("lambda", "audit every Lambda function of the account against the operations checklist"))
}
