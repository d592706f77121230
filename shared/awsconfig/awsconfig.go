// Package awsconfig builds the one aws.Config a process uses, with
// adaptive retries (which back off on throttling across all calls of a
// client instead of per call), request bodies sent so that a call is not
// lost after the service executed it (see readOnlyBodies), and tracing.
//
// Lambda builds the configuration of a function from what the Lambda
// environment gives it: the region, the execution role's credentials and,
// in tests and local runs, the SDK's standard AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> variables. It does not import the SDK's
// config package on purpose: that package links the SSO, SSO OIDC, sign-in
// and STS clients for credential sources a function never uses, about
// 1 MB of every bootstrap and their package initialisation at every cold
// start. The command line, which must honour profiles, SSO and assumed
// roles, uses package chain, the SDK's full default chain.
package awsconfig

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/selfaudit/selfaudit/shared/tracing"
)

// MaxAttempts is the number of tries per SDK call, first one included.
const MaxAttempts = 6

// Retryer is the adaptive retryer every client uses.
func Retryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = MaxAttempts
		})
	})
}

// Finish puts the request-body fix on cfg's HTTP client (the SDK's
// default client when it has none) and instruments cfg for tracing.
func Finish(cfg *aws.Config, tracer tracing.Tracer) {
	cfg.HTTPClient = withReadOnlyBodies(cfg.HTTPClient)
	if tracer != nil {
		tracer.InstrumentAWS(cfg)
	}
}

// ErrNoCredentials is returned by Lambda when the environment has no
// credentials: outside Lambda, or a runtime that hands them over another
// way.
var ErrNoCredentials = errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set: no credentials in the Lambda environment")

// Lambda builds the configuration of a Lambda function from getenv
// (os.Getenv in Lambda): AWS_REGION (or AWS_DEFAULT_REGION), the
// credentials Lambda puts in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN for the function's lifetime, and endpoint overrides
// read as the SDK reads them. Call it once per cold start.
func Lambda(ctx context.Context, tracer tracing.Tracer, getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, errors.New("AWS_REGION is not set: no region in the Lambda environment")
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, ErrNoCredentials
	}
	env := envEndpoints{getenv: getenv}
	cfg := aws.Config{
		Region:           region,
		Credentials:      aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))),
		Retryer:          Retryer,
		RetryMaxAttempts: MaxAttempts,
		ConfigSources:    []any{env},
	}
	if u := env.global(); u != "" {
		cfg.BaseEndpoint = aws.String(u)
	}
	Finish(&cfg, tracer)
	return cfg, nil
}

// envEndpoints answers the service clients' look-up of a per-service
// endpoint (AWS_ENDPOINT_URL_<SERVICE ID>, upper case, spaces as
// underscores) and of AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, as the SDK's
// own environment source does.
type envEndpoints struct {
	getenv func(string) string
}

func (e envEndpoints) ignored() bool {
	return strings.EqualFold(strings.TrimSpace(e.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")), "true")
}

// global is AWS_ENDPOINT_URL, the endpoint of every service without its own.
func (e envEndpoints) global() string {
	if e.ignored() {
		return ""
	}
	return e.getenv("AWS_ENDPOINT_URL")
}

// GetIgnoreConfiguredEndpoints implements the SDK's
// IgnoreConfiguredEndpointsProvider.
func (e envEndpoints) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return e.ignored(), e.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") != "", nil
}

// GetServiceBaseEndpoint implements the SDK's ServiceBaseEndpointProvider.
func (e envEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	if v := e.getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")); v != "" {
		return v, true, nil
	}
	return "", false, nil
}
