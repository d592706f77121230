package stackcheck

import (
	"fmt"
	"sort"
	"strings"
)

// deployNeed is what CloudFormation's handler of one resource type calls
// with the pipeline's deploy role, and the ARN fragment those calls are
// authorised on.
type deployNeed struct {
	arn     string // a fragment every granted resource ARN of the type holds
	actions []string
}

// DeployNeeds lists, per resource type of the application template, the
// calls CloudFormation makes to create, update, read back and delete it.
// A type the stack starts to use needs a row here, so that the deploy role
// is reviewed with it; its writes are scoped to the stack names.
var DeployNeeds = map[string]deployNeed{
	"AWS::DynamoDB::Table": {":table/", []string{
		"dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable",
		"dynamodb:UpdateTimeToLive", "dynamodb:DescribeTimeToLive",
		"dynamodb:UpdateContinuousBackups", "dynamodb:DescribeContinuousBackups",
		"dynamodb:TagResource", "dynamodb:ListTagsOfResource",
	}},
	// A dashboard's ARN has no region: arn:aws:cloudwatch::<account>:dashboard/<name>.
	"AWS::CloudWatch::Dashboard": {"cloudwatch::${AWS::AccountId}:dashboard/", []string{
		"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards",
	}},
	"AWS::CloudWatch::Alarm":  {":alarm:", []string{"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"}},
	"AWS::Logs::LogGroup":     {":log-group:", []string{"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DescribeLogGroups"}},
	"AWS::SSM::Parameter":     {":parameter/", []string{"ssm:PutParameter", "ssm:DeleteParameter", "ssm:GetParameters"}},
	"AWS::SQS::Queue":         {":sqs:", []string{"sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:GetQueueAttributes"}},
	"AWS::SQS::QueuePolicy":   {":sqs:", []string{"sqs:SetQueueAttributes"}},
	"AWS::SNS::Topic":         {":sns:", []string{"sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes"}},
	"AWS::SNS::TopicPolicy":   {":sns:", []string{"sns:SetTopicAttributes"}},
	"AWS::SNS::Subscription":  {":sns:", []string{"sns:Subscribe", "sns:Unsubscribe"}},
	"AWS::Events::EventBus":   {":event-bus/", []string{"events:CreateEventBus", "events:DeleteEventBus", "events:DescribeEventBus"}},
	"AWS::Events::Rule":       {":rule/", []string{"events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets", "events:DescribeRule"}},
	"AWS::IAM::Role":          {":role/", []string{"iam:CreateRole", "iam:DeleteRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRole"}},
	"AWS::Lambda::Permission": {":function:", []string{"lambda:AddPermission", "lambda:RemovePermission"}},
	// An event source mapping's ARN carries a generated ID, not a stack
	// name: the pipeline grants its calls with the mapped function's ARN as
	// the condition key (its EventSourceMappings statements, which SAM's
	// SQS events already need), which this check does not read.
	"AWS::Lambda::EventSourceMapping": {":function:", nil},
	"AWS::Serverless::Function": {":function:", []string{
		"lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
		"lambda:PublishVersion", "lambda:CreateAlias", "lambda:UpdateAlias", "lambda:GetFunction",
	}},
}

// CheckDeployRole returns every call CloudFormation needs to deploy the
// application template (DeployNeeds) that the pipeline's role named role
// does not allow on the ARNs of both stacks' resources.
func CheckDeployRole(pipeline *Template, role string, app *Template) []string {
	var problems []string
	r, ok := pipeline.Resources()[role]
	if !ok {
		return []string{fmt.Sprintf("%s: no such role in the pipeline", role)}
	}
	// granted[action] lists the resource ARNs (as Fn::Sub text) allowing it.
	granted := map[string][]string{}
	eachAllow(r, func(st any) {
		var resources []string
		for _, res := range asList(get(st, "Resource")) {
			resources = append(resources, subForm(res))
		}
		for _, a := range asList(get(st, "Action")) {
			name, _ := a.(string)
			granted[name] = append(granted[name], resources...)
		}
	})
	types := map[string]bool{}
	for _, res := range app.Resources() {
		if typ, _ := res["Type"].(string); typ != "" {
			types[typ] = true
		}
	}
	for typ := range types {
		need, ok := DeployNeeds[typ]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: the stack uses it, but DeployNeeds does not say what deploying it takes", typ))
			continue
		}
		for _, action := range need.actions {
			for _, stack := range []string{"${DevStackName}", "${ProdStackName}"} {
				found := false
				for _, arn := range granted[action] {
					if strings.Contains(arn, need.arn) && strings.Contains(arn, stack) {
						found = true
					}
				}
				if !found {
					problems = append(problems, fmt.Sprintf("%s: %s cannot %s on %s resources of %s", typ, role, action, need.arn, stack))
				}
			}
		}
	}
	sort.Strings(problems)
	return problems
}
