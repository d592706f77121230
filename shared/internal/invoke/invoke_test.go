package invoke

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
)

// local is what one function needs around it: environment for the
// function, and a report of what the stand-ins saw, printed after the call.
type local struct {
	env    []string
	report func() string
	// event replaces the sample event when the stand-ins need it to name
	// their own resources (a queue URL of the emulator, say).
	event []byte
}

// setups builds the stand-ins per function.
var setups = map[string]func(t *testing.T, event []byte) local{
	"lambda-fleet-auditor":       fleetAuditor,
	"dlq-replayer":               dlqReplayer,
	"cloudtrail-anomaly-checker": cloudTrailChecker,
	"pre-traffic-hook":           preTrafficHook,
	"iam-wildcard-scanner":       iamScanner,
	"securityhub-exporter":       securityHubExporter,
}

func TestInvoke(t *testing.T) {
	fn := os.Getenv("SELFAUDIT_INVOKE_FN")
	if fn == "" {
		t.Skip("make invoke FN=<function> EVENT=<file> sets SELFAUDIT_INVOKE_FN and SELFAUDIT_INVOKE_EVENT")
	}
	path := os.Getenv("SELFAUDIT_INVOKE_EVENT")
	if !filepath.IsAbs(path) {
		path = filepath.Join(testenv.ModuleRoot(t), path)
	}
	event, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	if !json.Valid(event) {
		t.Fatalf("event %s is not JSON", path)
	}
	setup, ok := setups[fn]
	if !ok {
		names := make([]string, 0, len(setups))
		for n := range setups {
			names = append(names, n)
		}
		t.Fatalf("no local setup for %q; known: %s", fn, strings.Join(names, ", "))
	}
	testenv.FakeAWSEnv(t)
	l := setup(t, event)
	if l.event != nil {
		event = l.event
	}
	bin := testenv.BuildFunction(t, fn)
	env := append([]string{"AWS_LAMBDA_FUNCTION_NAME=" + fn, "AWS_LAMBDA_FUNCTION_TIMEOUT=120", "LOG_LEVEL=info"}, l.env...)
	rie := testenv.StartRIE(t, bin, env...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := rie.Invoke(ctx, event)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	fmt.Printf("==> %s log\n%s\n", fn, strings.TrimSpace(rie.Logs()))
	fmt.Printf("==> %s result (%s, %d ms)\n%s\n", fn, orOK(res.FunctionError), took.Milliseconds(), res.Payload)
	if l.report != nil {
		fmt.Printf("==> what the local AWS stand-ins saw\n%s\n", l.report())
	}
	if res.FunctionError != "" {
		t.Fatalf("%s returned a function error", fn)
	}
}

func orOK(s string) string {
	if s == "" {
		return "ok"
	}
	return "function error: " + s
}

func awsConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fleetAuditor serves a sample fleet of eight functions over the Lambda,
// CloudWatch and CloudWatch Logs wire formats.
func fleetAuditor(t *testing.T, _ []byte) local {
	s := awsfake.StartFleet(t, awsfake.SampleEstate())
	env := append(s.Env(), "FINDINGS_BUS_NAME=selfaudit-findings")
	return local{env: env, report: func() string {
		return fmt.Sprintf("%d API calls %v\n%d findings published", s.TotalCalls("EventBridge"), s.Calls(), len(s.Events.Entries()))
	}}
}

// dlqReplayer creates the event's queue on fauxqs with a few Lambda async
// DLQ messages, and routes Lambda invocations of any function to an echo
// function under a second aws-lambda-rie.
func dlqReplayer(t *testing.T, event []byte) local {
	endpoint := testenv.FauxqsEndpoint(t)
	t.Setenv("AWS_ENDPOINT_URL_SQS", endpoint)
	var req struct {
		QueueURL string `json:"queueUrl"`
		Target   string `json:"target"`
	}
	if err := json.Unmarshal(event, &req); err != nil {
		t.Fatalf("decode replay request: %v", err)
	}
	var fields map[string]any
	_ = json.Unmarshal(event, &fields)
	name := req.QueueURL[strings.LastIndexAny(req.QueueURL, "/:")+1:]
	client := sqs.NewFromConfig(awsConfig(t))
	ctx := context.Background()
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("create queue %s on fauxqs: %v", name, err)
	}
	for i := range 5 {
		_, err := client.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl:    q.QueueUrl,
			MessageBody: aws.String(fmt.Sprintf(`{"detail-type":"Scheduled Event","source":"aws.events","id":"sample-%d"}`, i)),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{
				"RequestID":    {DataType: aws.String("String"), StringValue: aws.String(fmt.Sprintf("req-%d", i))},
				"ErrorCode":    {DataType: aws.String("Number"), StringValue: aws.String("200")},
				"ErrorMessage": {DataType: aws.String("String"), StringValue: aws.String("sample failure")},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	hello := testenv.BuildPackage(t, "./internal/testenv/testdata/hello", "hello")
	targetName := req.Target[strings.LastIndex(req.Target, ":function:")+len(":function:"):]
	targetName, _, _ = strings.Cut(targetName, ":")
	front := awsfake.NewLambda(nil)
	front.Invoke = testenv.Invoker(map[string]*testenv.RIE{targetName: testenv.StartRIE(t, hello)})
	srv := awsfake.Serve(t, front)
	// The sample names the queue as it is called in AWS; here it lives on
	// fauxqs under fauxqs's own URL.
	fields["queueUrl"] = aws.ToString(q.QueueUrl)
	rewritten, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return local{
		event: rewritten,
		env:   []string{"AWS_ENDPOINT_URL_SQS=" + endpoint, "AWS_ENDPOINT_URL_LAMBDA=" + srv.URL(front)},
		report: func() string {
			attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
			left := "?"
			if err == nil {
				left = attrs.Attributes["ApproximateNumberOfMessages"] + " visible, " + attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] + " in flight"
			}
			return fmt.Sprintf("queue %s on fauxqs: 5 messages seeded, %s left\nfunction %s received %d invocations", name, left, targetName, len(front.Invocations()))
		},
	}
}

// cloudTrailChecker gives the checker a baseline table on dynalite and a
// findings bus that records what it was sent.
func cloudTrailChecker(t *testing.T, _ []byte) local {
	endpoint := testenv.DynaliteEndpoint(t)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
	table := fmt.Sprintf("selfaudit-invoke-%d", time.Now().UnixNano())
	ddb := dynamodb.NewFromConfig(awsConfig(t))
	_, err := ddb.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange}},
	})
	if err != nil {
		t.Fatalf("create baseline table on dynalite: %v", err)
	}
	bus := awsfake.NewEventBridge()
	return local{
		env:    append(awsfake.Serve(t, bus).Env(), "AWS_ENDPOINT_URL_DYNAMODB="+endpoint, "BASELINE_TABLE="+table, "FINDINGS_BUS_NAME=selfaudit-findings"),
		report: func() string { return published(bus) },
	}
}

// preTrafficHook fakes CodeDeploy with the event's deployment shifting a
// healthy echo function (under a second aws-lambda-rie) from version 1 to
// 2, so the hook runs every check and a real smoke invocation.
func preTrafficHook(t *testing.T, event []byte) local {
	var ev struct {
		DeploymentID string `json:"DeploymentId"`
	}
	if err := json.Unmarshal(event, &ev); err != nil || ev.DeploymentID == "" {
		t.Fatalf("event has no DeploymentId: %v", err)
	}
	cd := awsfake.NewCodeDeploy()
	cd.Deployments[ev.DeploymentID] = awsfake.Deployment{Application: "selfaudit", Inline: true, AppSpec: `{"version":0.0,"Resources":[{"OrdersApi":{"Type":"AWS::Lambda::Function","Properties":{"Name":"orders-api","Alias":"live","CurrentVersion":"1","TargetVersion":"2"}}}]}`}
	lam := awsfake.NewLambda(nil)
	lam.Put(awsfake.HealthyFunction("orders-api", "2"))
	hello := testenv.BuildPackage(t, "./internal/testenv/testdata/hello", "hello")
	lam.Invoke = testenv.Invoker(map[string]*testenv.RIE{"orders-api": testenv.StartRIE(t, hello)})
	bus := awsfake.NewEventBridge()
	env := append(awsfake.Serve(t, cd, lam, bus).Env(), "FINDINGS_BUS_NAME=selfaudit-findings")
	return local{env: env, report: func() string {
		var puts []string
		for _, p := range cd.Puts() {
			puts = append(puts, p.DeploymentID+"="+p.Status)
		}
		return fmt.Sprintf("CodeDeploy received %d status report(s): %s\nsmoke invocations of orders-api: %d\n%s", len(puts), strings.Join(puts, ", "), len(lam.Invocations()), published(bus))
	}}
}

// iamScanner serves the example account of cloudsplaining (IAM's XML wire
// format, paginated, documents URL-encoded) and a few functions with
// resource policies (Lambda's REST JSON), the IAM scanner's own fixtures.
func iamScanner(t *testing.T, _ []byte) local {
	dir := filepath.Join(testenv.ModuleRoot(t), "shared", "iamscan", "testdata")
	iam, err := awsfake.NewIAM(filepath.Join(dir, "gaad"))
	if err != nil {
		t.Fatal(err)
	}
	if err := iam.LoadDetails(filepath.Join(dir, "cloudsplaining", "example-authz-details.json")); err != nil {
		t.Fatal(err)
	}
	estate, err := awsfake.LoadLambdaFixture(filepath.Join(dir, "lambda", "functions.json"))
	if err != nil {
		t.Fatal(err)
	}
	lam, bus := awsfake.NewLambda(estate), awsfake.NewEventBridge()
	env := append(awsfake.Serve(t, iam, lam, bus).Env(), "FINDINGS_BUS_NAME=selfaudit-findings", "SCAN_ALL_ROLES=true")
	return local{env: env, report: func() string {
		return fmt.Sprintf("IAM calls: %s\nLambda calls: %s\n%s", iam.String(), lam.String(), published(bus))
	}}
}
