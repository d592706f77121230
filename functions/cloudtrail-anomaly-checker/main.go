package main

import (
	"encoding/json"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/time/rate"

	ctengine "github.com/selfaudit/selfaudit/shared/cloudtrail"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/baseline"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/lambdamain"
	"github.com/selfaudit/selfaudit/shared/suppress"
)

func main() { lambdamain.Start(ctengine.FunctionSource, setup) }

// setup builds the checker and its clients once per cold start.
func setup(rt *lambdamain.Runtime) (lambdamain.Handler[json.RawMessage, Result], error) {
	cfg, pub, busErr := findings.ConfigWithBus(rt.AWS, rt.Getenv, ctengine.FunctionConfigFromEnv)
	sup, supErr := suppress.FromEnv(rt.AWS, rt.Getenv)
	if err := errors.Join(busErr, supErr); err != nil {
		return nil, err // every bad variable at once
	}
	c := &ctengine.Checker{Config: cfg, S3: s3.NewFromConfig(rt.AWS), Lookup: cloudtrail.NewFromConfig(rt.AWS),
		Limiter: rate.NewLimiter(rate.Limit(ctengine.LookupRate), 1)}
	db := dynamodb.NewFromConfig(rt.AWS)
	if cfg.BaselineTable != "" {
		c.Store = &baseline.Store{Client: db, Table: cfg.BaselineTable}
	}
	if table := rt.Getenv(findingstore.EnvTable); table != "" { // the IAM scanner's record of administrators
		c.Config.Rules.Admins = &findingstore.AdminDirectory{Store: &findingstore.Store{Client: db, Table: table}, OnError: adminsUnread(rt.Log)}
	}
	return (&handler{checker: c, publisher: pub, suppressions: sup, metrics: rt.Metrics}).Handle, nil
}
