package iampolicy_test

import (
	"fmt"

	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

func ExampleEvaluate() {
	doc, err := iampolicy.Parse([]byte(`{
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "Action": ["s3:GetObject", "xray:PutTraceSegments"], "Resource": "*"},
			{"Effect": "Allow", "Action": "iam:Pass*", "Resource": "*"},
			{"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:eu-west-1:111122223333:jobs"},
			{"Effect": "Deny", "Action": "*", "Resource": "*"}
		]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, is := range iampolicy.Evaluate(doc, iampolicy.Identity, iampolicy.Options{}) {
		fmt.Println(is.Check, is.Severity, is.Pointer)
	}
	// Output:
	// IAM004 HIGH /Statement/1
	// IAM002 MEDIUM /Statement/2
}

func ExampleParse_error() {
	_, err := iampolicy.Parse([]byte(`{"Statement": [{"Effect": "Permit", "Action": "s3:*"}]}`))
	fmt.Println(err)
	// Output:
	// invalid policy document: statement 0 (/Statement/0): Effect must be Allow or Deny, got "Permit"
}

func ExampleExpandAction() {
	for _, a := range iampolicy.ExpandAction("iam:Put*Policy") {
		fmt.Println(a.Service+":"+a.Name, a.AccessLevel)
	}
	// Output:
	// iam:PutGroupPolicy Permissions management
	// iam:PutRolePolicy Permissions management
	// iam:PutUserPolicy Permissions management
}

func ExampleManagedPolicy() {
	doc, ok := iampolicy.ManagedPolicy("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
	fmt.Println(ok)
	for _, is := range iampolicy.Evaluate(doc, iampolicy.Identity, iampolicy.Options{}) {
		fmt.Println(is.Check, is.Severity, is.Evidence["actions"])
	}
	// Output:
	// true
	// IAM006 MEDIUM [logs:CreateLogGroup logs:CreateLogStream logs:PutLogEvents]
}
