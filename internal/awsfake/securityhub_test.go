package awsfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
)

const product = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"

// hubFinding is a finding Security Hub accepts, as a JSON object.
func hubFinding(id string) map[string]any {
	return map[string]any{
		"SchemaVersion": "2018-10-08", "Id": id, "ProductArn": product, "GeneratorId": "IAM001", "AwsAccountId": awsfake.Account,
		"Types": []any{"Software and Configuration Checks/AWS Security Best Practices"}, "CreatedAt": "2026-12-01T06:15:00.000Z",
		"UpdatedAt": "2026-12-01T06:15:00.000Z", "Severity": map[string]any{"Label": "CRITICAL"}, "Title": "t", "Description": "d",
		"Resources": []any{map[string]any{"Type": "AwsIamPolicy", "Id": "arn:aws:iam::123456789012:policy/p", "Partition": "aws", "Region": "us-east-1"}},
		"Workflow":  map[string]any{"Status": "NEW"}, "RecordState": "ACTIVE",
	}
}

func sdkFinding(id string) shtypes.AwsSecurityFinding {
	return shtypes.AwsSecurityFinding{SchemaVersion: aws.String("2018-10-08"), Id: aws.String(id), ProductArn: aws.String(product),
		GeneratorId: aws.String("IAM001"), AwsAccountId: aws.String(awsfake.Account), Types: []string{"TTPs/Defense Evasion"},
		CreatedAt: aws.String("2026-12-01T06:15:00Z"), UpdatedAt: aws.String("2026-12-01T06:15:00Z"),
		Severity: &shtypes.Severity{Label: shtypes.SeverityLabelHigh}, Title: aws.String("t"), Description: aws.String("d"),
		Resources: []shtypes.Resource{{Type: aws.String("AwsCloudTrailTrail"), Id: aws.String("arn:aws:cloudtrail:us-east-1:123456789012:trail/t")}}}
}

// TestSecurityHubLimits: through the SDK, a call of 100 findings is
// imported, one of 101 refused whole; oversize strings and a foreign
// product fail single findings.
func TestSecurityHubLimits(t *testing.T) {
	hub := awsfake.NewSecurityHub()
	c := sh.NewFromConfig(cfg(awsfake.Serve(t, hub).URL(hub)))
	ctx := context.Background()
	batch := func(n int) []shtypes.AwsSecurityFinding {
		out := make([]shtypes.AwsSecurityFinding, n)
		for i := range out {
			out[i] = sdkFinding(fmt.Sprintf("f-%d", i))
		}
		return out
	}
	out, err := c.BatchImportFindings(ctx, &sh.BatchImportFindingsInput{Findings: batch(100)})
	if err != nil || aws.ToInt32(out.SuccessCount) != 100 || len(hub.Findings()) != 100 {
		t.Fatalf("100 findings: %v, %+v", err, out)
	}
	if _, err := c.BatchImportFindings(ctx, &sh.BatchImportFindingsInput{Findings: batch(101)}); apiCode(err) != "InvalidInputException" {
		t.Fatalf("101 findings: error %v, want InvalidInputException", err)
	}
	long, desc, foreign, region := sdkFinding("long"), sdkFinding("desc"), sdkFinding("foreign"), sdkFinding("region")
	long.Title = aws.String(strings.Repeat("x", 257))
	desc.Description = aws.String(strings.Repeat("é", 1025))
	foreign.ProductArn = aws.String("arn:aws:securityhub:us-east-1:210987654321:product/210987654321/default")
	region.ProductArn = aws.String("arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default")
	ok := sdkFinding("ok")
	out, err = c.BatchImportFindings(ctx, &sh.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{long, desc, foreign, region, ok}})
	if err != nil || aws.ToInt32(out.FailedCount) != 4 || aws.ToInt32(out.SuccessCount) != 1 {
		t.Fatalf("mixed call: %v, %+v", err, out)
	}
	want := map[string]string{"long": "InvalidInput", "desc": "InvalidInput", "foreign": "AccessDeniedException", "region": "AccessDeniedException"}
	for _, f := range out.FailedFindings {
		if want[aws.ToString(f.Id)] != aws.ToString(f.ErrorCode) {
			t.Errorf("%s failed with %s: %s", aws.ToString(f.Id), aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage))
		}
	}
	if _, held := hub.Finding("long"); held {
		t.Error("a refused finding is held")
	}
}

// TestSecurityHubRequiredAttributes: each required attribute, left out of
// a finding sent on the wire, fails that finding alone.
func TestSecurityHubRequiredAttributes(t *testing.T) {
	hub := awsfake.NewSecurityHub()
	url := awsfake.Serve(t, hub).URL(hub)
	for _, attr := range []string{"AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "Resources", "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt"} {
		t.Run(attr, func(t *testing.T) {
			f := hubFinding("id-" + attr)
			delete(f, attr)
			body, _ := json.Marshal(map[string]any{"Findings": []any{f, hubFinding("good")}})
			resp, err := http.Post(url+"/findings/import", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out struct {
				FailedCount, SuccessCount int
				FailedFindings            []awsfake.ImportFailure
			}
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %d: %v", resp.StatusCode, err)
			}
			if out.FailedCount != 1 || out.SuccessCount != 1 || out.FailedFindings[0].ErrorCode != "InvalidInput" ||
				!strings.Contains(out.FailedFindings[0].ErrorMessage, "'"+attr+"'") {
				t.Errorf("answer = %+v", out)
			}
		})
	}
	// Not the operation, or no finding: the call is refused.
	for path, body := range map[string]string{"/findings": `{"Findings":[]}`, "/findings/import": `{"Findings":[]}`} {
		resp, err := http.Post(url+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.Header.Get("X-Amzn-ErrorType") == "" {
			t.Errorf("%s: status %d, error type %q", path, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
		}
	}
}

// TestSecurityHubKeepsWorkflow: an import of a held finding updates it but
// keeps the workflow status, which providers cannot change.
func TestSecurityHubKeepsWorkflow(t *testing.T) {
	hub := awsfake.NewSecurityHub()
	c := sh.NewFromConfig(cfg(awsfake.Serve(t, hub).URL(hub)))
	f := sdkFinding("w")
	if _, err := c.BatchImportFindings(context.Background(), &sh.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{f}}); err != nil {
		t.Fatal(err)
	}
	f.RecordState, f.Workflow = shtypes.RecordStateArchived, &shtypes.Workflow{Status: shtypes.WorkflowStatusResolved}
	f.UpdatedAt = aws.String("2026-12-02T06:15:00Z")
	if _, err := c.BatchImportFindings(context.Background(), &sh.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{f}}); err != nil {
		t.Fatal(err)
	}
	got, _ := hub.Finding("w")
	if got.RecordState != "ARCHIVED" || got.WorkflowStatus != "NEW" || got.Imports != 2 || hub.Calls().Count("BatchImportFindings") != 2 {
		t.Errorf("held = %+v", got)
	}
}

// TestSecurityHubIgnoresOlderUpdates: as Security Hub does, an import
// whose UpdatedAt is at or before the held finding's succeeds and changes
// nothing.
func TestSecurityHubIgnoresOlderUpdates(t *testing.T) {
	hub := awsfake.NewSecurityHub()
	c := sh.NewFromConfig(cfg(awsfake.Serve(t, hub).URL(hub)))
	imp := func(updated string, state shtypes.RecordState) {
		t.Helper()
		f := sdkFinding("o")
		f.UpdatedAt, f.RecordState = aws.String(updated), state
		out, err := c.BatchImportFindings(context.Background(), &sh.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{f}})
		if err != nil || aws.ToInt32(out.SuccessCount) != 1 {
			t.Fatalf("import at %s: %v %+v", updated, err, out)
		}
	}
	imp("2026-12-02T06:15:00Z", shtypes.RecordStateArchived)
	imp("2026-12-01T06:15:00Z", shtypes.RecordStateActive)      // older
	imp("2026-12-02T07:15:00+01:00", shtypes.RecordStateActive) // the same instant
	if got, _ := hub.Finding("o"); got.RecordState != "ARCHIVED" || got.Imports != 1 || len(hub.Ignored()) != 2 {
		t.Errorf("held %+v, ignored %v", got, hub.Ignored())
	}
	imp("2026-12-02T06:15:00.001Z", shtypes.RecordStateActive) // newer
	if got, _ := hub.Finding("o"); got.RecordState != "ACTIVE" || got.Imports != 2 {
		t.Errorf("held %+v after a newer import", got)
	}
}
