package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// replayRun runs `selfaudit replay args...` in-process.
func replayRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errOut, getenv: os.Getenv}
	code := run(context.Background(), env, append([]string{"replay"}, args...))
	return code, out.String(), errOut.String()
}

// TestReplayUsageErrors: bad flags exit 2 with one line on stderr, before
// any AWS call (there is no endpoint or credential to call with).
func TestReplayUsageErrors(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:1") // any call would fail, not exit 2
	const q = "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"
	tests := map[string]struct {
		args []string
		want string
	}{
		"no queue":           {args: nil, want: "queueUrl is required"},
		"negative max":       {args: []string{"--queue", q, "--max", "-1"}, want: "--max -1"},
		"zero max-replays":   {args: []string{"--queue", q, "--max-replays", "0"}, want: "--max-replays 0"},
		"negative rate":      {args: []string{"--queue", q, "--rate", "-2"}, want: "ratePerSecond"},
		"bad format":         {args: []string{"--queue", q, "--format", "xml"}, want: "--format"},
		"layer target":       {args: []string{"--queue", q, "--target", "arn:aws:lambda:us-east-1:123456789012:layer:x:1"}, want: "not a function"},
		"queue not a URL":    {args: []string{"--queue", "dlq"}, want: "neither"},
		"stray argument":     {args: []string{"--queue", q, "extra"}, want: "unexpected argument"},
		"unknown flag":       {args: []string{"--queue", q, "--bogus"}, want: "bogus"},
		"visibility too big": {args: []string{"--queue", q, "--visibility-timeout", "50000"}, want: "visibilityTimeout"},
		"negative workers":   {args: []string{"--queue", q, "--workers", "-1"}, want: "--workers -1"},
		"zero max-workers":   {args: []string{"--queue", q, "--max-workers", "0"}, want: "--max-workers 0"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := replayRun(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			// The flag package prints the flag list before an unknown
			// flag's message; the error itself is always the last line.
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			last := lines[len(lines)-1]
			if out != "" || !strings.HasPrefix(last, "selfaudit replay: ") || !strings.Contains(last, tc.want) {
				t.Errorf("stdout %q, stderr %q: want a last line containing %q", out, errOut, tc.want)
			}
			if name != "unknown flag" && len(lines) != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", len(lines), errOut)
			}
		})
	}
}

// TestReplayHelp prints the flags and exits 0.
func TestReplayHelp(t *testing.T) {
	code, _, errOut := replayRun(t, "--help")
	if code != exitOK || !strings.Contains(errOut, "--visibility-timeout") || !strings.Contains(errOut, "--filter-error-code") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestReplayAgainstFauxqs runs the command in-process against fauxqs: a dry
// run in text, a replay in JSON, and an unknown queue.
func TestReplayAgainstFauxqs(t *testing.T) {
	endpoint := os.Getenv("SELFAUDIT_FAUXQS_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("SELFAUDIT_REQUIRE_EMULATORS") != "" {
			t.Fatal("fauxqs is not available; run the tests with `make test`")
		}
		t.Skip("fauxqs is not available; run the tests with `make test`")
	}
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTESTTESTTESTTEST", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CA_BUNDLE": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_SQS": endpoint, "LOG_LEVEL": "warn"} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := sqs.NewFromConfig(cfg)
	mk := func(name string) string {
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-" + time.Now().Format("150405.000000000")[7:])})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl)
	}
	dlq, target := mk("cli-dlq"), mk("cli-target")
	for i := range 7 {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlq), MessageBody: aws.String(`{"n":` + string(rune('0'+i)) + `}`)}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("dry run", func(t *testing.T) {
		code, out, errOut := replayRun(t, "--queue", dlq, "--target", target, "--dry-run", "--workers", "2")
		if code != exitOK || !strings.Contains(out, "dry run: nothing was changed") || !strings.Contains(out, "would replay 7") ||
			!strings.Contains(out, "workers: ended at 2, at most 2; 0 throttled calls") {
			t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
		}
	})
	t.Run("replay", func(t *testing.T) {
		code, out, errOut := replayRun(t, "--queue", dlq, "--target", target, "--format", "json", "--rate", "100")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		for _, k := range []string{"received", "replayed", "failed", "skipped", "parked", "remainingApprox", "dryRun", "concurrency", "peakConcurrency", "throttled"} {
			if _, ok := res[k]; !ok {
				t.Errorf("result lacks %q: %s", k, out)
			}
		}
		if res["replayed"] != 7.0 || res["remainingApprox"] != 0.0 {
			t.Errorf("result %s", out)
		}
	})
	t.Run("unknown queue", func(t *testing.T) {
		code, _, errOut := replayRun(t, "--queue", strings.Replace(dlq, "cli-dlq", "cli-missing", 1))
		if code != exitUsage || !strings.Contains(errOut, "queue not found") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
}
