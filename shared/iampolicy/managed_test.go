package iampolicy

import (
	"testing"
)

func TestManagedPolicy(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		ref       string
		ok        bool
		wantCheck string // first check Evaluate reports, "" for none
	}{
		"admin by name":       {"AdministratorAccess", true, "IAM001"},
		"admin by ARN":        {"arn:aws:iam::aws:policy/AdministratorAccess", true, "IAM001"},
		"name any case":       {"administratoraccess", true, "IAM001"},
		"power user":          {"PowerUserAccess", true, "IAM003"},
		"IAM full":            {"IAMFullAccess", true, "IAM002"},
		"S3 full":             {"AmazonS3FullAccess", true, "IAM002"},
		"Lambda full":         {"AWSLambda_FullAccess", true, "IAM002"},
		"DynamoDB full":       {"AmazonDynamoDBFullAccess", true, "IAM002"},
		"SQS full":            {"AmazonSQSFullAccess", true, "IAM002"},
		"SNS full":            {"AmazonSNSFullAccess", true, "IAM002"},
		"CloudWatch full":     {"CloudWatchFullAccess", true, "IAM002"},
		"CloudFormation full": {"AWSCloudFormationFullAccess", true, "IAM002"},
		"basic execution ARN": {"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", true, "IAM006"},
		"SQS execution":       {"AWSLambdaSQSQueueExecutionRole", true, "IAM006"},
		"VPC execution":       {"arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole", true, "IAM006"},
		"X-Ray daemon":        {"AWSXRayDaemonWriteAccess", true, ""},
		"S3 read only":        {"AmazonS3ReadOnlyAccess", true, ""},
		"China partition":     {"arn:aws-cn:iam::aws:policy/AdministratorAccess", true, "IAM001"},
		"customer managed":    {"arn:aws:iam::111122223333:policy/AdministratorAccess", false, ""},
		"unknown":             {"NoSuchPolicy", false, ""},
		"not a policy ARN":    {"arn:aws:iam::aws:role/AdministratorAccess", false, ""},
		"empty":               {"", false, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doc, ok := ManagedPolicy(tc.ref)
			if ok != tc.ok {
				t.Fatalf("ManagedPolicy(%q) ok = %v, want %v", tc.ref, ok, tc.ok)
			}
			if !ok {
				return
			}
			issues := Evaluate(doc, Identity, Options{})
			got := ""
			if len(issues) > 0 {
				got = issues[0].Check
			}
			if got != tc.wantCheck {
				t.Errorf("first issue = %q, want %q (all: %+v)", got, tc.wantCheck, issues)
			}
		})
	}
}

func TestManagedPolicyIsACopy(t *testing.T) {
	t.Parallel()
	a, _ := ManagedPolicy("AdministratorAccess")
	a.Statements[0] = Statement{}
	b, _ := ManagedPolicy("AdministratorAccess")
	if b.Statements[0].Effect != "Allow" {
		t.Error("changing a returned document changed the embedded one")
	}
}

func TestManagedPolicies(t *testing.T) {
	t.Parallel()
	if err := ManagedPoliciesError(); err != nil {
		t.Fatal(err)
	}
	list := ManagedPolicies()
	if len(list) < 30 {
		t.Errorf("%d embedded managed policies, want at least 30", len(list))
	}
	for _, p := range list {
		if p.ARN == "" || p.Source == "" {
			t.Errorf("%s: ARN or source missing: %+v", p.Name, p)
		}
		if _, ok := ManagedPolicy(p.ARN); !ok {
			t.Errorf("%s: not found by its ARN %s", p.Name, p.ARN)
		}
	}
}
