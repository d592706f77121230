package replay

import (
	"math"
	"time"

	"github.com/selfaudit/selfaudit/shared/lambdamain/env"
)

// Environment variables of the dlq-replayer function, read by
// OptionsFromEnv.
const (
	EnvParkingQueue = "PARKING_QUEUE_URL"
	EnvWorkers      = "REPLAY_WORKERS"
	EnvMaxWorkers   = "REPLAY_MAX_WORKERS"
	EnvSafetyMargin = "REPLAY_SAFETY_MARGIN_SECONDS"
	// FunctionProgressEvery spaces the function's progress log lines.
	FunctionProgressEvery = 10 * time.Second
)

// OptionsFromEnv reads the engine's options through getenv (os.Getenv in
// Lambda):
//
//	PARKING_QUEUE_URL              queue for messages past maxReplays (optional)
//	REPLAY_WORKERS                 fixed number of concurrent loops (default 0: adaptive)
//	REPLAY_MAX_WORKERS             most concurrent loops of an adaptive run (default 64)
//	REPLAY_SAFETY_MARGIN_SECONDS   stop this long before the deadline (default 10)
//
// A run logs a progress line every 10 seconds (LogProgress). The error
// names every malformed variable.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	r := env.New(getenv)
	opts := Options{
		ParkingQueue:  r.String(EnvParkingQueue, ""),
		Workers:       r.Int(EnvWorkers, 0, 0, math.MaxInt),
		MaxWorkers:    r.Int(EnvMaxWorkers, DefaultMaxWorkers, 1, math.MaxInt),
		SafetyMargin:  time.Duration(r.Int(EnvSafetyMargin, int(DefaultSafetyMargin/time.Second), 1, math.MaxInt)) * time.Second,
		Progress:      LogProgress,
		ProgressEvery: FunctionProgressEvery,
	}
	if opts.ParkingQueue != "" {
		if _, err := ParseQueue(opts.ParkingQueue); err != nil {
			r.Fail(EnvParkingQueue, opts.ParkingQueue, "an SQS queue URL or ARN ("+err.Error()+")")
		}
	}
	return opts, r.Err()
}
