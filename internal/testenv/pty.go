package testenv

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// RunOnPTY runs cmd with its stderr on a pseudo-terminal of 160 columns
// (stdout stays a pipe, as when a report is redirected) and returns what
// the terminal received and what stdout did. An exit code above 1 fails
// the test; without pseudo-terminals the test is skipped.
func RunOnPTY(t testing.TB, cmd *exec.Cmd) (terminal, stdout string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 160}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, tty
	if err := cmd.Start(); err != nil {
		tty.Close()
		t.Fatal(err)
	}
	tty.Close() // the child holds its own copy
	var term bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(&term, ptmx)
		done <- err
	}()
	werr := cmd.Wait()
	select {
	case err := <-done:
		// Linux answers EIO once the last writer is gone.
		if err != nil && !errors.Is(err, syscall.EIO) {
			t.Fatalf("read the terminal: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal never closed")
	}
	if werr != nil {
		if ee, ok := werr.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
			t.Fatalf("%v: %v\nterminal:\n%q", cmd.Args, werr, term.String())
		}
	}
	return term.String(), out.String()
}
