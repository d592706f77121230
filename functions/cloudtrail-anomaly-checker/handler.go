package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/selfaudit/selfaudit/shared/cloudtrail"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/baseline"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// sourceName is the findings' source and the EMF Source dimension.
const sourceName = "cloudtrail-anomaly-checker"

// Trigger kinds, also the values of BASELINE_SOURCE.
const (
	triggerEventBridge = "eventbridge"
	triggerS3          = "s3"
	triggerLookup      = "lookup"
)

// Publisher sends findings to the findings bus.
type Publisher interface {
	Publish(ctx context.Context, fs []findings.Finding) error
}

// Config is the function's configuration, read from the environment in
// main.
type Config struct {
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
}

// Handler adapts the three triggers to the cloudtrail engine.
type Handler struct {
	Cfg       Config
	S3        cloudtrail.GetObjectAPI
	Lookup    cloudtrail.LookupEventsAPI
	Publisher Publisher
	// Store is nil when no table is configured: CT009/CT010 are then
	// skipped and findings are not deduplicated across invocations.
	Store *baseline.Store
	// Limiter paces LookupEvents across invocations of one execution
	// environment.
	Limiter *rate.Limiter
	Log     zerolog.Logger
	// Metrics receives the EMF lines (stdout in Lambda).
	Metrics io.Writer
	Now     func() time.Time
}

// Result is what an invocation returns, for the logs and for tests.
type Result struct {
	Trigger   string   `json:"trigger"`
	Records   int64    `json:"records"`
	Malformed int64    `json:"malformed"`
	Unknown   int64    `json:"unknown"`
	Findings  int      `json:"findings"`
	Published int      `json:"published"`
	Notes     []string `json:"notes,omitempty"`
}

// envelope is enough of an incoming event to tell the triggers apart.
type envelope struct {
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Detail     json.RawMessage `json:"detail"`
	Records    []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
}

// objectCreated is the detail of EventBridge's S3 "Object Created" event.
type objectCreated struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key string `json:"key"`
	} `json:"object"`
}

var errUnsupported = errors.New("unsupported event")

// Handle analyses one invocation's CloudTrail records and publishes the
// findings not published before. An error means the work failed (and
// Lambda retries or sends the event to the DLQ); malformed records do not.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (Result, error) {
	now := h.now()
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return Result{}, fmt.Errorf("decode event: %w", err)
	}
	var trigger string
	var run func(a *cloudtrail.Analyzer) error
	switch {
	case len(env.Records) > 0 && env.Records[0].EventSource == "aws:s3":
		trigger = triggerS3
		var s3ev events.S3Event
		if err := json.Unmarshal(raw, &s3ev); err != nil {
			return Result{}, fmt.Errorf("decode S3 notification: %w", err)
		}
		run = func(a *cloudtrail.Analyzer) error {
			for _, r := range s3ev.Records {
				// Notification keys are URL-encoded, spaces as '+'.
				key, err := url.QueryUnescape(r.S3.Object.Key)
				if err != nil {
					key = r.S3.Object.Key
				}
				if err := a.ReadS3Object(ctx, h.S3, r.S3.Bucket.Name, key); err != nil {
					return err
				}
			}
			return nil
		}
	case env.DetailType == "Object Created" && env.Source == "aws.s3":
		trigger = triggerS3
		var d objectCreated
		if err := json.Unmarshal(env.Detail, &d); err != nil {
			return Result{}, fmt.Errorf("decode Object Created detail: %w", err)
		}
		run = func(a *cloudtrail.Analyzer) error { return a.ReadS3Object(ctx, h.S3, d.Bucket.Name, d.Object.Key) }
	case env.DetailType == "Scheduled Event":
		trigger = triggerLookup
		run = func(a *cloudtrail.Analyzer) error {
			return a.Lookup(ctx, h.Lookup, cloudtrail.LookupOptions{
				Start: now.Add(-h.Cfg.SweepWindow), End: now, EventSources: h.Cfg.SweepSources, Limiter: h.Limiter,
			})
		}
	case strings.HasSuffix(env.DetailType, "via CloudTrail"):
		trigger = triggerEventBridge
		run = func(a *cloudtrail.Analyzer) error { return a.AddRecord(ctx, raw, "EventBridge event") }
	default:
		return Result{}, fmt.Errorf("%w: detail-type %q, source %q", errUnsupported, env.DetailType, env.Source)
	}

	opts := cloudtrail.Options{Rules: h.Cfg.Rules, Source: sourceName, Now: func() time.Time { return now }}
	if h.Store != nil && trigger == h.Cfg.BaselineSource {
		opts.Baseline = &baseline.Tracker{Store: h.Store, Source: sourceName, LearningPeriod: h.Cfg.LearningPeriod}
		opts.Windows = h.Store
	}
	a := cloudtrail.NewAnalyzer(opts)
	if err := run(a); err != nil {
		return Result{Trigger: trigger}, err
	}
	fs, st, err := a.Finish(ctx)
	if err != nil {
		return Result{Trigger: trigger}, err
	}
	res := Result{Trigger: trigger, Records: st.Records, Malformed: st.Malformed, Unknown: st.Unknown, Findings: len(fs), Notes: st.Notes}
	if h.Store != nil && opts.Baseline == nil {
		res.Notes = append(res.Notes, "baselines are fed by the "+h.Cfg.BaselineSource+" trigger; CT009/CT010 not evaluated here")
	}
	fresh, err := h.unpublished(ctx, fs, now)
	if err != nil {
		return res, err
	}
	if len(fresh) > 0 {
		if err := h.Publisher.Publish(ctx, fresh); err != nil {
			return res, err
		}
	}
	res.Published = len(fresh)
	if h.Metrics != nil {
		if err := findings.WriteEMF(h.Metrics, sourceName, fresh, now); err != nil {
			h.Log.Warn().Err(err).Msg("write EMF metrics")
		}
	}
	h.Log.Info().Str("trigger", trigger).Int64("records", st.Records).Int64("malformed", st.Malformed).
		Int("findings", len(fs)).Int("published", len(fresh)).Msg("cloudtrail analysed")
	return res, nil
}

// unpublished keeps the findings whose ID was not published within the
// dedupe window.
func (h *Handler) unpublished(ctx context.Context, fs []findings.Finding, now time.Time) ([]findings.Finding, error) {
	if h.Store == nil {
		return fs, nil
	}
	out := make([]findings.Finding, 0, len(fs))
	for _, f := range fs {
		first, err := h.Store.FirstPublish(ctx, f.ID, now, h.Cfg.DedupeWindow)
		if err != nil {
			return nil, err
		}
		if first {
			out = append(out, f)
		}
	}
	return out, nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}
