package main_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
)

// TestOrganizationRunUnderRIE runs the org-coordinator bootstrap under
// aws-lambda-rie against the Organizations fake, fauxqs and dynalite, and
// checks that it records the run and sends one message per unit; then it
// hands one IAM unit to the iam-wildcard-scanner bootstrap as the event
// source mapping would (an SQS event) and checks that the unit is marked
// done in the runs table, that the same message delivered again changes
// nothing, and that the unit of an account without the member role is
// recorded not covered, with the reason; last, the lambda-fleet-auditor
// bootstrap audits one fleet unit and marks it done.
func TestOrganizationRunUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the functions under aws-lambda-rie")
	}
	testenv.FakeAWSEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	org := &awsfake.Organization{Accounts: 6, NoRoleEvery: 5, ExternalID: "selfaudit-e2e", MaxFunctions: 3, MaxRoles: 3}
	_, fakes := awsfake.NewOrgFakes(org, awsfake.OrgLimits{MinLatency: time.Millisecond, MaxLatency: 2 * time.Millisecond})
	servers := awsfake.Serve(t, fakes...)
	fauxqs, dynalite := testenv.FauxqsEndpoint(t), testenv.DynaliteEndpoint(t)
	t.Setenv("AWS_ENDPOINT_URL_SQS", fauxqs)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", dynalite)
	ddb := testenv.DynaliteClient(t)
	table := "org-runs-e2e-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := orgaudit.CreateRunsTable(ctx, ddb, table, time.Minute); err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(fauxqs), Credentials: aws.AnonymousCredentials{}}
	sqsc := sqs.NewFromConfig(cfg)
	iamQ, fleetQ := testenv.NewQueue(t, sqsc, "org-iam-e2e", false), testenv.NewQueue(t, sqsc, "org-fleet-e2e", false)
	env := append(servers.Env(), "AWS_ENDPOINT_URL_SQS="+fauxqs, "AWS_ENDPOINT_URL_DYNAMODB="+dynalite,
		"SELFAUDIT_TRACING=off", orgaudit.EnvRunsTable+"="+table)

	coord := testenv.StartRIE(t, testenv.BuildFunction(t, "org-coordinator"), append(env,
		"AWS_LAMBDA_FUNCTION_TIMEOUT=60", "AWS_LAMBDA_FUNCTION_NAME=org-coordinator",
		"ORG_REGIONS=us-east-1,eu-west-1", "ORG_IAM_QUEUE_URL="+iamQ, "ORG_FLEET_QUEUE_URL="+fleetQ,
		"ORG_EXCLUDE="+awsfake.OrgAccount(5), "ORG_RUN_DEADLINE=10m")...)
	var out struct {
		Run      string `json:"runId"`
		Accounts int    `json:"accounts"`
		Units    int    `json:"units"`
		DryRun   bool   `json:"dryRun"`
	}
	if err := json.Unmarshal(coord.Succeed(t, ctx, []byte(`{"dryRun":true}`), "dry run"), &out); err != nil || !out.DryRun || out.Accounts != 5 {
		t.Fatalf("dry run %+v, %v; want 5 accounts", out, err)
	}
	if v, _ := testenv.QueueDepth(t, sqsc, iamQ); v != 0 {
		t.Fatalf("the dry run sent %d units", v)
	}
	payload := coord.Succeed(t, ctx, []byte(`{"version":"0","detail-type":"Scheduled Event","source":"aws.scheduler","detail":{}}`), "scheduled run")
	if err := json.Unmarshal(payload, &out); err != nil {
		t.Fatalf("answer %s: %v", payload, err)
	}
	// 5 accounts (one excluded) × (IAM once + fleet in 2 regions).
	if out.Run == "" || out.Accounts != 5 || out.Units != 15 {
		t.Fatalf("run %+v; want 5 accounts and 15 units", out)
	}
	ledger := &orgaudit.DynamoLedger{Client: ddb, Table: table}
	st, err := ledger.Load(ctx, out.Run)
	if err != nil || st == nil || len(st.Run.Accounts) != 5 {
		t.Fatalf("ledger: %+v, %v", st, err)
	}
	iamCounts, iamMsgs := testenv.DrainQueue(t, sqsc, iamQ)
	fleetCounts, fleetMsgs := testenv.DrainQueue(t, sqsc, fleetQ)
	if len(iamCounts) != 5 || len(fleetCounts) != 10 {
		t.Fatalf("queued %d IAM and %d fleet units; want 5 and 10 (the deadline message waits its delay)", len(iamCounts), len(fleetCounts))
	}

	// One IAM unit of an account with the member role, as the event
	// source mapping delivers it.
	var unit, roleless orgaudit.Message
	var body, rolelessBody string
	for _, m := range iamMsgs {
		msg, err := orgaudit.ParseMessage([]byte(aws.ToString(m.Body)))
		if err != nil {
			t.Fatalf("unit message %s: %v", aws.ToString(m.Body), err)
		}
		switch {
		case org.HasRole(msg.Unit.Account) && body == "":
			unit, body = msg, aws.ToString(m.Body)
		case !org.HasRole(msg.Unit.Account):
			roleless, rolelessBody = msg, aws.ToString(m.Body)
		}
	}
	if body == "" || rolelessBody == "" {
		t.Fatal("want an IAM unit of an account with the member role and one of an account without")
	}
	worker := testenv.StartRIE(t, testenv.BuildFunction(t, "iam-wildcard-scanner"), append(env,
		"AWS_LAMBDA_FUNCTION_TIMEOUT=120", "AWS_LAMBDA_FUNCTION_NAME=iam-wildcard-scanner",
		"FINDINGS_BUS_NAME=findings", orgaudit.EnvExternalID+"=selfaudit-e2e")...)
	ev, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: body, EventSource: "aws:sqs"}}})
	for delivery := 1; delivery <= 2; delivery++ {
		payload := worker.Succeed(t, ctx, ev, "unit delivery "+strconv.Itoa(delivery))
		var resp struct {
			BatchItemFailures *[]orgaudit.BatchItemFailure `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(payload, &resp); err != nil || resp.BatchItemFailures == nil || len(*resp.BatchItemFailures) != 0 {
			t.Fatalf("delivery %d: answer %s (%v); want an empty batchItemFailures\n%s", delivery, payload, err, worker.Logs())
		}
		state, _, err := ledger.State(ctx, unit.Unit)
		if err != nil || state != orgaudit.StateDone {
			t.Fatalf("delivery %d: unit %s is %q (%v), want done", delivery, unit.Unit, state, err)
		}
	}
	// An account without the member role: not covered, with the reason,
	// which is an outcome and not a failure to deliver again.
	ev, _ = json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-2", Body: rolelessBody, EventSource: "aws:sqs"}}})
	payload = worker.Succeed(t, ctx, ev, "unit without a role")
	var resp struct {
		BatchItemFailures *[]orgaudit.BatchItemFailure `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(payload, &resp); err != nil || resp.BatchItemFailures == nil || len(*resp.BatchItemFailures) != 0 {
		t.Fatalf("unit without a role: answer %s (%v); want an empty batchItemFailures", payload, err)
	}
	if state, _, err := ledger.State(ctx, roleless.Unit); err != nil || state != orgaudit.StateNotCovered {
		t.Fatalf("unit %s without a role is %q (%v), want %s", roleless.Unit, state, err, orgaudit.StateNotCovered)
	}
	// One fleet unit, by the fleet auditor.
	var fleetUnit orgaudit.Message
	var fleetBody string
	for _, m := range fleetMsgs {
		if msg, err := orgaudit.ParseMessage([]byte(aws.ToString(m.Body))); err == nil && msg.Unit.Account == unit.Unit.Account {
			fleetUnit, fleetBody = msg, aws.ToString(m.Body)
			break
		}
	}
	fleet := testenv.StartRIE(t, testenv.BuildFunction(t, "lambda-fleet-auditor"), append(env,
		"AWS_LAMBDA_FUNCTION_TIMEOUT=120", "AWS_LAMBDA_FUNCTION_NAME=lambda-fleet-auditor",
		"FINDINGS_BUS_NAME=findings", orgaudit.EnvExternalID+"=selfaudit-e2e")...)
	ev, _ = json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-3", Body: fleetBody, EventSource: "aws:sqs"}}})
	payload = fleet.Succeed(t, ctx, ev, "fleet unit")
	resp.BatchItemFailures = nil
	if err := json.Unmarshal(payload, &resp); err != nil || resp.BatchItemFailures == nil || len(*resp.BatchItemFailures) != 0 {
		t.Fatalf("fleet unit: answer %s (%v); want an empty batchItemFailures\n%s", payload, err, fleet.Logs())
	}
	if state, _, err := ledger.State(ctx, fleetUnit.Unit); err != nil || state != orgaudit.StateDone {
		t.Fatalf("fleet unit %s is %q (%v), want done", fleetUnit.Unit, state, err)
	}

	st, err = ledger.Load(ctx, out.Run)
	if err != nil {
		t.Fatal(err)
	}
	done := 0
	for _, a := range st.Accounts {
		for _, s := range a.Units {
			if s == orgaudit.StateDone {
				done++
			}
		}
	}
	if done != 2 {
		t.Errorf("%d units done after an IAM unit delivered twice and a fleet unit, want 2", done)
	}
	if a := accountState(st, roleless.Unit.Account); a == nil || a.Reasons[roleless.Unit.Key()] == "" {
		t.Errorf("account %s: no reason recorded for its unit not covered: %+v", roleless.Unit.Account, a)
	}
}

func accountState(st *orgaudit.RunState, account string) *orgaudit.AccountState {
	for i := range st.Accounts {
		if st.Accounts[i].Account == account {
			return &st.Accounts[i]
		}
	}
	return nil
}

// TestMisconfiguredUnderRIE: a bad region and deadline start the function,
// fail every invocation naming the variables, and are logged once.
func TestMisconfiguredUnderRIE(t *testing.T) {
	testenv.CheckMisconfigured(t, testenv.BuildFunction(t, "org-coordinator"),
		[]string{"AWS_LAMBDA_FUNCTION_TIMEOUT=30", "SELFAUDIT_TRACING=off", orgaudit.EnvRunsTable + "=runs",
			"ORG_REGIONS=us-east-1,Mars", "ORG_RUN_DEADLINE=1h", "ORG_IAM_QUEUE_URL=http://q/iam", "ORG_FLEET_QUEUE_URL=http://q/fleet"},
		`{"detail-type":"Scheduled Event","source":"aws.scheduler","detail":{}}`, "ORG_REGIONS", "ORG_RUN_DEADLINE")
}
