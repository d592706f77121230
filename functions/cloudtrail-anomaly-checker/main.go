// Command cloudtrail-anomaly-checker is the Lambda function that runs
// selfaudit's CloudTrail checks (CT001 to CT011) on three triggers: an
// EventBridge rule on CloudTrail API calls, S3 object-created events of the
// trail's bucket, and a schedule that sweeps LookupEvents. Findings go to
// the findings bus. See README.md for configuration and permissions.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/time/rate"

	"github.com/selfaudit/selfaudit/shared/awsconfig"
	ctengine "github.com/selfaudit/selfaudit/shared/cloudtrail"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/baseline"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/gctune"
	"github.com/selfaudit/selfaudit/shared/logging"
	"github.com/selfaudit/selfaudit/shared/tracing"
)

func main() {
	gc := gctune.AfterInit(os.Getenv)
	log := logging.New(os.Stderr)
	log.Debug().Int("gcPercent", gc.GCPercent).Int64("memoryLimitBytes", gc.MemoryLimitBytes).Msg("garbage collector set")
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		log.Error().Err(err).Msg("configuration")
		os.Exit(1) // before lambda.Start: Lambda reports an init error
	}
	tracer := tracing.FromEnvironment()
	ctx := context.Background()
	awsCfg, err := awsconfig.Load(ctx, tracer)
	if err != nil {
		log.Error().Err(err).Msg("aws configuration")
		os.Exit(1)
	}
	h := &Handler{
		Cfg:       cfg,
		S3:        s3.NewFromConfig(awsCfg),
		Lookup:    cloudtrail.NewFromConfig(awsCfg),
		Publisher: &findings.EventBridgePublisher{Client: eventbridge.NewFromConfig(awsCfg), BusName: os.Getenv("FINDINGS_BUS_NAME")},
		Limiter:   rate.NewLimiter(rate.Limit(ctengine.LookupRate), 1),
		Log:       log,
		Metrics:   os.Stdout,
	}
	if t := os.Getenv("BASELINE_TABLE"); t != "" {
		h.Store = &baseline.Store{Client: dynamodb.NewFromConfig(awsCfg), Table: t}
	}
	log.Info().Str("tracer", tracer.Name()).Bool("baselines", h.Store != nil).Msg("cold start")
	lambda.Start(h.Handle)
}

// configFromEnv reads the variables documented in README.md.
func configFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Rules: rules.DefaultConfig()}
	if v := getenv("PIPELINE_SERVICES"); v != "" {
		c.Rules.PipelineServices = list(v)
	}
	c.Rules.PipelinePrincipals = list(getenv("PIPELINE_PRINCIPALS"))
	c.Rules.TrustedLayerAccounts = list(getenv("TRUSTED_LAYER_ACCOUNTS"))
	var err error
	if v := getenv("BURST_THRESHOLD"); v != "" {
		if c.Rules.BurstThreshold, err = strconv.Atoi(v); err != nil || c.Rules.BurstThreshold < 1 {
			return c, fmt.Errorf("BURST_THRESHOLD %q: want a positive integer", v)
		}
	}
	durations := []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{
		{"BURST_WINDOW", &c.Rules.BurstWindow, 5 * time.Minute},
		{"LEARNING_PERIOD", &c.LearningPeriod, 7 * 24 * time.Hour},
		{"SWEEP_WINDOW", &c.SweepWindow, 20 * time.Minute},
		{"DEDUPE_WINDOW", &c.DedupeWindow, 24 * time.Hour},
	}
	for _, d := range durations {
		*d.dst = d.def
		if v := getenv(d.name); v != "" {
			if *d.dst, err = time.ParseDuration(v); err != nil || *d.dst <= 0 {
				return c, fmt.Errorf("%s %q: want a positive duration such as 15m", d.name, v)
			}
		}
	}
	c.BaselineSource = getenv("BASELINE_SOURCE")
	switch c.BaselineSource {
	case "":
		c.BaselineSource = triggerEventBridge
	case triggerEventBridge, triggerS3, triggerLookup:
	default:
		return c, fmt.Errorf("BASELINE_SOURCE %q: want eventbridge, s3 or lookup", c.BaselineSource)
	}
	c.SweepSources = list(getenv("SWEEP_EVENT_SOURCES"))
	if len(c.SweepSources) == 0 {
		c.SweepSources = []string{"lambda.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com", "cloudtrail.amazonaws.com", "signin.amazonaws.com"}
	}
	return c, nil
}

func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
