package hook

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// DeploymentAPI reads what a deployment is shifting.
type DeploymentAPI interface {
	GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
	GetApplicationRevision(ctx context.Context, in *codedeploy.GetApplicationRevisionInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetApplicationRevisionOutput, error)
}

// StatusAPI is the CodeDeploy callback the hook exists to make.
type StatusAPI interface {
	PutLifecycleEventHookExecutionStatus(ctx context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, optFns ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error)
}

// CodeDeployAPI is everything the hook asks of CodeDeploy.
type CodeDeployAPI interface {
	DeploymentAPI
	StatusAPI
}

// FunctionAPI reads a function version's configuration and invokes it.
type FunctionAPI interface {
	GetFunctionConfiguration(ctx context.Context, in *lambda.GetFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
	GetFunctionEventInvokeConfig(ctx context.Context, in *lambda.GetFunctionEventInvokeConfigInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionEventInvokeConfigOutput, error)
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// ParameterAPI reads smoke events from SSM Parameter Store.
type ParameterAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Compile-time checks that the SDK clients satisfy the interfaces.
var (
	_ CodeDeployAPI = (*codedeploy.Client)(nil)
	_ FunctionAPI   = (*lambda.Client)(nil)
	_ ParameterAPI  = (*ssm.Client)(nil)
)
