package main

import (
	"context"
	"encoding/json"

	"github.com/selfaudit/selfaudit/shared/lambdamain"
	"github.com/selfaudit/selfaudit/shared/orgaudit/coordinator"
)

func main() { lambdamain.Start("org-coordinator", setup) }

// setup reads the plan and builds the clients once per cold start.
func setup(rt *lambdamain.Runtime) (lambdamain.Handler[json.RawMessage, Output], error) {
	c, plan, err := coordinator.FromEnv(rt.AWS, rt.Getenv)
	if err != nil {
		return nil, err
	}
	accounts := func(ctx context.Context, p coordinator.Plan) ([]string, string, error) {
		return coordinator.Accounts(ctx, c.Org, p)
	}
	return (&handler{coordinator: c, plan: plan, accounts: accounts}).Handle, nil
}
