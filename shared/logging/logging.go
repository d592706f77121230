// Package logging builds the zerolog logger every function and the CLI use:
// JSON lines (or plain text when Lambda's log format is Text), a level from
// AWS_LAMBDA_LOG_LEVEL (set by Lambda's advanced logging controls) or
// LOG_LEVEL, and per-invocation fields (request ID, function name and
// version) so a log line can be tied to its invocation.
//
// In JSON format Lambda filters application logs by the "level" key of each
// line, which zerolog writes; the functions log to stdout, as the runtime's
// own lines and the Embedded Metric Format lines do.
package logging

import (
	"context"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/rs/zerolog"
)

// EnvLogFormat is the variable Lambda sets from the function's LogFormat:
// JSON or Text.
const EnvLogFormat = "AWS_LAMBDA_LOG_FORMAT"

// New returns a logger writing to w with the level and format from the
// environment and the function's name and version when running in Lambda.
// The format is JSON unless AWS_LAMBDA_LOG_FORMAT is Text, which gives
// plain "time level message key=value" lines.
func New(w io.Writer) zerolog.Logger {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	if strings.EqualFold(strings.TrimSpace(os.Getenv(EnvLogFormat)), "text") {
		w = zerolog.ConsoleWriter{Out: w, NoColor: true, TimeFormat: time.RFC3339Nano}
	}
	l := zerolog.New(w).Level(LevelFromEnv()).With().Timestamp()
	if name := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); name != "" {
		l = l.Str("function", name)
	}
	if v := os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"); v != "" {
		l = l.Str("version", v)
	}
	return l.Logger()
}

// LevelFromEnv reads AWS_LAMBDA_LOG_LEVEL, then LOG_LEVEL; the default is
// info. Lambda's names (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) and
// zerolog's are both understood.
func LevelFromEnv() zerolog.Level {
	for _, k := range []string{"AWS_LAMBDA_LOG_LEVEL", "LOG_LEVEL"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			if lvl, ok := ParseLevel(v); ok {
				return lvl
			}
		}
	}
	return zerolog.InfoLevel
}

// ParseLevel maps a level name in any case to a zerolog level.
func ParseLevel(s string) (zerolog.Level, bool) {
	switch strings.ToLower(s) {
	case "trace":
		return zerolog.TraceLevel, true
	case "debug":
		return zerolog.DebugLevel, true
	case "info":
		return zerolog.InfoLevel, true
	case "warn", "warning":
		return zerolog.WarnLevel, true
	case "error":
		return zerolog.ErrorLevel, true
	case "fatal":
		return zerolog.FatalLevel, true
	}
	return zerolog.NoLevel, false
}

// ForInvocation returns base with the request ID of the invocation in ctx,
// and stores it in the returned context so engines can log with
// zerolog.Ctx(ctx).
func ForInvocation(ctx context.Context, base zerolog.Logger) (context.Context, zerolog.Logger) {
	l := base
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		l = base.With().Str("requestId", lc.AwsRequestID).Logger()
	}
	return l.WithContext(ctx), l
}
