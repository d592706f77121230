package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/selfaudit/selfaudit/shared/awsconfig/chain"
	"github.com/selfaudit/selfaudit/shared/logging"
	"github.com/selfaudit/selfaudit/shared/replay"
	"github.com/selfaudit/selfaudit/shared/tracing"
)

func init() {
	register("replay", command{
		summary: "re-drive messages from an SQS dead-letter queue to a function or a queue",
		run:     runReplay,
	})
}

const replaySynopsis = "--queue URL|ARN [--target ARN] [--max N] [--rate N] [--dry-run] [--filter-error-code CODE] " +
	"[--filter-body-contains TEXT] [--max-replays N] [--visibility-timeout SECONDS] [--parking-queue URL|ARN] [--workers N | --max-workers N] [--format text|json] [--quiet]"

// runReplay builds a replay.Request from flags and runs the same engine as
// the dlq-replayer function with the operator's credentials. Exit codes: 0
// every message handled, 1 some failed (they stay in the queue) or the run
// stopped on an error, 2 usage or input error (nothing touched).
func runReplay(ctx context.Context, env *cliEnv, args []string) int {
	fs := newFlagSet(env, "replay", replaySynopsis)
	var req replay.Request
	var format, parking string
	var workers, maxWorkers int
	fs.StringVar(&req.QueueURL, "queue", "", "dead-letter queue URL or ARN (required)")
	fs.StringVar(&req.Target, "target", "", "Lambda function ARN (qualifier kept) or SQS queue ARN/URL; default: the function an on-failure record names")
	fs.IntVar(&req.MaxMessages, "max", replay.DefaultMaxMessages, "most messages to receive in this run")
	fs.Float64Var(&req.RatePerSecond, "rate", 0, "messages per second delivered to the target, 0 = unlimited")
	fs.BoolVar(&req.DryRun, "dry-run", false, "report what would be replayed and change nothing")
	fs.StringVar(&req.Filter.ErrorCode, "filter-error-code", "", "replay only messages with this ErrorCode (or on-failure errorType)")
	fs.StringVar(&req.Filter.BodyContains, "filter-body-contains", "", "replay only messages whose body contains this text")
	fs.IntVar(&req.MaxReplays, "max-replays", replay.DefaultMaxReplays, "park (or leave) a message replayed this many times already")
	fs.IntVar(&req.VisibilityTimeout, "visibility-timeout", replay.DefaultVisibilityTimeout, "seconds a received message stays hidden while it is delivered")
	fs.StringVar(&parking, "parking-queue", "", "queue URL or ARN for messages past --max-replays (default: leave them)")
	fs.StringVar(&format, "format", "text", "output format: text or json")
	fs.IntVar(&workers, "workers", 0, "a fixed number of concurrent receive-deliver-delete loops; 0 finds the number the endpoints allow")
	quiet := quietFlag(fs)
	fs.IntVar(&maxWorkers, "max-workers", replay.DefaultMaxWorkers, "most concurrent loops when the number is found (a target function's reserved concurrency bounds it too)")
	if done, code := parseFlags(env, fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(env, "replay", "unexpected argument %q", fs.Arg(0))
	}
	if format != "text" && format != "json" {
		return usageError(env, "replay", "--format %q: want text or json", format)
	}
	// Flags that were given are checked as strictly as the function's
	// event: an explicit 0 or a negative number is an error, not a default.
	for name, v := range map[string]int{"max": req.MaxMessages, "max-replays": req.MaxReplays, "visibility-timeout": req.VisibilityTimeout, "max-workers": maxWorkers} {
		if v <= 0 {
			return usageError(env, "replay", "--%s %d: must be a positive number", name, v)
		}
	}
	if workers < 0 {
		return usageError(env, "replay", "--workers %d: must be 0 (find the number) or positive", workers)
	}
	if err := req.Normalize(); err != nil {
		return usageError(env, "replay", "%s", replayErrLine(err))
	}

	cfg, err := chain.Load(ctx, tracing.FromEnvironment())
	if err != nil {
		return usageError(env, "replay", "%s", replayErrLine(err))
	}
	line := startProgress(env, *quiet, "replay")
	eng := replay.New(sqs.NewFromConfig(cfg), lambda.NewFromConfig(cfg), replay.Options{Workers: workers, MaxWorkers: maxWorkers, ParkingQueue: parking,
		Progress: line.Replay(), ProgressEvery: 500 * time.Millisecond})
	log := logging.New(line.Writer(env.stderr))
	res, err := eng.Run(log.WithContext(ctx), req)
	line.Done()
	if err != nil && (errors.Is(err, replay.ErrBadRequest) || errors.Is(err, replay.ErrUnknownQueue) || errors.Is(err, replay.ErrBadTarget)) {
		return usageError(env, "replay", "%s", replayErrLine(err))
	}
	if werr := writeReplayResult(env.stdout, format, res); werr != nil {
		fmt.Fprintf(env.stderr, "selfaudit replay: write output: %v\n", werr)
		return exitFindings
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "selfaudit replay: %s\n", replayErrLine(err))
		return exitFindings
	}
	if res.Failed > 0 {
		fmt.Fprintf(env.stderr, "selfaudit replay: %d messages could not be delivered and stay in the queue\n", res.Failed)
		return exitFindings
	}
	return exitOK
}

func replayErrLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

func writeReplayResult(w io.Writer, format string, res replay.Result) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	var b strings.Builder
	if res.DryRun {
		b.WriteString("dry run: nothing was changed\n")
	}
	fmt.Fprintf(&b, "received %d, replayed %d, failed %d, skipped %d, parked %d, about %d left in the queue\n",
		res.Received, res.Replayed, res.Failed, res.Skipped, res.Parked, res.RemainingApprox)
	if res.Concurrency > 0 {
		fmt.Fprintf(&b, "workers: ended at %d, at most %d; %d throttled calls\n", res.Concurrency, res.PeakConcurrency, res.Throttled)
	}
	if r := res.DryRunReport; r != nil {
		fmt.Fprintf(&b, "would replay %d, would park %d\n", r.WouldReplay, r.WouldPark)
		writeCounts(&b, "by error code", r.ByErrorCode)
		writeCounts(&b, "by target", r.ByTarget)
		if len(r.Samples) > 0 {
			b.WriteString("samples:\n")
			for _, s := range r.Samples {
				fmt.Fprintf(&b, "  %s  %d bytes  %s  errorCode=%s  target=%s\n", s.MessageID, s.SizeBytes, s.Kind, s.ErrorCode, s.Target)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCounts(b *strings.Builder, title string, m map[string]int) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(b, "%s:\n", title)
	for _, k := range keys {
		fmt.Fprintf(b, "  %-60s %d\n", k, m[k])
	}
}
