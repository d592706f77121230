// Command iam-wildcard-scanner is the Lambda function that scans the live
// account for over-broad IAM permissions: daily on an EventBridge schedule,
// and for a single role or function when the CloudTrail checker reports a
// privilege or permission change (CT003, CT007) on the findings bus.
//
// This file only wires: configuration, clients built once per cold start,
// lambda.Start. The event handling is in handler.go, the scan in
// shared/iamscan.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfaudit/selfaudit/shared/awsconfig"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/gctune"
	"github.com/selfaudit/selfaudit/shared/iamscan"
	"github.com/selfaudit/selfaudit/shared/logging"
	"github.com/selfaudit/selfaudit/shared/tracing"
)

func main() {
	gc := gctune.AfterInit(os.Getenv)
	log := logging.New(os.Stderr)
	log.Debug().Int("gcPercent", gc.GCPercent).Int64("memoryLimitBytes", gc.MemoryLimitBytes).Msg("garbage collector set")
	tracer := tracing.FromEnvironment()
	cfg, err := awsconfig.Load(context.Background(), tracer)
	if err != nil {
		// Without configuration no invocation can succeed; failing the
		// init phase makes Lambda report it on every attempt.
		log.Error().Err(err).Msg("load AWS configuration")
		os.Exit(1)
	}
	h := &Handler{
		Scanner: &iamscan.Scanner{
			IAM:      iam.NewFromConfig(cfg),
			Lambda:   lambdasvc.NewFromConfig(cfg),
			AllRoles: os.Getenv("SCAN_ALL_ROLES") == "true",
		},
		Publisher: &findings.EventBridgePublisher{Client: eventbridge.NewFromConfig(cfg), BusName: os.Getenv("FINDINGS_BUS_NAME")},
		Metrics:   os.Stdout,
		Log:       log,
	}
	log.Info().Str("tracer", tracer.Name()).Msg("iam-wildcard-scanner ready")
	lambda.Start(h.Handle)
}
