package lambdamain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/lambdamain/env"
)

// syncBuffer is a log sink the invocations below may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBadConfigurationPolicy is the one test of what every function does
// with a bad configuration: it starts, logs the problem once, and fails
// every invocation with an error naming the variable; a Degraded setup
// still runs its handler and fails all the same.
func TestBadConfigurationPolicy(t *testing.T) {
	t.Parallel()
	missingBus := &env.Error{Name: "FINDINGS_BUS_NAME", Want: "the name of the findings bus"}
	tests := map[string]struct {
		loadErr     error
		setupErr    error
		noHandler   bool
		handlerErr  error
		wantSetup   bool
		wantRuns    bool   // the handler runs on each invocation
		wantErr     string // every invocation fails with this
		wantVar     string // and the error is an *env.Error naming it
		wantErrLogs int
	}{
		"good configuration":         {wantSetup: true, wantRuns: true},
		"handler error passes":       {wantSetup: true, wantRuns: true, handlerErr: errors.New("bus down"), wantErr: "bus down"},
		"missing variable":           {setupErr: missingBus, wantSetup: true, wantErr: "fn is misconfigured: environment variable FINDINGS_BUS_NAME is not set", wantVar: "FINDINGS_BUS_NAME", wantErrLogs: 1},
		"wrapped variable error":     {setupErr: fmt.Errorf("fleet: %w", &env.Error{Name: "LOOKBACK_DAYS", Value: "90", Want: "1 to 63"}), wantSetup: true, wantErr: `LOOKBACK_DAYS="90"`, wantVar: "LOOKBACK_DAYS", wantErrLogs: 1},
		"AWS configuration fails":    {loadErr: errors.New("load AWS configuration: bad profile"), wantErr: "fn is misconfigured: load AWS configuration: bad profile", wantErrLogs: 1},
		"no handler":                 {noHandler: true, wantSetup: true, wantErr: "setup returned no handler", wantErrLogs: 1},
		"degraded runs the handler":  {setupErr: Degraded(missingBus), wantSetup: true, wantRuns: true, wantErr: "FINDINGS_BUS_NAME is not set", wantVar: "FINDINGS_BUS_NAME", wantErrLogs: 1},
		"degraded keeps both errors": {setupErr: Degraded(missingBus), handlerErr: errors.New("report failed"), wantSetup: true, wantRuns: true, wantErr: "report failed", wantVar: "FINDINGS_BUS_NAME", wantErrLogs: 1},
		"degraded without handler":   {setupErr: Degraded(missingBus), noHandler: true, wantSetup: true, wantErr: "FINDINGS_BUS_NAME", wantVar: "FINDINGS_BUS_NAME", wantErrLogs: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			rt := &Runtime{Name: "fn", Log: zerolog.New(&logs)}
			var setupCalls, runs atomic.Int32
			h := Build(rt, tc.loadErr, func(*Runtime) (Handler[string, string], error) {
				setupCalls.Add(1)
				if tc.noHandler {
					return nil, tc.setupErr
				}
				return func(ctx context.Context, in string) (string, error) {
					runs.Add(1)
					zerolog.Ctx(ctx).Info().Msg("handled " + in)
					return "out:" + in, tc.handlerErr
				}, tc.setupErr
			})
			if got := setupCalls.Load() == 1; got != tc.wantSetup {
				t.Fatalf("setup called %d times, want called %v", setupCalls.Load(), tc.wantSetup)
			}
			const invocations = 4
			var wg sync.WaitGroup
			errs := make([]error, invocations)
			outs := make([]string, invocations)
			for i := range invocations {
				wg.Go(func() {
					ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: fmt.Sprintf("req-%d", i)})
					outs[i], errs[i] = h(ctx, "ev")
				})
			}
			wg.Wait()
			for i, err := range errs {
				if tc.wantErr == "" {
					if err != nil {
						t.Errorf("invocation %d failed: %v", i, err)
					}
				} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("invocation %d error %v, want it to contain %q", i, err, tc.wantErr)
				}
				var ee *env.Error
				if tc.wantVar != "" && (!errors.As(err, &ee) || ee.Name != tc.wantVar) {
					t.Errorf("invocation %d error %v does not name %s as an *env.Error", i, err, tc.wantVar)
				}
				var ce *ConfigError
				if isConfig := errors.As(err, &ce); isConfig != (tc.wantErrLogs > 0) {
					t.Errorf("invocation %d error %v: *ConfigError %v, want %v", i, err, isConfig, tc.wantErrLogs > 0)
				}
				if tc.wantRuns && outs[i] != "out:ev" {
					t.Errorf("invocation %d output %q, want the handler's", i, outs[i])
				}
			}
			wantRuns := int32(0)
			if tc.wantRuns {
				wantRuns = invocations
			}
			if runs.Load() != wantRuns {
				t.Errorf("handler ran %d times, want %d", runs.Load(), wantRuns)
			}
			logText := logs.String()
			if n := strings.Count(logText, `"level":"error"`); n != tc.wantErrLogs {
				t.Errorf("%d error lines, want %d (logged once at start-up):\n%s", n, tc.wantErrLogs, logText)
			}
			if tc.wantErrLogs > 0 && !strings.Contains(logText, "fn is misconfigured") {
				t.Errorf("start-up log lacks the problem:\n%s", logText)
			}
			if tc.wantRuns {
				for i := range invocations {
					if !strings.Contains(logText, fmt.Sprintf(`"requestId":"req-%d","message":"handled ev"`, i)) {
						t.Errorf("no handler line carries request ID req-%d:\n%s", i, logText)
					}
				}
			}
		})
	}
}

func TestDegradedNil(t *testing.T) {
	t.Parallel()
	if Degraded(nil) != nil {
		t.Fatal("Degraded(nil) is not nil")
	}
}
