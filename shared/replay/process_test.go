package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/replay"
)

// TestCLIKilledMidReplay runs the built `selfaudit replay` against fauxqs,
// kills it with SIGKILL while it is delivering, and runs it again: every
// message must reach the target.
func TestCLIKilledMidReplay(t *testing.T) {
	c := fauxqs(t, nil)
	bin := testenv.BuildPackage(t, "./cmd/selfaudit", "selfaudit")
	dlq := newQueue(t, c, "crash-dlq", false)
	target := newQueue(t, c, "crash-target", false)
	const n = 300
	fill(t, c, dlq, n, map[string]types.MessageAttributeValue{"RequestID": str("r"), "ErrorCode": num("200")})

	var stderr bytes.Buffer
	first := exec.Command(bin, "replay", "--queue", dlq, "--target", target, "--rate", "100", "--visibility-timeout", "2", "--format", "json")
	first.Env = os.Environ()
	first.Stderr = &stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if v, _ := approx(t, c, target); v >= 40 {
			break
		}
		if time.Now().After(deadline) {
			_ = first.Process.Kill()
			t.Fatalf("the first run delivered nothing in 30 s; its stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	delivered, _ := approx(t, c, target)
	left, hidden := approx(t, c, dlq)
	t.Logf("killed after %d deliveries; DLQ had %d visible and %d hidden", delivered, left, hidden)
	if left+hidden == 0 {
		t.Fatal("the first run finished before it was killed; nothing was tested")
	}

	time.Sleep(2100 * time.Millisecond) // what the killed run held becomes visible
	second := exec.Command(bin, "replay", "--queue", dlq, "--target", target, "--format", "json")
	second.Env = os.Environ()
	stderr.Reset()
	second.Stderr = &stderr
	out, err := second.Output()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, stderr.String())
	}
	var res replay.Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("second run output %q: %v", out, err)
	}
	if res.RemainingApprox != 0 || res.Failed != 0 {
		t.Errorf("second run = %+v", res)
	}
	got, _ := drain(t, c, target)
	dups := checkAll(t, got, n)
	t.Logf("second run %+v; %d duplicates in the target", res, dups)
	if lines := strings.Count(stderr.String(), `"outcome":"replayed"`); lines != res.Replayed {
		t.Errorf("%d per-message log lines with outcome replayed, result says %d", lines, res.Replayed)
	}
	if strings.Contains(stderr.String(), "msg-") {
		t.Error("a log line contains a message body")
	}
}

// TestFunctionUnderRIE runs the built dlq-replayer bootstrap under
// aws-lambda-rie with its SQS client pointed at fauxqs, as `aws lambda
// invoke` would run it.
func TestFunctionUnderRIE(t *testing.T) {
	c := fauxqs(t, nil)
	bin := testenv.BuildFunction(t, "dlq-replayer")
	parking := newQueue(t, c, "parking", false)
	rie := testenv.StartRIE(t, bin, "AWS_ENDPOINT_URL_SQS="+testenv.FauxqsEndpoint(t), "AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"AWS_LAMBDA_FUNCTION_NAME=dlq-replayer", "SELFAUDIT_TRACING=off", "PARKING_QUEUE_URL="+parking)
	ctx := context.Background()

	dlq := newQueue(t, c, "fn-dlq", false)
	target := newQueue(t, c, "fn-target", false)
	fill(t, c, dlq, 25, map[string]types.MessageAttributeValue{"RequestID": str("r"), "ErrorCode": num("200")})
	fill(t, c, dlq, 5, map[string]types.MessageAttributeValue{replay.ReplayCountAttribute: num("3")})

	tests := []struct {
		name      string
		event     string
		wantError string
		check     func(t *testing.T, res replay.Result)
	}{
		{name: "dry run", event: `{"queueUrl":"` + dlq + `","target":"` + queueARN(t, c, target) + `","dryRun":true}`,
			check: func(t *testing.T, res replay.Result) {
				if !res.DryRun || res.Received != 30 || res.DryRunReport.WouldReplay != 25 || res.DryRunReport.WouldPark != 5 {
					t.Errorf("result = %+v, report %+v", res, res.DryRunReport)
				}
			}},
		{name: "replay and park", event: `{"queueUrl":"` + queueARN(t, c, dlq) + `","target":"` + target + `"}`,
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
	got, _ := drain(t, c, target)
	checkAll(t, got, 25)
	if p, _ := drain(t, c, parking); len(p) != 5 {
		t.Errorf("parking queue holds %d distinct bodies, want 5", len(p))
	}
	if !strings.Contains(rie.Logs(), `"outcome":"parked"`) || !strings.Contains(rie.Logs(), `"requestId"`) {
		t.Errorf("function logs lack per-message lines:\n%s", rie.Logs())
	}
}
