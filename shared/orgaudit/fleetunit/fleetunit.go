// Package fleetunit runs the fleet auditor (shared/fleet) as the unit of
// an organisation audit: every function of the member account in the
// unit's region, through the member role's credentials.
package fleetunit

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/selfaudit/selfaudit/shared/fleet"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
)

// Scanner is the fleet audit of one unit.
type Scanner struct {
	Config fleet.Config
}

var _ orgaudit.UnitScanner = Scanner{}

// Scan implements orgaudit.UnitScanner. An access denial is the member
// role lacking a permission: the unit is not covered, with the reason.
func (s Scanner) Scan(ctx context.Context, cfg aws.Config, u orgaudit.Unit) (orgaudit.Scan, error) {
	a := fleet.New(lambda.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg), s.Config)
	res, err := a.Run(ctx)
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "AccessDenied", "AccessDeniedException":
				return orgaudit.Scan{}, &orgaudit.NotCoveredError{Account: u.Account, Reason: "the member role may not audit the fleet: " + err.Error()}
			}
		}
		return orgaudit.Scan{}, fmt.Errorf("audit lambda fleet: %w", err)
	}
	source := s.Config.Source
	if source == "" {
		source = fleet.DefaultSource
	}
	return orgaudit.Scan{Findings: res.Findings, Scope: res.StoreScope(u.Account, u.Region), Source: source}, nil
}
