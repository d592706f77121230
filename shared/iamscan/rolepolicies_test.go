package iamscan

import (
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/shared/cfntemplate"
)

const roleTemplate = `
Resources:
  Limits:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: "sqs:*", Resource: "*"}]
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      PermissionsBoundary: !Ref Limits
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/AdministratorAccess
        - !Ref Limits
        - arn:aws:iam::111111111111:policy/elsewhere
      Policies:
        - PolicyName: own
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: sqs:SendMessage
                Resource: !Sub arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:q
              - Effect: Allow
                Action: sqs:DeleteQueue
                Resource: !GetAtt Queue.Arn
  Extra:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref Role
      PolicyName: extra
      PolicyDocument:
        Statement: [{Effect: Deny, Action: "iam:*", Resource: "*"}]
  Unrelated:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: other
      Roles: [!Ref Other]
      PolicyDocument:
        Statement: [{Effect: Allow, Action: "*", Resource: "*"}]
  Conditional:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies: !If [Prod, [], []]
`

func TestTemplateRolePolicies(t *testing.T) {
	f, err := cfntemplate.Load("t.yaml", []byte(roleTemplate))
	if err != nil {
		t.Fatal(err)
	}
	rp, err := TemplateRolePolicies(f, "Role", "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range rp.Identity {
		names = append(names, p.Name)
	}
	want := "t.yaml#/Resources/Role/Properties/Policies/0 (own)|arn:aws:iam::aws:policy/AdministratorAccess|t.yaml#/Resources/Limits|t.yaml#/Resources/Extra"
	if got := strings.Join(names, "|"); got != want {
		t.Fatalf("identity policies:\n%s\nwant:\n%s", got, want)
	}
	if rp.ARN != "arn:aws:iam::111111111111:role/Role" || rp.Boundary == nil || rp.Boundary.Name != "t.yaml#/Resources/Limits" {
		t.Fatalf("ARN %s, boundary %+v", rp.ARN, rp.Boundary)
	}
	res := rp.Identity[0].Document.Statements[0].Resource[0]
	if res != "arn:aws:sqs:*:111111111111:q" {
		t.Fatalf("pseudo parameters not substituted: %s", res)
	}
	notes := strings.Join(rp.Notes, "\n")
	for _, n := range []string{"policy/elsewhere is neither declared", "Policies/0 (own): uses values known only at deploy time"} {
		if !strings.Contains(notes, n) {
			t.Errorf("notes lack %q:\n%s", n, notes)
		}
	}
	rp, err = TemplateRolePolicies(f, "Conditional", "")
	if err != nil || len(rp.Identity) != 0 || !strings.Contains(strings.Join(rp.Notes, "\n"), "Policies: not a list") {
		t.Fatalf("Fn::If around Policies: %+v %v", rp, err)
	}
	if _, err := TemplateRolePolicies(f, "Extra", ""); err == nil || !strings.Contains(err.Error(), "AWS::IAM::RolePolicy") {
		t.Fatalf("not a role: %v", err)
	}
}

// FuzzTemplateRolePolicies: any template, any logical ID: an error or a
// result, never a panic.
func FuzzTemplateRolePolicies(f *testing.F) {
	f.Add([]byte(roleTemplate), "Role")
	f.Add([]byte(roleTemplate), "Conditional")
	f.Add([]byte("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies: [AWSLambdaBasicExecutionRole, {SQSPollerPolicy: {QueueName: q}}, {Statement: []}]\n"), "F")
	f.Fuzz(func(t *testing.T, data []byte, id string) {
		tf, err := cfntemplate.Load("f.yaml", data)
		if err != nil || !tf.IsTemplate() {
			return
		}
		rp, err := TemplateRolePolicies(tf, id, "")
		if err == nil && rp == nil {
			t.Fatal("no result and no error")
		}
	})
}
