package main

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/awsconfig"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/gctune"
	"github.com/selfaudit/selfaudit/shared/hook"
	"github.com/selfaudit/selfaudit/shared/logging"
	"github.com/selfaudit/selfaudit/shared/tracing"
)

// bundled holds smoke-case files shipped inside the binary, so that
// HOOK_SMOKE_FILE works with the Makefile build, which ships only bootstrap.
//
//go:embed smoke/*.json
var bundled embed.FS

// handler adapts the Lambda event to the engine.
type handler struct {
	hook *hook.Hook
	log  zerolog.Logger
}

// Handle parses the lifecycle event and runs the hook. An event without
// both IDs cannot be answered, so it fails the invocation.
func (h *handler) Handle(ctx context.Context, raw json.RawMessage) (hook.Result, error) {
	ctx, log := logging.ForInvocation(ctx, h.log)
	ev, err := hook.ParseEvent(raw)
	if err != nil {
		log.Error().Err(err).Msg("cannot act on the event; no status can be reported without its IDs")
		return hook.Result{}, err
	}
	return h.hook.Handle(ctx, ev)
}

// readFile reads a smoke file: an absolute path from disk, anything else
// from the bundled smoke folder.
func readFile(name string) ([]byte, error) {
	if filepath.IsAbs(name) {
		return os.ReadFile(name)
	}
	return fs.ReadFile(bundled, strings.TrimPrefix(filepath.ToSlash(name), "./"))
}

func main() {
	gc := gctune.AfterInit(os.Getenv)
	log := logging.New(os.Stdout)
	log.Debug().Int("gcPercent", gc.GCPercent).Int64("memoryLimitBytes", gc.MemoryLimitBytes).Msg("garbage collector set")
	if err := run(log); err != nil {
		log.Error().Err(err).Msg("pre-traffic hook could not start")
		os.Exit(1)
	}
}

func run(log zerolog.Logger) error {
	ctx := context.Background()
	tracer := tracing.FromEnvironment()
	cfg, err := awsconfig.Load(ctx, tracer)
	if err != nil {
		return fmt.Errorf("pre-traffic hook: %w", err)
	}
	hc, cfgErr := hook.ConfigFromEnv(os.Getenv)
	if cfgErr != nil {
		// Keep running: every invocation then reports Failed with this
		// error instead of leaving CodeDeploy waiting for an hour.
		log.Error().Err(cfgErr).Msg("invalid hook configuration; every deployment will be failed")
	}
	if hc.PanicIn != "" {
		log.Warn().Str("check", hc.PanicIn).Msg(hook.EnvTestPanic + " is set: the check will panic (test only)")
	}
	h := &hook.Hook{
		CodeDeploy: codedeploy.NewFromConfig(cfg),
		Lambda:     awslambda.NewFromConfig(cfg),
		ReadFile:   readFile,
		Config:     hc,
		ConfigErr:  cfgErr,
	}
	if hc.SmokeParameter != "" {
		h.SSM = ssm.NewFromConfig(cfg)
	}
	if bus := os.Getenv("FINDINGS_BUS_NAME"); bus != "" {
		h.Publisher = &findings.EventBridgePublisher{Client: eventbridge.NewFromConfig(cfg), BusName: bus}
	} else {
		log.Warn().Msg("FINDINGS_BUS_NAME is not set: verdicts go to the log only")
	}
	log.Info().Str("tracer", tracer.Name()).Msg("pre-traffic hook ready")
	lambda.Start((&handler{hook: h, log: log}).Handle)
	return nil
}
