package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
)

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "events", "securityhub-exporter", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// findingEvent is the queued body of the n-th IAM finding of the fake
// account, as EventBridge writes it.
func findingEvent(n int, status findings.Status) (string, string) {
	res := fmt.Sprintf("arn:aws:iam::%s:role/app-%03d", awsfake.Account, n)
	t := findings.Tracked{Finding: findings.Finding{
		ID: findings.StableID("IAM006", res, ""), Check: "IAM006", Severity: findings.Medium, Title: "Write actions allowed on every resource",
		Resource: res, Evidence: map[string]any{"actions": []string{"s3:PutObject"}}, Remediation: "Scope the resources.",
		Source: "iam-wildcard-scanner", ObservedAt: time.Date(2026, 12, 1, 6, 15, 0, 0, time.UTC),
	}, Status: status}
	// As the finding store announces it: found on the first day, resolved
	// by the next day's run.
	t.FirstSeen, t.LastSeen, t.StatusChangedAt = t.ObservedAt, t.ObservedAt, t.ObservedAt
	if status == findings.StatusResolved {
		t.StatusChangedAt = t.ObservedAt.Add(24 * time.Hour)
	}
	detail, _ := json.Marshal(t)
	return t.ID, fmt.Sprintf(`{"version":"0","id":"ev-%d","detail-type":"Selfaudit Finding","source":"selfaudit","account":%q,"time":"2026-12-01T06:15:00Z","region":%q,"resources":[%q],"detail":%s}`,
		n, awsfake.Account, awsfake.Region, res, detail)
}

func batch(bodies ...string) []byte {
	ev := events.SQSEvent{}
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("msg-%03d", i), Body: b, EventSource: "aws:sqs"})
	}
	raw, _ := json.Marshal(ev)
	return raw
}

func failures(t *testing.T, payload []byte) []string {
	t.Helper()
	var resp events.SQSEventResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		t.Fatalf("response %s: %v", payload, err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	sort.Strings(ids)
	return ids
}

// TestFunctionUnderRIE builds the securityhub-exporter bootstrap, runs it
// under aws-lambda-rie with its Security Hub endpoint pointed at the fake
// speaking BatchImportFindings' wire format, and invokes it as the SQS
// event source mapping does.
func TestFunctionUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function under aws-lambda-rie")
	}
	testenv.FakeAWSEnv(t)
	hub := awsfake.NewSecurityHub()
	refused := ""
	hub.FailFinding = func(f awsfake.HubFinding) (string, string) {
		if f.ID == refused {
			return "InvalidInput", "Finding does not adhere to Amazon Finding Format."
		}
		return "", ""
	}
	servers := awsfake.Serve(t, hub)
	rie := testenv.StartRIE(t, testenv.BuildFunction(t, "securityhub-exporter"), append(servers.Env(),
		"AWS_LAMBDA_FUNCTION_TIMEOUT=60", "AWS_LAMBDA_FUNCTION_NAME=securityhub-exporter", "SELFAUDIT_TRACING=off")...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("sample batch", func(t *testing.T) {
		if got := failures(t, rie.Succeed(t, ctx, sample(t, "sqs-batch.json"), "sample batch")); len(got) != 0 {
			t.Fatalf("batch item failures %v", got)
		}
		held := hub.Findings()
		states := map[string]string{}
		for _, f := range held {
			states[f.GeneratorID] = f.RecordState + "/" + f.ResourceType + "/" + f.WorkflowStatus
		}
		want := map[string]string{"IAM004": "ACTIVE/AwsIamRole/NEW", "CT004": "ACTIVE/AwsCloudTrailTrail/NEW", "LMB001": "ARCHIVED/AwsLambdaFunction/RESOLVED"}
		if fmt.Sprint(states) != fmt.Sprint(want) {
			t.Errorf("held %v, want %v", states, want)
		}
	})

	t.Run("large batch with bad messages", func(t *testing.T) {
		before := len(hub.ImportCalls())
		var bodies, ids []string
		for i := range 150 {
			id, body := findingEvent(i, findings.StatusNew)
			bodies, ids = append(bodies, body), append(ids, id)
		}
		refused = ids[42]
		bodies = append(bodies, `{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`, `not json`)
		hub.SetError("BatchImportFindings", &awsfake.APIError{Status: 429, Type: "LimitExceededException", Message: "Rate exceeded", Times: 1})
		defer hub.SetError("BatchImportFindings", nil)
		got := failures(t, rie.Succeed(t, ctx, batch(bodies...), "large batch"))
		if want := []string{"msg-042", "msg-150", "msg-151"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("batch item failures %v, want %v", got, want)
		}
		calls := hub.ImportCalls()[before:]
		if len(calls) != 2 || len(calls[0]) != 100 || len(calls[1]) != 50 {
			t.Errorf("%d calls after the sample", len(calls))
		}
		for i, id := range ids {
			if _, ok := hub.Finding(id); ok == (i == 42) {
				t.Errorf("finding %d (%s): held %v", i, id, ok)
			}
		}
		if !rie.Logged(`"reason"`) || !rie.Logged(`findings exported to Security Hub`) {
			t.Errorf("logs lack the per-message and summary lines:\n%s", rie.Logs())
		}
	})

	t.Run("resolution archives", func(t *testing.T) {
		id, body := findingEvent(7, findings.StatusResolved)
		if got := failures(t, rie.Succeed(t, ctx, batch(body), "resolution")); len(got) != 0 {
			t.Fatalf("batch item failures %v", got)
		}
		if f, _ := hub.Finding(id); f.RecordState != "ARCHIVED" || f.ComplianceStatus != "PASSED" || f.Imports != 2 {
			t.Errorf("resolved finding %+v", f)
		}
	})

	// The pre-traffic hook's smoke case (template.yaml,
	// SecurityHubExporterSmokeEvents): an empty batch, no call.
	t.Run("empty batch", func(t *testing.T) {
		calls := hub.Calls().Count("BatchImportFindings")
		if out := rie.Succeed(t, ctx, []byte(`{"Records":[]}`), "empty batch"); !strings.Contains(string(out), "batchItemFailures") {
			t.Errorf("response %s lacks the smoke case's expected fragment", out)
		}
		if hub.Calls().Count("BatchImportFindings") != calls {
			t.Error("an empty batch called Security Hub")
		}
	})

	t.Run("direct event", func(t *testing.T) {
		rie.Succeed(t, ctx, sample(t, "finding-event.json"), "direct event")
		inv, err := rie.Invoke(ctx, []byte(`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`))
		if err != nil {
			t.Fatal(err)
		}
		if inv.FunctionError == "" || !strings.Contains(string(inv.Payload), "not a finding event") {
			t.Errorf("a foreign direct event: %s", inv.Payload)
		}
	})
}

// TestMisconfiguredUnderRIE: a bad minimum severity starts the function,
// fails every invocation naming the variable, and is logged once.
func TestMisconfiguredUnderRIE(t *testing.T) {
	testenv.CheckMisconfigured(t, testenv.BuildFunction(t, "securityhub-exporter"),
		[]string{"AWS_LAMBDA_FUNCTION_TIMEOUT=30", "SELFAUDIT_TRACING=off", "SECURITYHUB_MIN_SEVERITY=urgent", "SECURITYHUB_ATTEMPTS=0"},
		string(sample(t, "sqs-batch.json")), "SECURITYHUB_MIN_SEVERITY", "SECURITYHUB_ATTEMPTS")
}
