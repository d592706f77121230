package testenv

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// DynaliteClient is a DynamoDB client on dynalite with the fake
// credentials, for a test that prepares tables a function then uses
// through AWS_ENDPOINT_URL_DYNAMODB.
func DynaliteClient(t testing.TB) *dynamodb.Client {
	t.Helper()
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(DynaliteEndpoint(t)),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTESTTESTTESTTEST", "test-secret", ""),
	})
}
