package lambdamain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/awsconfig"
	"github.com/selfaudit/selfaudit/shared/gctune"
	"github.com/selfaudit/selfaudit/shared/logging"
	"github.com/selfaudit/selfaudit/shared/tracing"
)

// Runtime is what a function's setup builds its handler from, once per
// cold start.
type Runtime struct {
	// Name is the function's name in messages, such as "dlq-replayer".
	Name string
	// Log is the base logger; in a handler use zerolog.Ctx(ctx), which
	// adds the request ID.
	Log zerolog.Logger
	// AWS is the configuration every client is built from.
	AWS aws.Config
	// Getenv reads the environment (os.Getenv in Lambda); pass it to the
	// engines' ConfigFromEnv functions.
	Getenv func(string) string
	// Metrics receives Embedded Metric Format lines: stdout, where Lambda
	// sends them to CloudWatch Logs.
	Metrics io.Writer
}

// Handler is one invocation of a function.
type Handler[In, Out any] func(ctx context.Context, in In) (Out, error)

// Setup builds a function's handler. An error is a bad configuration: the
// function then fails every invocation with it, without calling the
// handler, unless the error is wrapped by Degraded.
type Setup[In, Out any] func(rt *Runtime) (Handler[In, Out], error)

// Start runs the start-up for the function name and serves its handler to
// the Lambda runtime; it does not return.
func Start[In, Out any](name string, setup Setup[In, Out]) {
	gc := gctune.AfterInit(os.Getenv)
	log := logging.New(os.Stdout)
	log.Debug().Int("gcPercent", gc.GCPercent).Int("firstCyclePercent", gc.FirstCyclePercent).Int64("memoryLimitBytes", gc.MemoryLimitBytes).Msg("garbage collector set")
	tracer := tracing.FromEnvironment()
	cfg, err := awsconfig.Lambda(context.Background(), tracer, os.Getenv)
	rt := &Runtime{Name: name, Log: log, AWS: cfg, Getenv: os.Getenv, Metrics: os.Stdout}
	log.Info().Str("tracer", tracer.Name()).Msg(name + " cold start")
	lambda.Start(Build(rt, err, setup))
}

// Build applies the policy Start serves: it calls setup unless loadErr (the
// AWS configuration could not be loaded) is set, logs a configuration error
// once, and returns the handler Lambda runs, which puts the per-invocation
// logger in the context and fails each invocation while the configuration
// is bad. It is separate from Start so that the policy can be tested.
func Build[In, Out any](rt *Runtime, loadErr error, setup Setup[In, Out]) Handler[In, Out] {
	var h Handler[In, Out]
	cfgErr := loadErr
	if cfgErr == nil {
		h, cfgErr = setup(rt)
		if cfgErr == nil && h == nil {
			cfgErr = errors.New("setup returned no handler")
		}
	}
	if cfgErr == nil {
		return func(ctx context.Context, in In) (Out, error) {
			ctx, _ = logging.ForInvocation(ctx, rt.Log)
			return h(ctx, in)
		}
	}
	var d *degradedError
	runAnyway := errors.As(cfgErr, &d) && h != nil
	rt.Log.Error().Err(cfgErr).Bool("handlerRuns", runAnyway).
		Msg(rt.Name + " is misconfigured: every invocation fails until the configuration is fixed")
	invErr := &ConfigError{Function: rt.Name, Err: cfgErr}
	return func(ctx context.Context, in In) (Out, error) {
		ctx, _ = logging.ForInvocation(ctx, rt.Log)
		if !runAnyway {
			var zero Out
			return zero, invErr
		}
		out, err := h(ctx, in)
		return out, errors.Join(invErr, err)
	}
}

// ConfigError is what every invocation of a misconfigured function
// returns.
type ConfigError struct {
	Function string
	Err      error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s is misconfigured: %v", e.Function, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Degraded marks err as a configuration error after which the handler
// setup returned alongside it can still do something useful, such as
// telling CodeDeploy that a deployment failed. The handler then runs on
// every invocation and the invocation still fails with err. Degraded(nil)
// is nil.
func Degraded(err error) error {
	if err == nil {
		return nil
	}
	return &degradedError{err: err}
}

type degradedError struct{ err error }

func (e *degradedError) Error() string { return e.err.Error() }
func (e *degradedError) Unwrap() error { return e.err }
