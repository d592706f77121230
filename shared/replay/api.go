package replay

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// QueueAPI is the part of the SQS API the engine calls. *sqs.Client
// satisfies it; tests pass the real client pointed at fauxqs, or a client
// whose transport injects faults.
type QueueAPI interface {
	GetQueueUrl(ctx context.Context, params *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	GetQueueAttributes(ctx context.Context, params *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ReceiveMessage(ctx context.Context, params *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessageBatch(ctx context.Context, params *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	DeleteMessageBatch(ctx context.Context, params *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, params *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

// InvokeAPI is the part of the Lambda API the engine calls: asynchronous
// invocations, and a DryRun invocation to check a target before any message
// is touched.
type InvokeAPI interface {
	Invoke(ctx context.Context, params *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// ConcurrencyAPI reads a function's reserved concurrency, which bounds
// the workers of a run to that function. An InvokeAPI that also has it is
// asked; one without it (or a caller without the permission) leaves the
// bound to MaxWorkers.
type ConcurrencyAPI interface {
	GetFunctionConcurrency(ctx context.Context, params *lambda.GetFunctionConcurrencyInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConcurrencyOutput, error)
}

var (
	_ QueueAPI       = (*sqs.Client)(nil)
	_ InvokeAPI      = (*lambda.Client)(nil)
	_ ConcurrencyAPI = (*lambda.Client)(nil)
)
