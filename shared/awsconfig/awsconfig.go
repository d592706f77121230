// Package awsconfig builds the one aws.Config a process uses: the default
// credential and region chain, adaptive retries (which back off on
// throttling across all calls of a client instead of per call), request
// bodies sent so that a call is not lost after the service executed it
// (see readOnlyBodies), and tracing.
//
// Endpoints come from the SDK's standard AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> variables, which is how tests and local runs
// point clients at emulators; this package adds no endpoint logic of its own.
package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/selfaudit/selfaudit/shared/tracing"
)

// MaxAttempts is the number of tries per SDK call, first one included.
const MaxAttempts = 6

// Load builds the config. Call it once per cold start (in main, not in
// init) and build every client from the result.
func Load(ctx context.Context, tracer tracing.Tracer, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := append([]func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
					so.MaxAttempts = MaxAttempts
				})
			})
		}),
	}, optFns...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	cfg.HTTPClient = withReadOnlyBodies(cfg.HTTPClient)
	if tracer != nil {
		tracer.InstrumentAWS(&cfg)
	}
	return cfg, nil
}
