package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/baseline"
	"github.com/selfaudit/selfaudit/shared/findingstore"
)

// functionResult mirrors the function's Result.
type functionResult struct {
	Trigger   string `json:"trigger"`
	Records   int64  `json:"records"`
	Published int    `json:"published"`
}

// TestEndToEndUnderRIE builds the function's bootstrap, runs it under
// aws-lambda-rie with a baseline table in dynalite and a test event bus, and sends the
// sample EventBridge CloudTrail event twice: the first invocation publishes
// CT003 (with the function ARN as resource) and CT002, the second publishes
// nothing because those findings were already published.
func TestEndToEndUnderRIE(t *testing.T) {
	dynamo := testenv.DynaliteEndpoint(t)
	testenv.FakeAWSEnv(t)
	bus := awsfake.NewEventBridge()
	servers := awsfake.Serve(t, bus)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamo)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(cfg)
	table := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	if err := baseline.CreateTable(ctx, ddb, table); err != nil {
		t.Fatal(err)
	}
	// dynalite makes a table ACTIVE within a second; the waiter's default
	// first pause is 20 s.
	exists := dynamodb.NewTableExistsWaiter(ddb, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	if err := exists.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &table}, time.Minute); err != nil {
		t.Fatal(err)
	}

	bin := testenv.BuildFunction(t, "cloudtrail-anomaly-checker")
	fn := testenv.StartRIE(t, bin, append(servers.Env(),
		"AWS_ENDPOINT_URL_DYNAMODB="+dynamo,
		"FINDINGS_BUS_NAME=selfaudit-findings",
		"BASELINE_TABLE="+table,
		"SELFAUDIT_TRACING=off",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=30",
	)...)
	ev, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "events", "cloudtrail-anomaly-checker", "eventbridge-addpermission.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i, wantPublished := range []int{2, 0} {
		payload := fn.Succeed(t, ctx, ev, fmt.Sprintf("invocation %d", i))
		var res functionResult
		if err := json.Unmarshal(payload, &res); err != nil {
			t.Fatalf("result %s: %v", payload, err)
		}
		if res.Trigger != "eventbridge" || res.Records != 1 || res.Published != wantPublished {
			t.Errorf("invocation %d: result %+v, want %d published", i, res, wantPublished)
		}
	}
	entries := bus.Entries()
	if len(entries) != 2 {
		t.Fatalf("bus received %d entries, want 2: %+v", len(entries), entries)
	}
	var sawCT003 bool
	for _, e := range entries {
		if e.Source != "selfaudit" || e.DetailType != "Selfaudit Finding" || e.EventBusName != "selfaudit-findings" {
			t.Errorf("entry envelope = %+v", e)
		}
		if strings.Contains(e.Detail, `"check":"CT003"`) {
			sawCT003 = true
			res := e.Resources
			if len(res) != 1 || res[0] != "arn:aws:lambda:eu-west-1:111122223333:function:orders-api" {
				t.Errorf("CT003 resources = %v, want the function ARN", res)
			}
		}
	}
	if !sawCT003 {
		t.Errorf("no CT003 on the bus: %+v", entries)
	}
	if !strings.Contains(fn.Logs(), `"FindingsTotal":2`) {
		t.Errorf("no EMF line in the function's output:\n%s", fn.Logs())
	}
}

// TestMisconfiguredUnderRIE: a bad configuration (no findings bus, an
// unreadable window) starts the function, fails every invocation naming
// both variables, and is logged once.
func TestMisconfiguredUnderRIE(t *testing.T) {
	event, err := os.ReadFile("../../events/cloudtrail-anomaly-checker/eventbridge-addpermission.json")
	if err != nil {
		t.Fatal(err)
	}
	testenv.CheckMisconfigured(t, testenv.BuildFunction(t, "cloudtrail-anomaly-checker"),
		[]string{"AWS_LAMBDA_FUNCTION_TIMEOUT=30", "SELFAUDIT_TRACING=off", "SWEEP_WINDOW=soon"},
		string(event), "SWEEP_WINDOW", "FINDINGS_BUS_NAME")
}

// TestAdministratorSignInUnderRIE: a password sign-in without MFA is
// CT014 at MEDIUM, and at HIGH once the IAM scanner has recorded the user
// as an administrator in the findings table.
func TestAdministratorSignInUnderRIE(t *testing.T) {
	dynamo := testenv.DynaliteEndpoint(t)
	testenv.FakeAWSEnv(t)
	bus := awsfake.NewEventBridge()
	servers := awsfake.Serve(t, bus)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store := &findingstore.Store{Client: testenv.DynaliteClient(t), Table: fmt.Sprintf("e2e-findings-%d", time.Now().UnixNano())}
	if err := findingstore.CreateTable(ctx, testenv.DynaliteClient(t), store.Table, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	start := func() *testenv.RIE {
		return testenv.StartRIE(t, testenv.BuildFunction(t, "cloudtrail-anomaly-checker"), append(servers.Env(),
			"AWS_ENDPOINT_URL_DYNAMODB="+dynamo, "FINDINGS_BUS_NAME=selfaudit-findings", findingstore.EnvTable+"="+store.Table,
			"SELFAUDIT_TRACING=off", "AWS_LAMBDA_FUNCTION_TIMEOUT=30")...)
	}
	fn := start()
	ev, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "events", "cloudtrail-anomaly-checker", "eventbridge-console-signin.json"))
	if err != nil {
		t.Fatal(err)
	}
	severityOfLast := func() string {
		t.Helper()
		entries := bus.Entries()
		if len(entries) == 0 {
			t.Fatal("nothing on the bus")
		}
		var f struct{ Check, Severity string }
		if err := json.Unmarshal([]byte(entries[len(entries)-1].Detail), &f); err != nil || f.Check != "CT014" {
			t.Fatalf("last finding %s (%v), want CT014", entries[len(entries)-1].Detail, err)
		}
		return f.Severity
	}

	fn.Succeed(t, ctx, ev, "before any IAM scan")
	if sev := severityOfLast(); sev != "MEDIUM" {
		t.Errorf("before any IAM scan: CT014 at %s, want MEDIUM", sev)
	}
	// A new execution environment reads the record afresh.
	if err := store.PutAdminUsers(ctx, "111122223333", []string{"arn:aws:iam::111122223333:user/legacy-ops"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	fn = start()
	fn.Succeed(t, ctx, ev, "after the IAM scan recorded the administrator")
	if sev := severityOfLast(); sev != "HIGH" {
		t.Errorf("after the IAM scan: CT014 at %s, want HIGH", sev)
	}
}
