package main

import (
	"encoding/json"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/fleet"
	"github.com/selfaudit/selfaudit/shared/lambdamain"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
	"github.com/selfaudit/selfaudit/shared/orgaudit/fleetunit"
	"github.com/selfaudit/selfaudit/shared/suppress"
)

func main() { lambdamain.Start(fleet.DefaultSource, setup) }

// setup reads the configuration and builds every client once per cold
// start.
func setup(rt *lambdamain.Runtime) (lambdamain.Handler[json.RawMessage, Output], error) {
	cfg, pub, busErr := findings.ConfigWithBus(rt.AWS, rt.Getenv, fleet.ConfigFromEnv)
	store, storeErr := findingstore.FromEnv(rt.AWS, rt.Getenv)
	sup, supErr := suppress.FromEnv(rt.AWS, rt.Getenv)
	org, orgErr := orgaudit.WorkerFromEnv(rt.AWS, rt.Getenv, store, pub, orgaudit.ScannerFleet, fleetunit.Scanner{Config: cfg})
	if err := errors.Join(busErr, storeErr, supErr, orgErr); err != nil {
		return nil, err // every bad variable at once
	}
	auditor := fleet.New(awslambda.NewFromConfig(rt.AWS), cloudwatch.NewFromConfig(rt.AWS), cloudwatchlogs.NewFromConfig(rt.AWS), cfg)
	return (&handler{auditor: auditor, publisher: pub, store: store, suppressions: sup, metrics: rt.Metrics, org: org}).Invoke, nil
}
