package iameval_test

import (
	"fmt"

	"github.com/selfaudit/selfaudit/shared/iameval"
	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

func Example() {
	identity, _ := iampolicy.Parse([]byte(`{"Version":"2012-10-17","Statement":[
	  {"Sid":"Queues","Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:*:${aws:PrincipalTag/team}-*"},
	  {"Sid":"NoDeletes","Effect":"Deny","Action":"sqs:Delete*","Resource":"*"}]}`))
	set := iameval.PolicySet{Identity: []iameval.Policy{{Name: "app.json", Doc: identity}}}
	for _, action := range []string{"sqs:SendMessage", "sqs:DeleteQueue", "sns:Publish"} {
		res := iameval.Evaluate(iameval.Request{
			Principal: "arn:aws:iam::111111111111:role/app",
			Action:    action,
			Resource:  "arn:aws:sqs:us-east-1:111111111111:blue-orders",
			Context:   map[string][]string{"aws:PrincipalTag/team": {"blue"}},
		}, set)
		fmt.Println(action, res.Decision, res.Statements)
		if res.Reason != "" {
			fmt.Println("  because", res.Reason)
		}
	}
	// Output:
	// sqs:SendMessage Allowed [{app.json 0 Queues Allow}]
	// sqs:DeleteQueue ExplicitlyDenied [{app.json 1 NoDeletes Deny}]
	// sns:Publish ImplicitlyDenied []
	//   because no identity-based or resource-based policy allows the request
}
