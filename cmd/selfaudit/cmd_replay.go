package main

func init() { register("replay", notYet("replay", "re-drive messages from an SQS dead-letter queue")) }
