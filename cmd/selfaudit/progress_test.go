package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/replay"
)

// trailFolder writes files of CloudTrail records, gzipped, into a new
// folder: enough bytes that reading them takes a moment.
func trailFolder(t *testing.T, files, records int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range files {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("trail-%d.json.gz", i)))
		if err != nil {
			t.Fatal(err)
		}
		zw := gzip.NewWriter(f)
		io.WriteString(zw, `{"Records":[`)
		for j := range records {
			if j > 0 {
				io.WriteString(zw, ",")
			}
			fmt.Fprintf(zw, `{"eventVersion":"1.08","eventTime":"2026-01-01T%02d:%02d:%02dZ","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.%d.%d","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/u%d"},"requestID":"r-%d-%d"}`,
				j/3600%24, j/60%60, j%60, j%200, j%250, j%7, i, j)
		}
		io.WriteString(zw, `]}`)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return dir
}

// TestProgressOnTerminalOnly runs the built CLI on a folder of CloudTrail
// logs three ways: with stderr on a pseudo-terminal it draws a progress
// line (bytes read of the total, files done, redrawn in place); through a
// pipe, and on the terminal with --quiet, stderr holds no trace of one.
// The report on stdout is the same each time.
func TestProgressOnTerminalOnly(t *testing.T) {
	bin := testenv.BuildPackage(t, "./cmd/selfaudit", "selfaudit")
	dir := trailFolder(t, 4, 20000)

	term, ttyOut := testenv.RunOnPTY(t, exec.Command(bin, "trail", "--format", "json", "--fail-on", "none", dir))
	t.Logf("terminal received %d bytes: %.300q", len(term), term)
	for _, want := range []string{"trail (", "of 4 files)", "\x1b[2K"} {
		if !strings.Contains(term, want) {
			t.Errorf("terminal output lacks %q", want)
		}
	}
	if !strings.Contains(term, "B/s") && !strings.Contains(term, "MB") && !strings.Contains(term, "kB") {
		t.Error("terminal output shows no byte counts")
	}

	var pipeErr, pipeOut bytes.Buffer
	piped := exec.Command(bin, "trail", "--format", "json", "--fail-on", "none", dir)
	piped.Stdout, piped.Stderr = &pipeOut, &pipeErr
	if err := piped.Run(); err != nil {
		t.Fatalf("through a pipe: %v\n%s", err, pipeErr.String())
	}
	if s := pipeErr.String(); strings.Contains(s, "\r") || strings.Contains(s, "\x1b[") || strings.Contains(s, "files)") {
		t.Errorf("through a pipe, stderr holds a progress line: %q", s)
	}

	quietTerm, quietOut := testenv.RunOnPTY(t, exec.Command(bin, "trail", "--format", "json", "--fail-on", "none", "--quiet", dir))
	if strings.Contains(quietTerm, "files)") || strings.Contains(quietTerm, "\x1b[") {
		t.Errorf("with --quiet the terminal got a progress line: %q", quietTerm)
	}
	if ttyOut != pipeOut.String() || quietOut != ttyOut {
		t.Error("the report on stdout differs between a terminal, a pipe and --quiet")
	}
}

// TestProgressLine draws the replay engine's progress and a log line into
// a buffer standing for a terminal, and checks that nothing is drawn for a
// pipe or with --quiet.
func TestProgressLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	env := &cliEnv{stderr: &buf, stderrIsTerminal: true}
	line := startProgress(env, false, "replay")
	line.width = 160 // a buffer has no size; 80 columns are assumed
	show := line.Replay()
	show(context.Background(), replay.Progress{Received: 120, Replayed: 110, Failed: 3, Parked: 7, Total: 3000, Depth: 2880, Concurrency: 16})
	fmt.Fprintln(line.Writer(&buf), `{"level":"info","message":"dlq message"}`)
	show(context.Background(), replay.Progress{Received: 3000, Replayed: 2990, Failed: 3, Parked: 7, Total: 3000, Depth: 0, Concurrency: 32})
	line.Done()
	show(context.Background(), replay.Progress{Received: 1, Total: 3000})
	got := buf.String()
	for _, want := range []string{"replay (delivered 110, failed 3, parked 7, queue ~2880, 16 workers)", "/3000", "\x1b[2K\r{\"level\"", "3000/3000", "queue ~0, 32 workers"} {
		if !strings.Contains(got, want) {
			t.Errorf("terminal lacks %q:\n%q", want, got)
		}
	}
	if !strings.HasSuffix(got, "\x1b[2K\r") {
		t.Errorf("the line is not taken away at the end, or drawn again after Done:\n%q", got)
	}

	// On a narrow terminal the description is cut so the line never
	// wraps (a wrapped line cannot be redrawn in place).
	narrow := &progressLine{width: 80}
	if desc, bar := narrow.fit("replay (delivered 41230, failed 0, parked 12, queue ~58700, 32 workers)"); len([]rune(desc))+bar+52 > 80 || !strings.HasSuffix(desc, "…") {
		t.Errorf("on 80 columns: %q and a bar of %d", desc, bar)
	}

	for name, env := range map[string]*cliEnv{"pipe": {stderr: &buf}, "quiet": {stderr: &buf, stderrIsTerminal: true}} {
		line := startProgress(env, name == "quiet", "scan")
		if line != nil || line.Func() != nil || line.Replay() != nil || line.Writer(&buf) != io.Writer(&buf) {
			t.Errorf("%s: a progress line was set up", name)
		}
		line.Done()
	}
}
