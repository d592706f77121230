package awsfake_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/shared/awsconfig"
)

// cfg is an SDK configuration for fakes: anonymous, one attempt, and
// awsconfig's HTTP client, so that a call is not lost after the fake
// answered it (see awsconfig.HTTPClient).
func cfg(url string) aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		HTTPClient: awsconfig.HTTPClient()}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func entries(n, detailBytes int) []ebtypes.PutEventsRequestEntry {
	out := make([]ebtypes.PutEventsRequestEntry, n)
	for i := range out {
		out[i] = ebtypes.PutEventsRequestEntry{Source: aws.String("selfaudit"), DetailType: aws.String("Selfaudit Finding"),
			Detail: aws.String(`{"x":"` + strings.Repeat("y", detailBytes) + `"}`), EventBusName: aws.String("bus"), Resources: []string{"arn:aws:iam::1:role/r"}}
	}
	return out
}

func TestEventBridgeLimits(t *testing.T) {
	bus := awsfake.NewEventBridge()
	c := eventbridge.NewFromConfig(cfg(awsfake.Serve(t, bus).URL(bus)))
	ctx := context.Background()
	tests := map[string]struct {
		entries  []ebtypes.PutEventsRequestEntry
		wantCode string
	}{
		"ten entries":         {entries: entries(10, 10)},
		"eleven entries":      {entries: entries(11, 10), wantCode: "ValidationException"},
		"no entry":            {entries: []ebtypes.PutEventsRequestEntry{}, wantCode: "ValidationException"},
		"just under 256 KB":   {entries: entries(2, 100*1024)},
		"over 256 KB in all":  {entries: entries(3, 100*1024), wantCode: "ValidationException"},
		"one entry too large": {entries: entries(1, 257*1024), wantCode: "ValidationException"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			before := len(bus.Batches())
			_, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: tc.entries})
			if got := apiCode(err); got != tc.wantCode || (tc.wantCode == "" && err != nil) {
				t.Fatalf("error %v (code %q), want code %q", err, got, tc.wantCode)
			}
			recorded := len(bus.Batches()) - before
			if want := map[bool]int{true: 0, false: 1}[tc.wantCode != ""]; recorded != want {
				t.Errorf("%d batches recorded, want %d", recorded, want)
			}
		})
	}
	if len(bus.Rejected()) != 4 {
		t.Errorf("rejected %v, want the four refused calls", bus.Rejected())
	}
}

func TestEventBridgeWireChecks(t *testing.T) {
	bus := awsfake.NewEventBridge()
	srv := awsfake.Serve(t, bus)
	post := func(target, contentType, body string, retry bool) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL(bus), strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", contentType)
		if retry {
			req.Header.Set("amz-sdk-request", "attempt=2; max=3")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK && !strings.Contains(string(b), `"__type"`) {
			t.Errorf("error without __type: %s", b)
		}
		return resp.StatusCode
	}
	batch := `{"Entries":[{"Source":"s","DetailType":"d","Detail":"{}"}]}`
	for _, step := range []struct {
		name, target, ct, body string
		retry                  bool
		wantStatus, wantBatch  int
	}{
		{"another operation", "AWSEvents.ListRules", "application/x-amz-json-1.1", `{}`, false, 400, 0},
		{"JSON 1.0", "AWSEvents.PutEvents", "application/x-amz-json-1.0", batch, false, 400, 0},
		{"a batch", "AWSEvents.PutEvents", "application/x-amz-json-1.1", batch, false, 200, 1},
		{"the SDK resends it", "AWSEvents.PutEvents", "application/x-amz-json-1.1", batch, true, 200, 1},
		{"the caller sends it again", "AWSEvents.PutEvents", "application/x-amz-json-1.1", batch, false, 200, 2},
	} {
		if got := post(step.target, step.ct, step.body, step.retry); got != step.wantStatus {
			t.Errorf("%s: status %d, want %d", step.name, got, step.wantStatus)
		}
		if got := len(bus.Batches()); got != step.wantBatch {
			t.Errorf("%s: %d batches recorded, want %d", step.name, got, step.wantBatch)
		}
	}
	if bus.Count("PutEvents") != 2 || bus.Retries() != 1 {
		t.Errorf("calls %s, want PutEvents=2 and one retry", bus.String())
	}
}

func TestEventBridgeFailEntry(t *testing.T) {
	bus := awsfake.NewEventBridge()
	bus.FailEntry = func(e awsfake.Entry) (string, string) {
		if strings.Contains(e.Detail, "bad") {
			return "InternalFailure", "try again"
		}
		return "", ""
	}
	c := eventbridge.NewFromConfig(cfg(awsfake.Serve(t, bus).URL(bus)))
	es := entries(2, 1)
	es[1].Detail = aws.String(`{"bad":true}`)
	out, err := c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: es})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 1 || aws.ToString(out.Entries[1].ErrorCode) != "InternalFailure" || out.Entries[0].EventId == nil {
		t.Errorf("answer %+v", out.Entries)
	}
}

func TestLambdaControlPlane(t *testing.T) {
	estate := awsfake.SampleEstate()
	lam := awsfake.NewLambda(estate)
	lam.PageSize = 3
	c := lambda.NewFromConfig(cfg(awsfake.Serve(t, lam).URL(lam)))
	ctx := context.Background()

	var names []string
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName)+":"+aws.ToString(f.Version))
		}
	}
	if len(names) != len(estate.Functions) || lam.Count("ListFunctions") != (len(estate.Functions)+2)/3 {
		t.Errorf("listed %v in %d calls", names, lam.Count("ListFunctions"))
	}

	conf, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(awsfake.FunctionARN("orders-api") + ":live")})
	if err != nil || aws.ToString(conf.Version) != "2" || conf.MemorySize == nil || *conf.MemorySize != 256 {
		t.Errorf("configuration of the alias: %+v, %v", conf, err)
	}
	for name, call := range map[string]func() error{
		"unknown function": func() error {
			_, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("nope")})
			return err
		},
		"unknown version": func() error {
			_, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders-api"), Qualifier: aws.String("9")})
			return err
		},
		"no policy": func() error {
			_, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("stream-consumer")})
			return err
		},
		"no invoke handler": func() error {
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders-api")})
			return err
		},
	} {
		if got := apiCode(call()); got != "ResourceNotFoundException" {
			t.Errorf("%s: code %q, want ResourceNotFoundException", name, got)
		}
	}

	lam.SetError("ListAliases", &awsfake.APIError{Status: 429, Type: "TooManyRequestsException", Times: 1})
	if _, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("orders-api")}); apiCode(err) != "TooManyRequestsException" {
		t.Errorf("first ListAliases: %v, want the injected throttle", err)
	}
	out, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("orders-api")})
	if err != nil || len(out.Aliases) != 1 || aws.ToString(out.Aliases[0].FunctionVersion) != "2" {
		t.Errorf("second ListAliases: %+v, %v", out, err)
	}
}

func TestLambdaInvoke(t *testing.T) {
	lam := awsfake.NewLambda(nil)
	var mu sync.Mutex
	ran := map[string]int{}
	lam.Invoke = func(_ context.Context, req awsfake.InvokeRequest) awsfake.InvokeResult {
		if req.Function != "echo" {
			return awsfake.InvokeResult{Err: awsfake.FunctionNotFound(req.Function)}
		}
		if req.InvocationType != "DryRun" {
			mu.Lock()
			ran[req.InvocationType]++
			mu.Unlock()
		}
		if strings.Contains(string(req.Payload), "fail") {
			return awsfake.InvokeResult{Payload: []byte(`{"errorMessage":"asked to fail","errorType":"errorString"}`), FunctionError: "Unhandled"}
		}
		return awsfake.InvokeResult{Payload: req.Payload}
	}
	c := lambda.NewFromConfig(cfg(awsfake.Serve(t, lam).URL(lam)))
	ctx := context.Background()
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:echo:live"), Payload: []byte(`{"a":1}`)})
	if err != nil || string(out.Payload) != `{"a":1}` || aws.ToString(out.ExecutedVersion) != "live" {
		t.Errorf("echo: %+v, %v", out, err)
	}
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"fail":true}`)})
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" {
		t.Errorf("failing: %+v, %v", out, err)
	}
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: "Event", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("gone"), InvocationType: "Event"}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("Event to an unknown function: %v", err)
	}
	invs := lam.Invocations()
	if len(invs) != 4 || invs[0].Qualifier != "live" || ran["Event"] != 1 || ran["RequestResponse"] != 2 {
		t.Errorf("invocations %+v, ran %v", invs, ran)
	}
}

func TestIAMQueryProtocol(t *testing.T) {
	fi, err := awsfake.NewIAM(filepath.Join("..", "..", "shared", "iamscan", "testdata", "gaad"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fi.LoadDetails(filepath.Join("..", "..", "shared", "iamscan", "testdata", "cloudsplaining", "example-authz-details.json")); err != nil {
		t.Fatal(err)
	}
	c := iam.NewFromConfig(cfg(awsfake.Serve(t, fi).URL(fi)))
	ctx := context.Background()
	pages := 0
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{})
	for p.HasMorePages() {
		if _, err := p.NextPage(ctx); err != nil {
			t.Fatal(err)
		}
		pages++
	}
	if pages != fi.Pages() || fi.Count("GetAccountAuthorizationDetails") != pages {
		t.Errorf("%d pages read, %d served: %s", pages, fi.Pages(), fi.String())
	}
	role, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("OverprivilegedEC2")})
	if err != nil {
		t.Fatal(err)
	}
	// IAM sends policy documents URL-encoded; the SDK leaves them so.
	doc, err := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
	if err != nil || !strings.Contains(doc, `"Statement"`) {
		t.Errorf("trust policy %q: %v", doc, err)
	}
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nobody")}); apiCode(err) != "NoSuchEntity" {
		t.Errorf("missing role: %v", err)
	}
	fi.Override("GetRole", func(c awsfake.Call) *awsfake.APIError {
		if c.Resource == "OverprivilegedEC2" {
			return &awsfake.APIError{Status: 403, Type: "AccessDenied"}
		}
		return nil
	})
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("OverprivilegedEC2")}); apiCode(err) != "AccessDenied" {
		t.Errorf("overridden GetRole: %v", err)
	}
}

func TestCodeDeployReportsOnce(t *testing.T) {
	cd := awsfake.NewCodeDeploy()
	cd.Deployments["d-1"] = awsfake.Deployment{Application: "app", AppSpec: "version: 0.0", Inline: true}
	c := codedeploy.NewFromConfig(cfg(awsfake.Serve(t, cd).URL(cd)))
	ctx := context.Background()
	in := &codedeploy.PutLifecycleEventHookExecutionStatusInput{DeploymentId: aws.String("d-1"), LifecycleEventHookExecutionId: aws.String("e-1"), Status: cdtypes.LifecycleEventStatusSucceeded}
	if _, err := c.PutLifecycleEventHookExecutionStatus(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutLifecycleEventHookExecutionStatus(ctx, in); apiCode(err) != "LifecycleEventAlreadyCompletedException" {
		t.Errorf("second report: %v", err)
	}
	if len(cd.Puts()) != 2 || len(cd.Accepted()) != 1 || cd.Repeats() != 0 {
		t.Errorf("puts %+v accepted %d repeats %d", cd.Puts(), len(cd.Accepted()), cd.Repeats())
	}
	if _, err := c.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String("d-2")}); apiCode(err) != "DeploymentDoesNotExistException" {
		t.Errorf("unknown deployment: %v", err)
	}
}

func TestSSMAndSTS(t *testing.T) {
	params, sts := awsfake.NewSSM(), awsfake.NewSTS()
	srv := awsfake.Serve(t, params, sts)
	params.Put("/a", "1")
	c := ssm.NewFromConfig(cfg(srv.URL(params)))
	out, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/a")})
	if err != nil || aws.ToString(out.Parameter.Value) != "1" {
		t.Errorf("GetParameter: %+v, %v", out, err)
	}
	if _, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/b")}); apiCode(err) != "ParameterNotFound" {
		t.Errorf("missing parameter: %v", err)
	}
	resp, err := http.Post(srv.URL(sts), "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<Account>"+awsfake.Account+"</Account>") {
		t.Errorf("GetCallerIdentity: %d %s", resp.StatusCode, b)
	}
	if got := srv.Calls(); got["SSM.GetParameter"] != 2 || got["STS.GetCallerIdentity"] != 1 {
		t.Errorf("calls %v", got)
	}
	if env := srv.Env(); len(env) != 2 || !strings.HasPrefix(env[0], "AWS_ENDPOINT_URL_SSM=http://") || !strings.HasPrefix(env[1], "AWS_ENDPOINT_URL_STS=http://") {
		t.Errorf("env %v", env)
	}
}

func TestCloudTrailLookupPages(t *testing.T) {
	srv := awsfake.NewCloudTrail()
	for i := range 120 {
		src := "lambda.amazonaws.com"
		if i%3 == 0 {
			src = "iam.amazonaws.com"
		}
		srv.Events = append(srv.Events, awsfake.LookupEvent{EventId: fmt.Sprint(i), EventName: "X", EventSource: src, EventTime: 1.7e9, CloudTrailEvent: "{}"})
	}
	c := cloudtrail.NewFromConfig(cfg(awsfake.Serve(t, srv).URL(srv)))
	in := &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventSource, AttributeValue: aws.String("lambda.amazonaws.com")}}}
	n := 0
	p := cloudtrail.NewLookupEventsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Events)
	}
	if n != 80 || len(srv.Lookups()) != 2 {
		t.Errorf("%d events in %d calls, want 80 in 2 pages of at most 50", n, len(srv.Lookups()))
	}
	two := &cloudtrail.LookupEventsInput{LookupAttributes: append(in.LookupAttributes, in.LookupAttributes[0])}
	if _, err := c.LookupEvents(context.Background(), two); apiCode(err) != "InvalidLookupAttributesException" {
		t.Errorf("two attributes: %v", err)
	}
}
