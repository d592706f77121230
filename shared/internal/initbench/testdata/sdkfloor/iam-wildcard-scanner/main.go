// Command iam-wildcard-scanner is the AWS SDK floor of the function of the same name:
// aws-lambda-go, the SDK's configuration and the same service clients
// (dynamodb, eventbridge, iam, lambda), and nothing of selfaudit. BenchmarkInit compares the
// function with it to show what selfaudit's own code adds to a cold start;
// TestSDKFloorsMatch keeps the client list in step with the function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	_ = dynamodb.NewFromConfig(cfg)
	_ = eventbridge.NewFromConfig(cfg)
	_ = iam.NewFromConfig(cfg)
	_ = awslambda.NewFromConfig(cfg)
	lambda.Start(func(context.Context) error { return nil })
}
