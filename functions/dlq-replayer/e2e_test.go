package main_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/awsconfig/chain"
	"github.com/selfaudit/selfaudit/shared/replay"
)

func str(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func num(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(v)}
}

// TestFunctionUnderRIE runs the built dlq-replayer bootstrap under
// aws-lambda-rie with its SQS client pointed at fauxqs, as `aws lambda
// invoke` would run it.
func TestFunctionUnderRIE(t *testing.T) {
	testenv.FakeAWSEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_SQS", testenv.FauxqsEndpoint(t))
	cfg, err := chain.Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := sqs.NewFromConfig(cfg)
	bin := testenv.BuildFunction(t, "dlq-replayer")
	parking := testenv.NewQueue(t, c, "parking", false)
	rie := testenv.StartRIE(t, bin, "AWS_ENDPOINT_URL_SQS="+testenv.FauxqsEndpoint(t), "AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"AWS_LAMBDA_FUNCTION_NAME=dlq-replayer", "SELFAUDIT_TRACING=off", "PARKING_QUEUE_URL="+parking)
	ctx := context.Background()

	dlq := testenv.NewQueue(t, c, "fn-dlq", false)
	target := testenv.NewQueue(t, c, "fn-target", false)
	testenv.FillQueue(t, c, dlq, 25, map[string]types.MessageAttributeValue{"RequestID": str("r"), "ErrorCode": num("200")})
	testenv.FillQueue(t, c, dlq, 5, map[string]types.MessageAttributeValue{replay.ReplayCountAttribute: num("3")})

	tests := []struct {
		name      string
		event     string
		wantError string
		check     func(t *testing.T, res replay.Result)
	}{
		{name: "dry run", event: `{"queueUrl":"` + dlq + `","target":"` + testenv.QueueARN(t, c, target) + `","dryRun":true}`,
			check: func(t *testing.T, res replay.Result) {
				if !res.DryRun || res.Received != 30 || res.DryRunReport.WouldReplay != 25 || res.DryRunReport.WouldPark != 5 {
					t.Errorf("result = %+v, report %+v", res, res.DryRunReport)
				}
			}},
		{name: "replay and park", event: `{"queueUrl":"` + testenv.QueueARN(t, c, dlq) + `","target":"` + target + `"}`,
			check: func(t *testing.T, res replay.Result) {
				if res.Replayed != 25 || res.Parked != 5 || res.RemainingApprox != 0 {
					t.Errorf("result = %+v", res)
				}
			}},
		{name: "malformed request", event: `{"queueUrl":"` + dlq + `","maxMessages":-5}`, wantError: "maxMessages"},
		{name: "unknown queue", event: `{"queueUrl":"` + strings.Replace(dlq, "fn-dlq", "no-such-queue", 1) + `"}`, wantError: "queue not found"},
		{name: "target of the wrong kind", event: `{"queueUrl":"` + dlq + `","target":"arn:aws:sns:us-east-1:123456789012:topic"}`, wantError: "want a Lambda function or an SQS queue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := rie.Invoke(ctx, []byte(tc.event))
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantError != "" {
				if inv.FunctionError == "" || !strings.Contains(string(inv.Payload), tc.wantError) {
					t.Errorf("payload %s: want a function error containing %q", inv.Payload, tc.wantError)
				}
				return
			}
			if inv.FunctionError != "" {
				t.Fatalf("function error: %s", inv.Payload)
			}
			var res replay.Result
			if err := json.Unmarshal(inv.Payload, &res); err != nil {
				t.Fatalf("payload %s: %v", inv.Payload, err)
			}
			tc.check(t, res)
		})
	}
	got, _ := testenv.DrainQueue(t, c, target)
	testenv.CheckAllBodies(t, got, 25)
	if p, _ := testenv.DrainQueue(t, c, parking); len(p) != 5 {
		t.Errorf("parking queue holds %d distinct bodies, want 5", len(p))
	}
	if !rie.Logged(`"outcome":"parked"`) || !rie.Logged(`"requestId"`) {
		t.Errorf("function logs lack per-message lines:\n%s", rie.Logs())
	}
}

// TestMisconfiguredUnderRIE: a bad configuration (a worker count that is
// not a number) starts the function, fails every invocation naming the
// variable, and is logged once; no queue is touched.
func TestMisconfiguredUnderRIE(t *testing.T) {
	event, err := os.ReadFile("../../events/dlq-replayer/dry-run.json")
	if err != nil {
		t.Fatal(err)
	}
	testenv.CheckMisconfigured(t, testenv.BuildFunction(t, "dlq-replayer"),
		[]string{"AWS_LAMBDA_FUNCTION_TIMEOUT=30", "SELFAUDIT_TRACING=off", "REPLAY_WORKERS=many"},
		string(event), "REPLAY_WORKERS")
}
