// Command iam-wildcard-scanner is the AWS SDK floor of the function of the same name:
// aws-lambda-go and the same service clients, built from a
// configuration of the Lambda environment as awsconfig.Lambda builds it
// (dynamodb, eventbridge, iam, lambda, sts), and nothing of selfaudit. BenchmarkInit compares the
// function with it to show what selfaudit's own code adds to a cold start;
// TestSDKFloorsMatch keeps the client list in step with the function.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	cfg := aws.Config{Region: os.Getenv("AWS_REGION"), Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
		os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")))}
	_ = dynamodb.NewFromConfig(cfg)
	_ = eventbridge.NewFromConfig(cfg)
	_ = iam.NewFromConfig(cfg)
	_ = awslambda.NewFromConfig(cfg)
	_ = sts.NewFromConfig(cfg)
	lambda.Start(func(context.Context) error { return nil })
}
