package main

import (
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/hook"
	"github.com/selfaudit/selfaudit/shared/lambdamain"
)

func main() { lambdamain.Start(hook.Source, setup) }

// setup builds the engine once per cold start. A bad configuration still
// gives a working handler (lambdamain.Degraded): the hook then reports
// Failed with the reason instead of leaving CodeDeploy waiting for an hour.
func setup(rt *lambdamain.Runtime) (lambdamain.Handler[json.RawMessage, hook.Result], error) {
	hc, pub, cfgErr := findings.ConfigWithBus(rt.AWS, rt.Getenv, hook.ConfigFromEnv)
	h := &hook.Hook{CodeDeploy: codedeploy.NewFromConfig(rt.AWS), Lambda: awslambda.NewFromConfig(rt.AWS),
		ReadFile: readFile, Config: hc, ConfigErr: cfgErr, Publisher: pub}
	if hc.SmokeParameter != "" {
		h.SSM = ssm.NewFromConfig(rt.AWS)
	}
	if hc.PanicIn != "" {
		rt.Log.Warn().Str("check", hc.PanicIn).Msg(hook.EnvTestPanic + " is set: the check will panic (test only)")
	}
	return (&handler{hook: h}).Handle, lambdamain.Degraded(h.ConfigErr)
}
