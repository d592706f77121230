// Package iamunit runs the live IAM scan (shared/iamscan) as the unit of
// an organisation audit: every role of the member account and the resource
// policies of the functions in the unit's region, through the member
// role's credentials. It is its own package so that the fleet auditor's
// bootstrap does not link the IAM scanner, nor the reverse.
package iamunit

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/selfaudit/selfaudit/shared/iamscan"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
)

// Scanner is the IAM scan of one unit.
type Scanner struct {
	// AllRoles judges every role, not only those Lambda can assume.
	AllRoles bool
	// Partition of the member accounts; default "aws".
	Partition string
}

var _ orgaudit.UnitScanner = Scanner{}

// Scan implements orgaudit.UnitScanner. An access denial on any read is
// the member role lacking a permission the scan needs: the unit is not
// covered, with the denied call as the reason, rather than retried.
func (s Scanner) Scan(ctx context.Context, cfg aws.Config, u orgaudit.Unit) (orgaudit.Scan, error) {
	sc := &iamscan.Scanner{IAM: iam.NewFromConfig(cfg), Lambda: lambda.NewFromConfig(cfg), AllRoles: s.AllRoles}
	res := sc.ScanAccount(ctx)
	var denied []string
	for _, e := range res.Errors {
		if Denied(e.Err) {
			denied = append(denied, e.Operation+" on "+e.Resource)
		}
	}
	if len(denied) > 0 {
		return orgaudit.Scan{}, &orgaudit.NotCoveredError{Account: u.Account, Reason: "the member role may not call " + strings.Join(denied, ", ")}
	}
	p := s.Partition
	if p == "" {
		p = "aws"
	}
	place := iamscan.Place{Partition: p, Account: u.Account, Region: u.Region}
	scope := iamscan.StoreScope(iamscan.Target{Scope: iamscan.ScopeAccount}, place, s.AllRoles, res)
	scan := orgaudit.Scan{Findings: res.Findings, Scope: scope, Source: iamscan.SourceLive, Err: res.Err()}
	if scan.Err == nil {
		scan.AdminUsers = append([]string{}, res.AdminUsers...) // recorded even when empty: no administrator
	}
	return scan, nil
}

// Denied reports an access denial from any AWS service.
func Denied(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError":
		return true
	}
	return false
}
