package hook

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// fakeFunctions is an in-memory FunctionAPI for the check table tests;
// the wire tests use the real SDK client instead.
type fakeFunctions struct {
	eic   map[string]*lambda.GetFunctionEventInvokeConfigOutput // by qualifier
	err   error
	calls []string
}

func (f *fakeFunctions) GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	panic("not used by the checks")
}

func (f *fakeFunctions) GetFunctionEventInvokeConfig(_ context.Context, in *lambda.GetFunctionEventInvokeConfigInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionEventInvokeConfigOutput, error) {
	f.calls = append(f.calls, aws.ToString(in.Qualifier))
	if f.err != nil {
		return nil, f.err
	}
	if out, ok := f.eic[aws.ToString(in.Qualifier)]; ok {
		return out, nil
	}
	return nil, &ltypes.ResourceNotFoundException{Message: aws.String("no config")}
}

func (f *fakeFunctions) Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	panic("not used by the checks")
}

func healthy() *lambda.GetFunctionConfigurationOutput {
	return &lambda.GetFunctionConfigurationOutput{
		FunctionName:     aws.String("fn"),
		FunctionArn:      aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn:2"),
		Runtime:          ltypes.RuntimeProvidedal2023,
		Architectures:    []ltypes.Architecture{ltypes.ArchitectureArm64},
		Timeout:          aws.Int32(10),
		MemorySize:       aws.Int32(256),
		PackageType:      ltypes.PackageTypeZip,
		State:            ltypes.StateActive,
		LastUpdateStatus: ltypes.LastUpdateStatusSuccessful,
		TracingConfig:    &ltypes.TracingConfigResponse{Mode: ltypes.TracingModeActive},
		Environment:      &ltypes.EnvironmentResponse{Variables: map[string]string{"LOG_LEVEL": "info"}},
	}
}

func onFailure(dest string) *lambda.GetFunctionEventInvokeConfigOutput {
	return &lambda.GetFunctionEventInvokeConfigOutput{DestinationConfig: &ltypes.DestinationConfig{OnFailure: &ltypes.OnFailure{Destination: aws.String(dest)}}}
}

func TestConfigChecks(t *testing.T) {
	t.Parallel()
	target := Target{Name: "fn", Alias: "live", CurrentVersion: "1", TargetVersion: "2"}
	type tc struct {
		check   Check
		mutate  func(*lambda.GetFunctionConfigurationOutput)
		config  func(*Config)
		eic     map[string]*lambda.GetFunctionEventInvokeConfigOutput
		want    Status
		wantMsg string
	}
	tests := map[string]tc{
		"tracing active":          {check: CheckTracing, want: StatusPassed},
		"tracing pass-through":    {check: CheckTracing, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.TracingConfig.Mode = ltypes.TracingModePassThrough }, want: StatusFailed, wantMsg: "PassThrough"},
		"tracing absent":          {check: CheckTracing, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.TracingConfig = nil }, want: StatusFailed},
		"sync function skipped":   {check: CheckAsyncDestination, want: StatusSkipped},
		"async by config, no DLQ": {check: CheckAsyncDestination, config: func(c *Config) { c.AsyncFunctions = []string{"fn"} }, want: StatusFailed, wantMsg: "no dead-letter queue"},
		"async by marker, no DLQ": {check: CheckAsyncDestination, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.Environment.Variables[AsyncMarkerVariable] = "true" }, want: StatusFailed},
		"async by wildcard, DLQ": {check: CheckAsyncDestination, config: func(c *Config) { c.AsyncFunctions = []string{"*"} }, mutate: func(f *lambda.GetFunctionConfigurationOutput) {
			f.DeadLetterConfig = &ltypes.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:us-east-1:123456789012:dlq")}
		}, want: StatusPassed},
		"async, alias destination":         {check: CheckAsyncDestination, config: func(c *Config) { c.AsyncFunctions = []string{"fn"} }, eic: map[string]*lambda.GetFunctionEventInvokeConfigOutput{"live": onFailure("arn:aws:sqs:us-east-1:123456789012:q")}, want: StatusPassed},
		"async, version destination":       {check: CheckAsyncDestination, config: func(c *Config) { c.AsyncFunctions = []string{"fn"} }, eic: map[string]*lambda.GetFunctionEventInvokeConfigOutput{"2": onFailure("arn:aws:sns:us-east-1:123456789012:t")}, want: StatusPassed},
		"async, config without on-failure": {check: CheckAsyncDestination, config: func(c *Config) { c.AsyncFunctions = []string{"fn"} }, eic: map[string]*lambda.GetFunctionEventInvokeConfigOutput{"live": {MaximumRetryAttempts: aws.Int32(0)}}, want: StatusFailed},
		"timeout in bounds":                {check: CheckTimeout, want: StatusPassed},
		"timeout too long":                 {check: CheckTimeout, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.Timeout = aws.Int32(900) }, want: StatusFailed, wantMsg: "900s"},
		"timeout too short":                {check: CheckTimeout, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.Timeout = aws.Int32(1) }, want: StatusFailed},
		"timeout bound configured":         {check: CheckTimeout, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.Timeout = aws.Int32(900) }, config: func(c *Config) { c.TimeoutMax = 900 }, want: StatusPassed},
		"memory in bounds":                 {check: CheckMemory, want: StatusPassed},
		"memory too large":                 {check: CheckMemory, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.MemorySize = aws.Int32(10240) }, want: StatusFailed, wantMsg: "10240"},
		"memory lower bound":               {check: CheckMemory, config: func(c *Config) { c.MemoryMin = 512 }, want: StatusFailed},
		"no secrets":                       {check: CheckSecrets, want: StatusPassed},
		"no environment":                   {check: CheckSecrets, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.Environment = nil }, want: StatusPassed},
		"ssm reference": {check: CheckSecrets, mutate: func(f *lambda.GetFunctionConfigurationOutput) {
			f.Environment.Variables["DB_PASSWORD"] = "/prod/db/password"
		}, want: StatusPassed},
		"literal password":   {check: CheckSecrets, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.Environment.Variables["DB_PASSWORD"] = "hunter2" }, want: StatusFailed, wantMsg: "DB_PASSWORD"},
		"runtime expected":   {check: CheckRuntime, want: StatusPassed},
		"runtime unexpected": {check: CheckRuntime, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.Runtime = ltypes.RuntimePython312 }, want: StatusFailed, wantMsg: "python3.12"},
		"runtime any":        {check: CheckRuntime, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.Runtime = ltypes.RuntimePython312 }, config: func(c *Config) { c.Runtimes = nil }, want: StatusSkipped},
		"image has no runtime": {check: CheckRuntime, mutate: func(f *lambda.GetFunctionConfigurationOutput) {
			f.Runtime = ""
			f.PackageType = ltypes.PackageTypeImage
		}, want: StatusSkipped},
		"architecture expected": {check: CheckArchitecture, want: StatusPassed},
		"architecture x86": {check: CheckArchitecture, mutate: func(f *lambda.GetFunctionConfigurationOutput) {
			f.Architectures = []ltypes.Architecture{ltypes.ArchitectureX8664}
		}, want: StatusFailed},
		"architecture default": {check: CheckArchitecture, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.Architectures = nil }, want: StatusFailed, wantMsg: "x86_64"},
		"state active":         {check: CheckState, want: StatusPassed},
		"state pending":        {check: CheckState, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.State = ltypes.StatePending }, want: StatusFailed, wantMsg: "Pending"},
		"last update failed":   {check: CheckState, mutate: func(f *lambda.GetFunctionConfigurationOutput) { f.LastUpdateStatus = ltypes.LastUpdateStatusFailed }, want: StatusFailed},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn := healthy()
			if tc.mutate != nil {
				tc.mutate(fn)
			}
			cfg := DefaultConfig()
			if tc.config != nil {
				tc.config(&cfg)
			}
			h := &Hook{Lambda: &fakeFunctions{eic: tc.eic}, Config: cfg}
			var cc *configCheck
			for i := range configChecks {
				if configChecks[i].ID == tc.check.ID {
					cc = &configChecks[i]
				}
			}
			if cc == nil {
				t.Fatalf("no config check %s", tc.check.ID)
			}
			r := resultOf(cc.Check, "fn:2", "", "arn", h.guard(cc.Check, func() outcome { return cc.run(context.Background(), h, target, fn) }))
			if r.Status != tc.want || !strings.Contains(r.Reason, tc.wantMsg) {
				t.Errorf("%s = %s %q; want %s containing %q", tc.check.ID, r.Status, r.Reason, tc.want, tc.wantMsg)
			}
		})
	}
}

func TestEveryCheckHasATableTest(t *testing.T) {
	t.Parallel()
	// The smoke checks are covered by TestSmokeOverTheWire.
	for _, c := range configChecks {
		if c.Title == "" || c.Remediation == "" || c.ID == "" || c.Name == "" {
			t.Errorf("check %+v lacks a field", c.Check)
		}
	}
	ids := map[string]bool{}
	for _, c := range allChecks {
		if ids[c.ID] {
			t.Errorf("duplicate check ID %s", c.ID)
		}
		ids[c.ID] = true
	}
}

func TestGuardRecoversAndInjects(t *testing.T) {
	t.Parallel()
	h := &Hook{Config: DefaultConfig()}
	r := resultOf(CheckTracing, "fn:2", "", "arn", h.guard(CheckTracing, func() outcome { panic("boom") }))
	if r.Status != StatusError || !strings.Contains(r.Reason, "boom") {
		t.Errorf("panic result = %+v", r)
	}
	h.Config.PanicIn = CheckMemory.ID
	r = resultOf(CheckMemory, "fn:2", "", "arn", h.guard(CheckMemory, func() outcome { return pass() }))
	if r.Status != StatusError || !strings.Contains(r.Reason, EnvTestPanic) {
		t.Errorf("injected panic result = %+v", r)
	}
}

func TestAsyncCheckReportsAWSErrors(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.AsyncFunctions = []string{"fn"}
	f := &fakeFunctions{err: &ltypes.TooManyRequestsException{Message: aws.String("slow down")}}
	h := &Hook{Lambda: f, Config: cfg}
	o := checkAsyncDestination(context.Background(), h, Target{Name: "arn:aws:lambda:us-east-1:123456789012:function:fn:live", Alias: "live", TargetVersion: "2"}, healthy())
	if o.err == nil || !strings.Contains(o.err.Error(), "fn:live") {
		t.Errorf("outcome = %+v, want an error naming the function", o)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, short, unq string }{
		"bare":          {"fn", "fn", "fn"},
		"qualified":     {"fn:live", "fn", "fn"},
		"arn":           {"arn:aws:lambda:us-east-1:123456789012:function:fn", "fn", "arn:aws:lambda:us-east-1:123456789012:function:fn"},
		"qualified arn": {"arn:aws:lambda:us-east-1:123456789012:function:fn:7", "fn", "arn:aws:lambda:us-east-1:123456789012:function:fn"},
		"partial arn":   {"123456789012:function:fn:live", "fn", "123456789012:function:fn"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := shortName(tc.in); got != tc.short {
				t.Errorf("shortName(%q) = %q, want %q", tc.in, got, tc.short)
			}
			if got := unqualified(tc.in); got != tc.unq {
				t.Errorf("unqualified(%q) = %q, want %q", tc.in, got, tc.unq)
			}
		})
	}
}
