package coordinator

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/lambdamain/env"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
)

// The variables of the org-coordinator function (template.yaml sets them
// when OrganizationMode is true).
const (
	// EnvRegions lists the regions of a run, comma-separated; the first
	// is also the IAM scan's. Required.
	EnvRegions = "ORG_REGIONS"
	// EnvInclude lists the account, OU and root IDs a run audits; empty
	// means every active account.
	EnvInclude = "ORG_INCLUDE"
	// EnvExclude lists the account, OU and root IDs a run leaves out.
	EnvExclude = "ORG_EXCLUDE"
	// EnvIAMQueue and EnvFleetQueue are the URLs of the units queues of
	// the IAM scanner and of the fleet auditor.
	EnvIAMQueue   = "ORG_IAM_QUEUE_URL"
	EnvFleetQueue = "ORG_FLEET_QUEUE_URL"
	// EnvDeadline is how long a run may take; default DefaultDeadline, at
	// most 15 minutes (SQS's longest delay).
	EnvDeadline = "ORG_RUN_DEADLINE"
)

// FromEnv builds the coordinator of the org-coordinator function and the
// plan of its runs, or an *env.Error naming every bad variable.
func FromEnv(cfg aws.Config, getenv func(string) string) (*Coordinator, Plan, error) {
	r := env.New(getenv)
	table := r.Required(orgaudit.EnvRunsTable, "the runs table's name (the stack sets it)")
	if table != "" && !findingstore.ValidTableName(table) {
		r.Fail(orgaudit.EnvRunsTable, table, "a DynamoDB table name: 3 to 255 of A-Z a-z 0-9 _ . -")
	}
	regions := r.List(EnvRegions, nil)
	if len(regions) == 0 {
		r.Fail(EnvRegions, "", "a comma-separated list of regions, such as us-east-1,eu-west-1")
	}
	p := Plan{Regions: regions, Include: r.List(EnvInclude, nil), Exclude: r.List(EnvExclude, nil),
		Deadline: r.Duration(EnvDeadline, DefaultDeadline, time.Minute, 15*time.Minute)}
	queues := map[string]string{
		orgaudit.ScannerIAM:   r.Required(EnvIAMQueue, "the URL of the IAM scanner's units queue"),
		orgaudit.ScannerFleet: r.Required(EnvFleetQueue, "the URL of the fleet auditor's units queue"),
	}
	if len(regions) > 0 {
		if err := p.Validate(); err != nil {
			r.Fail(EnvRegions+", "+EnvInclude+" or "+EnvExclude, "", err.Error())
		}
	}
	if err := r.Err(); err != nil {
		return nil, Plan{}, err
	}
	c := &Coordinator{Org: NewOrganizations(cfg), Queue: sqs.NewFromConfig(cfg),
		Ledger: &orgaudit.DynamoLedger{Client: dynamodb.NewFromConfig(cfg), Table: table}, Queues: queues}
	return c, p, nil
}

// ListAttempts is how many times the coordinator tries each Organizations
// call. The listing calls share low rates per organisation with every
// other tool that reads it (Control Tower, account factories, other
// auditors), and one page that still fails fails the whole run, so the
// coordinator waits longer than the SDK's usual six tries: with the
// adaptive retryer's backoff (at most 20 s between tries), ten tries of
// one page take at most about three minutes, inside the function's
// five-minute timeout.
const ListAttempts = 10

// NewOrganizations returns the Organizations client the coordinator and
// the command line list the organisation with; optFns apply after
// ListAttempts.
func NewOrganizations(cfg aws.Config, optFns ...func(*organizations.Options)) *organizations.Client {
	return organizations.NewFromConfig(cfg, append([]func(*organizations.Options){func(o *organizations.Options) { o.RetryMaxAttempts = ListAttempts }}, optFns...)...)
}
