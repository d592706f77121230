package fleet_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/fleet"
)

var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// newWireAuditor builds the auditor over real SDK clients pointed at the
// fake servers, as main does in the function and the CLI.
func newWireAuditor(t testing.TB, srv *awsfake.Fleet, cfg fleet.Config) *fleet.Auditor {
	t.Helper()
	testenv.FakeAWSEnv(t)
	srv.Setenv(t)
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Now = func() time.Time { return testNow }
	cfg.PollInterval = time.Millisecond
	return fleet.New(lambda.NewFromConfig(awsCfg), cloudwatch.NewFromConfig(awsCfg), cloudwatchlogs.NewFromConfig(awsCfg), cfg)
}

func checksByFunction(fs []findings.Finding) map[string][]string {
	out := map[string][]string{}
	for _, f := range fs {
		name := f.Resource[strings.LastIndex(f.Resource, ":")+1:]
		out[name] = append(out[name], f.Check)
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

func assertSampleFindings(t *testing.T, res *fleet.Result) {
	t.Helper()
	got := checksByFunction(res.Findings)
	for name, want := range awsfake.SampleEstateChecks {
		if strings.Join(got[name], ",") != strings.Join(want, ",") {
			t.Errorf("%s: checks %v, want %v", name, got[name], want)
		}
	}
	for _, f := range res.Findings {
		if err := f.Validate(); err != nil {
			t.Errorf("invalid finding: %v", err)
		}
		if len(f.Evidence) < 2 {
			t.Errorf("%s on %s carries no figures: %v", f.Check, f.Resource, f.Evidence)
		}
	}
}

// TestAuditSampleFleetOverTheWire runs the auditor with the real SDK
// clients against servers speaking Lambda REST JSON, CloudWatch RPC v2 CBOR
// and CloudWatch Logs JSON 1.1, and checks every function's findings.
func TestAuditSampleFleetOverTheWire(t *testing.T) {
	tests := map[string]struct {
		insightsDisabled bool
		wantCalls        map[string]int
	}{
		"logs insights": {wantCalls: map[string]int{
			"CloudWatch.DescribeAlarms": 1, "CloudWatch.GetMetricData": 1, "Lambda.ListFunctions": 1,
			"Lambda.ListEventSourceMappings": 1, "Logs.StartQuery": 1, "Logs.FilterLogEvents": 0,
			// Only async functions without a DLQ: image-resizer and async-with-destination.
			"Lambda.ListFunctionEventInvokeConfigs": 2,
			// One per function without versions (image-resizer), two for the seven with one alias.
			"Lambda.GetPolicy": 1 + 7*2, "Lambda.ListAliases": 7,
			// One listing of /aws/lambda/ and one lookup of /custom/json-logger.
			"Logs.DescribeLogGroups": 2,
		}},
		"log events when insights is refused": {insightsDisabled: true, wantCalls: map[string]int{
			"Logs.StartQuery": 1, "CloudWatch.DescribeAlarms": 1, "CloudWatch.GetMetricData": 1,
			// Seven functions ran and log to groups of their own; image-resizer's 80 lines and
			// stream-consumer's 200 take more than one page of 100.
			"Logs.FilterLogEvents": 7 + 2,
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fl := awsfake.SampleEstate()
			fl.InsightsDisabled = tc.insightsDisabled
			srv := awsfake.StartFleet(t, fl)
			a := newWireAuditor(t, srv, fleet.Config{})
			res, err := a.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			assertSampleFindings(t, res)
			calls := srv.Calls()
			for op, n := range tc.wantCalls {
				if calls[op] != n {
					t.Errorf("%s called %d times, want %d (all calls %v)", op, calls[op], n, calls)
				}
			}
			if tc.insightsDisabled && (len(res.Notes) == 0 || !strings.Contains(strings.Join(res.Notes, " "), "log events")) {
				t.Errorf("notes should say REPORT lines came from log events: %v", res.Notes)
			}
		})
	}
}

func TestAuditFindingsAreStableAcrossRuns(t *testing.T) {
	srv := awsfake.StartFleet(t, awsfake.SampleEstate())
	a := newWireAuditor(t, srv, fleet.Config{})
	ids := func() []string {
		res, err := a.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range res.Findings {
			out = append(out, f.ID)
		}
		return out
	}
	first, second := ids(), ids()
	if strings.Join(first, ",") != strings.Join(second, ",") {
		t.Errorf("finding IDs differ between runs:\n%v\n%v", first, second)
	}
}

func TestAuditFailsNamingTheCall(t *testing.T) {
	srv := awsfake.StartFleet(t, awsfake.SampleEstate())
	a := newWireAuditor(t, srv, fleet.Config{})
	srv.Close(srv.Lambda) // every Lambda call now fails
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := a.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "list functions") {
		t.Errorf("error %v should name the failing call", err)
	}
}
