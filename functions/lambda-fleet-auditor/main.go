package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfaudit/selfaudit/shared/awsconfig"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/fleet"
	"github.com/selfaudit/selfaudit/shared/gctune"
	"github.com/selfaudit/selfaudit/shared/logging"
	"github.com/selfaudit/selfaudit/shared/tracing"
)

func main() {
	gc := gctune.AfterInit(os.Getenv)
	log := logging.New(os.Stdout)
	log.Debug().Int("gcPercent", gc.GCPercent).Int64("memoryLimitBytes", gc.MemoryLimitBytes).Msg("garbage collector set")
	h, err := newHandler(context.Background(), os.Getenv)
	if err != nil {
		// A bad configuration fails every invocation with the reason,
		// so the Errors metric and the alarm on it show it, instead of
		// killing the execution environment in a crash loop.
		log.Error().Err(err).Msg("configuration")
		lambda.Start(func(context.Context) error { return err })
		return
	}
	h.log = log
	log.Info().Str("tracer", h.tracer).Msg("lambda-fleet-auditor ready")
	lambda.Start(h.Handle)
}

// newHandler reads the configuration and builds every client once per
// cold start.
func newHandler(ctx context.Context, getenv func(string) string) (*handler, error) {
	bus := getenv("FINDINGS_BUS_NAME")
	if bus == "" {
		return nil, fmt.Errorf("environment variable FINDINGS_BUS_NAME is not set")
	}
	cfg, err := fleet.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	tr := tracing.FromEnvironment()
	awsCfg, err := awsconfig.Load(ctx, tr)
	if err != nil {
		return nil, err
	}
	return &handler{
		auditor:   fleet.New(awslambda.NewFromConfig(awsCfg), cloudwatch.NewFromConfig(awsCfg), cloudwatchlogs.NewFromConfig(awsCfg), cfg),
		publisher: &findings.EventBridgePublisher{Client: eventbridge.NewFromConfig(awsCfg), BusName: bus},
		metrics:   os.Stdout,
		tracer:    tr.Name(),
	}, nil
}
