package main

import (
	"encoding/json"

	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfaudit/selfaudit/shared/lambdamain"
	"github.com/selfaudit/selfaudit/shared/replay"
)

func main() { lambdamain.Start("dlq-replayer", setup) }

// setup reads the options and builds the engine once per cold start; the
// engine's ledger of deliveries lives as long as the execution environment.
func setup(rt *lambdamain.Runtime) (lambdamain.Handler[json.RawMessage, replay.Result], error) {
	opts, err := replay.OptionsFromEnv(rt.Getenv)
	if err != nil {
		return nil, err
	}
	eng := replay.New(sqs.NewFromConfig(rt.AWS), lambdasvc.NewFromConfig(rt.AWS), opts)
	return (&handler{engine: eng}).Handle, nil
}
