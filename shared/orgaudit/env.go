package orgaudit

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/lambdamain/env"
)

// The variables of organisation mode (template.yaml sets them when
// OrganizationMode is true).
const (
	// EnvRoleName is the member role's name; default DefaultRoleName.
	EnvRoleName = "ORG_MEMBER_ROLE_NAME"
	// EnvExternalID is the sts:ExternalId the member role requires.
	EnvExternalID = "ORG_EXTERNAL_ID"
	// EnvAuditAccount is this (the audit) account, the resource of ORG001
	// when a run does not know the organisation's ARN.
	EnvAuditAccount = "ORG_AUDIT_ACCOUNT"
)

// WorkerFromEnv builds the worker of a posture function in organisation
// mode: nil when ORG_RUNS_TABLE_NAME is unset (the function then takes no
// SQS events), or an *env.Error naming every bad variable. store and bus
// are the function's own; scanner runs its units.
func WorkerFromEnv(cfg aws.Config, getenv func(string) string, store *findingstore.Store, bus findings.Announcer, scanner string, s UnitScanner) (*Worker, error) {
	r := env.New(getenv)
	table := r.String(EnvRunsTable, "")
	if table == "" {
		return nil, r.Err()
	}
	if !findingstore.ValidTableName(table) {
		r.Fail(EnvRunsTable, table, "a DynamoDB table name: 3 to 255 of A-Z a-z 0-9 _ . -")
	}
	role := r.String(EnvRoleName, DefaultRoleName)
	external := r.String(EnvExternalID, "")
	busName := r.Required(findings.EnvBusName, "the name or ARN of the findings event bus (the stack sets it)")
	audit := r.String(EnvAuditAccount, "")
	if audit != "" && !ValidAccount(audit) {
		r.Fail(EnvAuditAccount, audit, "an account ID of 12 digits")
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	ledger := &DynamoLedger{Client: dynamodb.NewFromConfig(cfg), Table: table}
	d := findingstore.Delivery{Store: store, Bus: bus}
	return &Worker{
		Roles:     &Roles{STS: NewSTS(cfg), Base: cfg, RoleName: role, ExternalID: external},
		Scanners:  map[string]UnitScanner{scanner: s},
		Ledger:    ledger,
		Delivery:  d,
		Completer: &Completer{Ledger: ledger, Events: eventbridge.NewFromConfig(cfg), BusName: busName, Findings: d, AuditAccount: audit},
	}, nil
}

// SQSEvent returns the SQS event raw holds, false for any other event: a
// posture function tells its units from its schedule by this.
func SQSEvent(raw json.RawMessage) (SQSBatch, bool) {
	var b SQSBatch
	if json.Unmarshal(raw, &b) != nil || len(b.Records) == 0 || b.Records[0].EventSource != "aws:sqs" {
		return SQSBatch{}, false
	}
	return b, true
}

// ErrOrganizationModeOff is the answer of a posture function to an SQS
// event when organisation mode is off.
var ErrOrganizationModeOff = errors.New("an SQS event, but organisation mode is off (" + EnvRunsTable + " is not set)")

// Invocation is what one invocation of a posture function adds to its
// worker: where its metrics go, the suppressions read for it, and the
// function's own account (from its ARN), the resource of ORG001 when
// ORG_AUDIT_ACCOUNT did not name it.
type Invocation struct {
	Metrics      io.Writer
	Suppressed   func(findings.Finding) bool
	AuditAccount string
}

// HandleInvocation is HandleSQS with inv's metrics (the coverage of a run
// it completes too), suppressions and account; w is left as it was, so that a warm function's worker serves
// every invocation.
func (w *Worker) HandleInvocation(ctx context.Context, ev SQSBatch, inv Invocation) []BatchItemFailure {
	c := *w
	c.Delivery.Metrics, c.Delivery.Suppressed = inv.Metrics, inv.Suppressed
	if c.Completer != nil {
		cp := *c.Completer
		cp.Findings.Metrics, cp.Findings.Suppressed = inv.Metrics, inv.Suppressed
		if cp.AuditAccount == "" {
			cp.AuditAccount = inv.AuditAccount
		}
		c.Completer = &cp
	}
	return c.HandleSQS(ctx, ev)
}
