package main

import (
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/selfaudit/selfaudit/shared/lambdamain"
	"github.com/selfaudit/selfaudit/shared/securityhub"
)

func main() { lambdamain.Start("securityhub-exporter", setup) }

// setup reads the configuration and builds the Security Hub client once
// per cold start.
func setup(rt *lambdamain.Runtime) (lambdamain.Handler[json.RawMessage, events.SQSEventResponse], error) {
	exp, err := securityhub.ExporterFromEnv(sh.NewFromConfig(rt.AWS), rt.Getenv)
	if err != nil {
		return nil, err
	}
	return (&handler{exporter: exp}).Handle, nil
}
