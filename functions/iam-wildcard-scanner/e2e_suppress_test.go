package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/suppress"
)

// TestSuppressionsEndToEnd runs the built function under aws-lambda-rie
// with SUPPRESSIONS_PARAMETER naming a parameter of the SSM fake that
// accepts MyRole's iam:PassRole on every role: that finding is never
// announced, is recorded SUPPRESSED in the finding store (dynalite) and
// counted in SuppressedFindings, not in FindingsTotal; a second run reads
// the parameter from its cache.
func TestSuppressionsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function under aws-lambda-rie")
	}
	testenv.FakeAWSEnv(t)
	table := fmt.Sprintf("findings-iam-suppress-%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db := testenv.DynaliteClient(t)
	if err := findingstore.CreateTable(ctx, db, table, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	bin := testenv.BuildFunction(t, "iam-wildcard-scanner")

	estate, err := awsfake.LoadLambdaFixture(testdata(t, "lambda", "functions.json"))
	if err != nil {
		t.Fatal(err)
	}
	const param = "/selfaudit/suppressions"
	ssm := awsfake.NewSSM()
	ssm.Put(param, `suppressions:
  - check: IAM004
    resource: "arn:aws:iam::*:role/MyRole"
    reason: "SEC-42: MyRole deploys the vendor's stacks"
    expires: 2099-12-31
`)
	eb := awsfake.NewEventBridge()
	env := append(awsfake.Serve(t, newIAM(t, testdata(t, "gaad"), testdata(t, "cloudsplaining", "example-authz-details.json")), awsfake.NewLambda(estate), eb, ssm).Env(),
		"FINDINGS_BUS_NAME=selfaudit-findings", "SCAN_ALL_ROLES=true", "AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"AWS_ENDPOINT_URL_DYNAMODB="+testenv.DynaliteEndpoint(t), findingstore.EnvTable+"="+table, suppress.EnvParameter+"="+param)
	rie := testenv.StartRIE(t, bin, env...)
	scheduled, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "events/iam-wildcard-scanner/scheduled.json"))
	if err != nil {
		t.Fatal(err)
	}

	var resp struct {
		Findings, Announced, Suppressed int
	}
	payload := rie.Succeed(t, ctx, scheduled, "first run")
	if err := json.Unmarshal(payload, &resp); err != nil {
		t.Fatalf("response %s: %v", payload, err)
	}
	if resp.Suppressed != 1 || resp.Announced != resp.Findings-1 {
		t.Fatalf("response %+v: want one finding suppressed and every other announced", resp)
	}
	for _, e := range eb.Entries() {
		var tr findings.Tracked
		if err := json.Unmarshal([]byte(e.Detail), &tr); err != nil {
			t.Fatal(err)
		}
		if tr.Check == "IAM004" && tr.Resource == myRole {
			t.Errorf("the suppressed finding was announced: %+v", tr)
		}
		if tr.Status != findings.StatusNew {
			t.Errorf("announced %s %s on %s", tr.Status, tr.Check, tr.Resource)
		}
	}
	if len(eb.Entries()) != resp.Announced {
		t.Errorf("%d events on the bus, %d announced", len(eb.Entries()), resp.Announced)
	}
	if !rie.Logged(`"SuppressedFindings":1`) || !rie.Logged(fmt.Sprintf(`"FindingsTotal":%d`, resp.Findings-1)) {
		t.Errorf("metrics do not count the suppressed finding apart:\n%s", rie.Logs())
	}

	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	suppressed, items := 0, 0
	for _, it := range out.Items {
		if findingstore.IsAdminsKey(it[findingstore.AttrID].(*types.AttributeValueMemberS).Value) {
			continue // the account's administrators, not a finding
		}
		items++
		status := it[findingstore.AttrStatus].(*types.AttributeValueMemberS).Value
		check := it[findingstore.AttrCheck].(*types.AttributeValueMemberS).Value
		res := it[findingstore.AttrResource].(*types.AttributeValueMemberS).Value
		if status == string(findings.StatusSuppressed) {
			suppressed++
			if check != "IAM004" || res != myRole {
				t.Errorf("%s on %s recorded SUPPRESSED", check, res)
			}
		}
	}
	if suppressed != 1 || items != resp.Findings {
		t.Errorf("store: %d findings, %d SUPPRESSED; want %d and 1", items, suppressed, resp.Findings)
	}

	// A second run within five minutes: the parameter comes from the
	// cache, nothing changed, nothing is announced.
	before := len(eb.Entries())
	payload = rie.Succeed(t, ctx, scheduled, "second run")
	if err := json.Unmarshal(payload, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Suppressed != 1 || resp.Announced != 0 || len(eb.Entries()) != before {
		t.Errorf("second run: response %+v, %d new events", resp, len(eb.Entries())-before)
	}
	if n := ssm.Calls().Count("GetParameter"); n != 1 {
		t.Errorf("GetParameter called %d times over two runs, want once (cached)", n)
	}
}
