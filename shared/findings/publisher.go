package findings

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rs/zerolog"
)

// Publisher sends findings to the findings bus. It is the one interface
// every engine and function publishes through; EventBridgePublisher is the
// production implementation and tests pass an in-memory one.
type Publisher interface {
	Publish(ctx context.Context, fs []Finding) error
}

// Announcer sends findings with their status to the findings bus, one
// event each: what a run that keeps state publishes, its changes only.
// EventBridgePublisher implements it beside Publisher, which announces
// every finding NEW.
type Announcer interface {
	Announce(ctx context.Context, ts []Tracked) error
}

// Bus is the findings bus as a function's start-up hands it out: it
// publishes for an engine without a store and announces for one with.
type Bus interface {
	Publisher
	Announcer
}

var _ Bus = (*EventBridgePublisher)(nil)

// Deliver publishes fs and then writes their Embedded Metric Format lines
// to metrics (stdout in Lambda; nil writes none). A failed publish is
// returned, before any metric is written, so that the retried invocation
// counts the findings once. A failed metrics write is only logged as a
// warning on the logger in ctx: the metrics describe the findings, they
// must never cost them.
func Deliver(ctx context.Context, p Publisher, metrics io.Writer, source string, fs []Finding, now time.Time) error {
	if err := p.Publish(ctx, fs); err != nil {
		return err
	}
	if metrics == nil {
		return nil
	}
	if err := WriteEMF(metrics, source, fs, now); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Int("findings", len(fs)).Msg("could not write finding metrics; the findings were published")
	}
	return nil
}

// ConfigWithBus reads a function's configuration with load and the findings
// bus (EnvBusName) from the same environment, both before either error is
// returned, so that a bad configuration names every bad variable at once.
// The configuration is returned even with an error, for a function that
// still runs degraded; the bus is nil when it is not set. It lives here,
// not in the start-up package, so that a function that publishes nothing
// does not link the EventBridge client.
func ConfigWithBus[C any](awsCfg aws.Config, getenv func(string) string, load func(getenv func(string) string) (C, error)) (C, Bus, error) {
	cfg, cfgErr := load(getenv)
	bus, busErr := BusPublisherFromEnv(awsCfg, getenv)
	if busErr != nil {
		return cfg, nil, errors.Join(cfgErr, busErr)
	}
	return cfg, bus, cfgErr
}
