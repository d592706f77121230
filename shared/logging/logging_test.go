package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/rs/zerolog"
)

func TestLevelFromEnv(t *testing.T) {
	tests := map[string]struct {
		lambda, plain string
		want          zerolog.Level
	}{
		"default":          {want: zerolog.InfoLevel},
		"lambda wins":      {lambda: "DEBUG", plain: "error", want: zerolog.DebugLevel},
		"plain":            {plain: "warn", want: zerolog.WarnLevel},
		"unknown ignored":  {lambda: "loud", plain: "error", want: zerolog.ErrorLevel},
		"lambda trace":     {lambda: "TRACE", want: zerolog.TraceLevel},
		"warning spelling": {plain: "WARNING", want: zerolog.WarnLevel},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("AWS_LAMBDA_LOG_LEVEL", tc.lambda)
			t.Setenv("LOG_LEVEL", tc.plain)
			if got := LevelFromEnv(); got != tc.want {
				t.Fatalf("LevelFromEnv() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLogFormat(t *testing.T) {
	tests := map[string]struct {
		format   string
		wantJSON bool
	}{
		"unset":      {wantJSON: true},
		"JSON":       {format: "JSON", wantJSON: true},
		"Text":       {format: "Text"},
		"text, case": {format: " text "},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv(EnvLogFormat, tc.format)
			t.Setenv("AWS_LAMBDA_LOG_LEVEL", "")
			t.Setenv("LOG_LEVEL", "")
			var buf bytes.Buffer
			l := New(&buf)
			l.Info().Str("trigger", "s3").Msg("analysed")
			line := bytes.TrimSpace(buf.Bytes())
			isJSON := json.Valid(line)
			if isJSON != tc.wantJSON {
				t.Fatalf("line %q: JSON %v, want %v", line, isJSON, tc.wantJSON)
			}
			if !tc.wantJSON && (!bytes.Contains(line, []byte("INF analysed")) || !bytes.Contains(line, []byte("trigger=s3"))) {
				t.Errorf("text line %q lacks level, message or field", line)
			}
		})
	}
}

func TestInvocationFields(t *testing.T) {
	t.Setenv(EnvLogFormat, "")
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "selfaudit-iam-wildcard-scanner")
	t.Setenv("AWS_LAMBDA_FUNCTION_VERSION", "7")
	t.Setenv("AWS_LAMBDA_LOG_LEVEL", "")
	t.Setenv("LOG_LEVEL", "")
	var buf bytes.Buffer
	base := New(&buf)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	ctx, l := ForInvocation(ctx, base)
	l.Info().Msg("direct")
	zerolog.Ctx(ctx).Debug().Msg("below level")
	zerolog.Ctx(ctx).Warn().Msg("from context")
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	for _, line := range lines {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		if m["requestId"] != "req-1" || m["function"] != "selfaudit-iam-wildcard-scanner" || m["version"] != "7" || m["time"] == nil {
			t.Fatalf("line lacks invocation fields: %s", line)
		}
	}
}
