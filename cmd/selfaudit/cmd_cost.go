package main

func init() { register("cost", notYet("cost", "estimate the monthly cost of a Lambda function")) }
