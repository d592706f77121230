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
	EnvSafetyMargin = "REPLAY_SAFETY_MARGIN_SECONDS"
)

// OptionsFromEnv reads the engine's options through getenv (os.Getenv in
// Lambda):
//
//	PARKING_QUEUE_URL              queue for messages past maxReplays (optional)
//	REPLAY_WORKERS                 concurrent loops (default 8)
//	REPLAY_SAFETY_MARGIN_SECONDS   stop this long before the deadline (default 10)
//
// The error names every malformed variable.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	r := env.New(getenv)
	opts := Options{
		ParkingQueue: r.String(EnvParkingQueue, ""),
		Workers:      r.Int(EnvWorkers, DefaultWorkers, 1, math.MaxInt),
		SafetyMargin: time.Duration(r.Int(EnvSafetyMargin, int(DefaultSafetyMargin/time.Second), 1, math.MaxInt)) * time.Second,
	}
	if opts.ParkingQueue != "" {
		if _, err := ParseQueue(opts.ParkingQueue); err != nil {
			r.Fail(EnvParkingQueue, opts.ParkingQueue, "an SQS queue URL or ARN ("+err.Error()+")")
		}
	}
	return opts, r.Err()
}
