// Package chain builds an aws.Config from the SDK's full default chain
// (environment, shared config and credentials files, profiles, SSO, web
// identity, assumed roles, container and instance credentials), for the
// command line and tests. Functions use awsconfig.Lambda instead, which
// does not link the clients those sources need.
package chain

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/selfaudit/selfaudit/shared/awsconfig"
	"github.com/selfaudit/selfaudit/shared/tracing"
)

// Load builds the configuration with awsconfig's retryer, request-body fix
// and tracing. Call it once per process and build every client from it.
func Load(ctx context.Context, tracer tracing.Tracer, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := append([]func(*config.LoadOptions) error{config.WithRetryer(awsconfig.Retryer)}, optFns...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	awsconfig.Finish(&cfg, tracer)
	return cfg, nil
}
