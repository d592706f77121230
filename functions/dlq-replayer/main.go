package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfaudit/selfaudit/shared/awsconfig"
	"github.com/selfaudit/selfaudit/shared/gctune"
	"github.com/selfaudit/selfaudit/shared/logging"
	"github.com/selfaudit/selfaudit/shared/replay"
	"github.com/selfaudit/selfaudit/shared/tracing"
)

// main reads the configuration, builds the clients and the engine once per
// cold start and hands the handler to the runtime. A configuration error is
// not fatal here: every invocation returns it, so it shows in the Errors
// metric and in the caller's response instead of as a crash loop.
func main() {
	gc := gctune.AfterInit(os.Getenv)
	log := logging.New(os.Stdout)
	log.Debug().Int("gcPercent", gc.GCPercent).Int64("memoryLimitBytes", gc.MemoryLimitBytes).Msg("garbage collector set")
	h := &handler{log: log}
	eng, err := newEngine(context.Background())
	if err != nil {
		log.Error().Err(err).Msg("dlq-replayer configuration")
		h.configErr = err
	} else {
		h.engine = eng
	}
	lambda.Start(h.Handle)
}

// newEngine builds the engine from the environment:
//
//	PARKING_QUEUE_URL              queue for messages past maxReplays (optional)
//	REPLAY_WORKERS                 concurrent loops (default 8)
//	REPLAY_SAFETY_MARGIN_SECONDS   stop this long before the deadline (default 10)
func newEngine(ctx context.Context) (*replay.Engine, error) {
	opts := replay.Options{ParkingQueue: os.Getenv("PARKING_QUEUE_URL")}
	var err error
	if opts.Workers, err = envInt("REPLAY_WORKERS", replay.DefaultWorkers); err != nil {
		return nil, err
	}
	margin, err := envInt("REPLAY_SAFETY_MARGIN_SECONDS", int(replay.DefaultSafetyMargin/time.Second))
	if err != nil {
		return nil, err
	}
	opts.SafetyMargin = time.Duration(margin) * time.Second
	if opts.ParkingQueue != "" {
		if _, err := replay.ParseQueue(opts.ParkingQueue); err != nil {
			return nil, fmt.Errorf("PARKING_QUEUE_URL: %w", err)
		}
	}
	cfg, err := awsconfig.Load(ctx, tracing.FromEnvironment())
	if err != nil {
		return nil, err
	}
	return replay.New(sqs.NewFromConfig(cfg), lambdasvc.NewFromConfig(cfg), opts), nil
}

func envInt(name string, def int) (int, error) {
	s := os.Getenv(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive whole number", name, s)
	}
	return n, nil
}
