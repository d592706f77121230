package cloudtrail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/baseline"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/lambdamain/env"
)

// FunctionSource is the findings' source and the EMF Source dimension of
// the cloudtrail-anomaly-checker function.
const FunctionSource = "cloudtrail-anomaly-checker"

// The triggers the function answers, also the values of BASELINE_SOURCE.
const (
	TriggerEventBridge = "eventbridge"
	TriggerS3          = "s3"
	TriggerLookup      = "lookup"
)

// DefaultSweepSources are the event sources the scheduled sweep reads when
// SWEEP_EVENT_SOURCES is not set.
var DefaultSweepSources = []string{"lambda.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com", "cloudtrail.amazonaws.com", "signin.amazonaws.com"}

// FunctionConfig is the configuration of the cloudtrail-anomaly-checker
// function, documented in its README.md.
type FunctionConfig struct {
	Rules rules.Config
	// BaselineSource is the one trigger whose records feed the baselines
	// and CT005 windows in the table. The same event can arrive by the
	// EventBridge rule, in the S3 log file and in the sweep; counting it
	// from one of them only keeps the counts true.
	BaselineSource string
	LearningPeriod time.Duration
	SweepWindow    time.Duration
	SweepSources   []string
	DedupeWindow   time.Duration
	// BaselineTable is the DynamoDB table of baselines, windows and
	// publication marks; empty runs without one.
	BaselineTable string
}

// FunctionConfigFromEnv reads the function's variables through getenv
// (os.Getenv in Lambda); the error names every variable that is malformed.
func FunctionConfigFromEnv(getenv func(string) string) (FunctionConfig, error) {
	r := env.New(getenv)
	c := FunctionConfig{Rules: rules.DefaultConfig()}
	c.Rules.PipelineServices = r.List("PIPELINE_SERVICES", c.Rules.PipelineServices)
	c.Rules.PipelinePrincipals = r.List("PIPELINE_PRINCIPALS", nil)
	c.Rules.TrustedLayerAccounts = r.List("TRUSTED_LAYER_ACCOUNTS", nil)
	c.Rules.TrustedAccounts = r.List("TRUSTED_ACCOUNTS", nil)
	c.Rules.TrailBuckets = r.List("TRAIL_BUCKETS", nil)
	c.Rules.BurstThreshold = r.Int("BURST_THRESHOLD", c.Rules.BurstThreshold, 1, math.MaxInt)
	positive := func(name string, def time.Duration) time.Duration {
		return r.Duration(name, def, time.Nanosecond, math.MaxInt64)
	}
	c.Rules.BurstWindow = positive("BURST_WINDOW", 5*time.Minute)
	c.LearningPeriod = positive("LEARNING_PERIOD", 7*24*time.Hour)
	c.SweepWindow = positive("SWEEP_WINDOW", 20*time.Minute)
	c.DedupeWindow = positive("DEDUPE_WINDOW", 24*time.Hour)
	c.BaselineSource = r.Enum("BASELINE_SOURCE", TriggerEventBridge, TriggerEventBridge, TriggerS3, TriggerLookup)
	c.SweepSources = r.List("SWEEP_EVENT_SOURCES", DefaultSweepSources)
	c.BaselineTable = r.String("BASELINE_TABLE", "")
	return c, r.Err()
}

// Checker runs the CloudTrail checks on one invocation of the function,
// whichever of its three triggers sent it: an EventBridge "AWS API Call via
// CloudTrail" event, an S3 notification (direct or EventBridge "Object
// Created") for a new log file, or the scheduled LookupEvents sweep. Build
// it once per cold start; Analyze is safe for concurrent use.
type Checker struct {
	Config FunctionConfig
	S3     GetObjectAPI
	Lookup LookupEventsAPI
	// Store is nil when no table is configured: CT009/CT010 are then
	// skipped and findings are not deduplicated across invocations.
	Store *baseline.Store
	// Limiter paces LookupEvents across invocations of one execution
	// environment; nil means LookupRate per second.
	Limiter *rate.Limiter
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Analysis is what one invocation found.
type Analysis struct {
	Trigger string
	Stats   Stats
	// Found counts every finding; Fresh holds those not published within
	// the dedupe window, which are the ones to publish.
	Found int
	Fresh []findings.Finding
	// Notes are Stats.Notes plus what this trigger left out.
	Notes []string
	At    time.Time
}

// ErrUnsupportedEvent is returned for an event of none of the triggers.
var ErrUnsupportedEvent = errors.New("unsupported event")

// triggerEnvelope is enough of an incoming event to tell the triggers apart.
type triggerEnvelope struct {
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Detail     json.RawMessage `json:"detail"`
	Records    []struct {
		EventSource string     `json:"eventSource"`
		S3          s3Location `json:"s3"`
	} `json:"Records"`
}

// s3Location is the bucket and key of an S3 notification record and of
// EventBridge's "Object Created" detail, which share the shape.
type s3Location struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key string `json:"key"`
	} `json:"object"`
}

// Analyze routes the event to its trigger, runs the checks and returns the
// findings not published before. An error means the work failed (and
// Lambda retries or sends the event to the DLQ); malformed records do not.
func (c *Checker) Analyze(ctx context.Context, raw json.RawMessage) (Analysis, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	at := now().UTC()
	trigger, run, err := c.route(ctx, raw, at)
	if err != nil {
		return Analysis{}, err
	}
	res := Analysis{Trigger: trigger, At: at}
	opts := Options{Rules: c.Config.Rules, Source: FunctionSource, Now: func() time.Time { return at }}
	if c.Store != nil && trigger == c.Config.BaselineSource {
		opts.Baseline = &baseline.Tracker{Store: c.Store, Source: FunctionSource, LearningPeriod: c.Config.LearningPeriod}
		opts.Windows = c.Store
	}
	a := NewAnalyzer(opts)
	if err := run(a); err != nil {
		return res, err
	}
	fs, st, err := a.Finish(ctx)
	if err != nil {
		return res, err
	}
	res.Stats, res.Found, res.Notes = st, len(fs), st.Notes
	if c.Store != nil && opts.Baseline == nil {
		res.Notes = append(res.Notes, "baselines are fed by the "+c.Config.BaselineSource+" trigger; CT009/CT010 not evaluated here")
	}
	res.Fresh, err = c.unpublished(ctx, fs, at)
	return res, err
}

// route tells the trigger from the event's shape and returns what feeds
// the analyzer for it.
func (c *Checker) route(ctx context.Context, raw json.RawMessage, now time.Time) (string, func(a *Analyzer) error, error) {
	var ev triggerEnvelope
	if err := json.Unmarshal(raw, &ev); err != nil {
		return "", nil, fmt.Errorf("decode event: %w", err)
	}
	switch {
	case len(ev.Records) > 0 && ev.Records[0].EventSource == "aws:s3":
		return TriggerS3, func(a *Analyzer) error {
			for _, r := range ev.Records {
				// Notification keys are URL-encoded, spaces as '+'.
				key, err := url.QueryUnescape(r.S3.Object.Key)
				if err != nil {
					key = r.S3.Object.Key
				}
				if err := a.ReadS3Object(ctx, c.S3, r.S3.Bucket.Name, key); err != nil {
					return err
				}
			}
			return nil
		}, nil
	case ev.DetailType == "Object Created" && ev.Source == "aws.s3":
		var d s3Location
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			return "", nil, fmt.Errorf("decode Object Created detail: %w", err)
		}
		return TriggerS3, func(a *Analyzer) error { return a.ReadS3Object(ctx, c.S3, d.Bucket.Name, d.Object.Key) }, nil
	case ev.DetailType == "Scheduled Event":
		return TriggerLookup, func(a *Analyzer) error {
			return a.Lookup(ctx, c.Lookup, LookupOptions{
				Start: now.Add(-c.Config.SweepWindow), End: now, EventSources: c.Config.SweepSources, Limiter: c.Limiter,
			})
		}, nil
	case strings.HasSuffix(ev.DetailType, "via CloudTrail"):
		return TriggerEventBridge, func(a *Analyzer) error { return a.AddRecord(ctx, raw, "EventBridge event") }, nil
	}
	return "", nil, fmt.Errorf("%w: detail-type %q, source %q", ErrUnsupportedEvent, ev.DetailType, ev.Source)
}

// unpublished keeps the findings whose ID was not published within the
// dedupe window, marking each as published now.
func (c *Checker) unpublished(ctx context.Context, fs []findings.Finding, now time.Time) ([]findings.Finding, error) {
	if c.Store == nil {
		return fs, nil
	}
	out := make([]findings.Finding, 0, len(fs))
	for _, f := range fs {
		first, err := c.Store.FirstPublish(ctx, f.ID, now, c.Config.DedupeWindow)
		if err != nil {
			return nil, err
		}
		if first {
			out = append(out, f)
		}
	}
	return out, nil
}
