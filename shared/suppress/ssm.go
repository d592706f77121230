package suppress

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/lambdamain/env"
)

// EnvParameter names the SSM parameter that holds a function's
// selfaudit.yaml. Unset means no suppressions.
const EnvParameter = "SUPPRESSIONS_PARAMETER"

// CacheTTL is how long a function keeps the suppressions it read before it
// reads the parameter again: a changed parameter takes effect within this
// time, without a deployment.
const CacheTTL = 5 * time.Minute

// ParameterAPI reads the decrypted value of one SSM parameter. FromEnv
// gives a signed GetParameter call of its own (ssmwire.go): the SDK's SSM
// client would add about 650 KB to each function that reads suppressions.
type ParameterAPI interface {
	GetParameterValue(ctx context.Context, name string) (string, error)
}

// Loader reads suppressions from one SSM parameter and caches them for
// CacheTTL. A nil *Loader has no suppressions. It is safe for concurrent
// use.
type Loader struct {
	SSM  ParameterAPI
	Name string
	// Options validate the file; a function sets AnyCheck, since it links
	// only its own engine's checks.
	Options Options
	// Now is the clock of the cache; nil means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	rules    []Rule
	loadedAt time.Time
	loaded   bool
}

// FromEnv returns the loader of the parameter SUPPRESSIONS_PARAMETER names,
// or nil when it is unset.
func FromEnv(cfg aws.Config, getenv func(string) string) (*Loader, error) {
	r := env.New(getenv)
	name := r.String(EnvParameter, "")
	if err := r.Err(); err != nil || name == "" {
		return nil, err
	}
	return &Loader{SSM: newSSMWire(cfg), Name: name, Options: Options{AnyCheck: true}}, nil
}

func (l *Loader) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Rules returns the suppressions, reading the parameter on the first call
// and again once CacheTTL has passed. When a refresh fails, the rules read
// before are kept (and the failure logged on the logger in ctx): a
// parameter that cannot be read for a moment must not make every
// suppressed finding reopen. The first read has nothing to fall back on,
// so its failure is returned, and fails the invocation rather than
// announcing what was accepted.
func (l *Loader) Rules(ctx context.Context) ([]Rule, error) {
	if l == nil {
		return nil, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.loaded && now.Sub(l.loadedAt) < CacheTTL {
		return l.rules, nil
	}
	rules, err := l.read(ctx)
	if err != nil {
		if !l.loaded {
			return nil, err
		}
		zerolog.Ctx(ctx).Warn().Err(err).Str("parameter", l.Name).Msg("suppressions not refreshed; keeping those read before")
		// Try again at the next call after a short pause, not at once.
		l.loadedAt = now.Add(-CacheTTL + time.Minute)
		return l.rules, nil
	}
	l.rules, l.loadedAt, l.loaded = rules, now, true
	return rules, nil
}

func (l *Loader) read(ctx context.Context) ([]Rule, error) {
	v, err := l.SSM.GetParameterValue(ctx, l.Name)
	if err != nil {
		return nil, fmt.Errorf("read suppressions from SSM parameter %s: %w", l.Name, err)
	}
	return Parse("ssm:"+l.Name, []byte(v), l.Options)
}

// Matcher returns a matcher over the current suppressions: nil (which
// matches nothing) without a loader.
func (l *Loader) Matcher(ctx context.Context) (*Matcher, error) {
	if l == nil {
		return nil, nil
	}
	rules, err := l.Rules(ctx)
	if err != nil {
		return nil, err
	}
	return NewMatcher(rules, nil), nil
}
