package fleet

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// LambdaAPI is what the auditor calls on Lambda. Every method is read-only.
type LambdaAPI interface {
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	ListAliases(ctx context.Context, in *lambda.ListAliasesInput, optFns ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
	ListEventSourceMappings(ctx context.Context, in *lambda.ListEventSourceMappingsInput, optFns ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
	ListFunctionEventInvokeConfigs(ctx context.Context, in *lambda.ListFunctionEventInvokeConfigsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionEventInvokeConfigsOutput, error)
	GetPolicy(ctx context.Context, in *lambda.GetPolicyInput, optFns ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

// CloudWatchAPI is what the auditor calls on CloudWatch metrics and alarms.
type CloudWatchAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// LogsAPI is what the auditor calls on CloudWatch Logs.
type LogsAPI interface {
	DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	StartQuery(ctx context.Context, in *cloudwatchlogs.StartQueryInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StartQueryOutput, error)
	GetQueryResults(ctx context.Context, in *cloudwatchlogs.GetQueryResultsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetQueryResultsOutput, error)
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// The SDK clients satisfy the interfaces; the paginators accept them.
var (
	_ LambdaAPI                                 = (*lambda.Client)(nil)
	_ CloudWatchAPI                             = (*cloudwatch.Client)(nil)
	_ LogsAPI                                   = (*cloudwatchlogs.Client)(nil)
	_ lambda.ListFunctionsAPIClient             = LambdaAPI(nil)
	_ lambda.ListAliasesAPIClient               = LambdaAPI(nil)
	_ lambda.ListEventSourceMappingsAPIClient   = LambdaAPI(nil)
	_ cloudwatch.DescribeAlarmsAPIClient        = CloudWatchAPI(nil)
	_ cloudwatch.GetMetricDataAPIClient         = CloudWatchAPI(nil)
	_ cloudwatchlogs.DescribeLogGroupsAPIClient = LogsAPI(nil)
	_ cloudwatchlogs.FilterLogEventsAPIClient   = LogsAPI(nil)
)
