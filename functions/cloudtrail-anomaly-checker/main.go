package main

import (
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/time/rate"

	ctengine "github.com/selfaudit/selfaudit/shared/cloudtrail"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/baseline"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/lambdamain"
)

func main() { lambdamain.Start(ctengine.FunctionSource, setup) }

// setup builds the checker and its clients once per cold start.
func setup(rt *lambdamain.Runtime) (lambdamain.Handler[json.RawMessage, Result], error) {
	cfg, pub, err := findings.ConfigWithBus(rt.AWS, rt.Getenv, ctengine.FunctionConfigFromEnv)
	if err != nil {
		return nil, err
	}
	c := &ctengine.Checker{Config: cfg, S3: s3.NewFromConfig(rt.AWS), Lookup: cloudtrail.NewFromConfig(rt.AWS),
		Limiter: rate.NewLimiter(rate.Limit(ctengine.LookupRate), 1)}
	if cfg.BaselineTable != "" {
		c.Store = &baseline.Store{Client: dynamodb.NewFromConfig(rt.AWS), Table: cfg.BaselineTable}
	}
	return (&handler{checker: c, publisher: pub, metrics: rt.Metrics}).Handle, nil
}
