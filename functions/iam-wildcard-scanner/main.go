package main

import (
	"encoding/json"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/iamscan"
	"github.com/selfaudit/selfaudit/shared/lambdamain"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
	"github.com/selfaudit/selfaudit/shared/orgaudit/iamunit"
	"github.com/selfaudit/selfaudit/shared/suppress"
)

func main() { lambdamain.Start("iam-wildcard-scanner", setup) }

// setup builds the scanner and its clients once per cold start.
func setup(rt *lambdamain.Runtime) (lambdamain.Handler[json.RawMessage, *Response], error) {
	allRoles, pub, busErr := findings.ConfigWithBus(rt.AWS, rt.Getenv, scanAllRoles)
	store, storeErr := findingstore.FromEnv(rt.AWS, rt.Getenv)
	sup, supErr := suppress.FromEnv(rt.AWS, rt.Getenv)
	org, orgErr := orgaudit.WorkerFromEnv(rt.AWS, rt.Getenv, store, pub, orgaudit.ScannerIAM, iamunit.Scanner{AllRoles: allRoles})
	if err := errors.Join(busErr, storeErr, supErr, orgErr); err != nil {
		return nil, err // every bad variable at once
	}
	scanner := &iamscan.Scanner{IAM: iam.NewFromConfig(rt.AWS), Lambda: lambdasvc.NewFromConfig(rt.AWS), AllRoles: allRoles}
	return (&handler{scanner: scanner, publisher: pub, store: store, suppressions: sup, allRoles: allRoles, metrics: rt.Metrics, org: org}).Handle, nil
}
