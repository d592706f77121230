package replay_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/replay"
)

// TestCLIKilledMidReplay runs the built `selfaudit replay` against fauxqs,
// kills it with SIGKILL while it is delivering, and runs it again: every
// message must reach the target.
func TestCLIKilledMidReplay(t *testing.T) {
	c := fauxqs(t, nil)
	bin := testenv.BuildPackage(t, "./cmd/selfaudit", "selfaudit")
	dlq := newQueue(t, c, "crash-dlq", false)
	target := newQueue(t, c, "crash-target", false)
	const n = 300
	fill(t, c, dlq, n, map[string]types.MessageAttributeValue{"RequestID": str("r"), "ErrorCode": num("200")})

	var stderr bytes.Buffer
	first := exec.Command(bin, "replay", "--queue", dlq, "--target", target, "--rate", "100", "--visibility-timeout", "2", "--format", "json")
	first.Env = os.Environ()
	first.Stderr = &stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if v, _ := approx(t, c, target); v >= 40 {
			break
		}
		if time.Now().After(deadline) {
			_ = first.Process.Kill()
			t.Fatalf("the first run delivered nothing in 30 s; its stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	delivered, _ := approx(t, c, target)
	left, hidden := approx(t, c, dlq)
	t.Logf("killed after %d deliveries; DLQ had %d visible and %d hidden", delivered, left, hidden)
	if left+hidden == 0 {
		t.Fatal("the first run finished before it was killed; nothing was tested")
	}

	time.Sleep(2100 * time.Millisecond) // what the killed run held becomes visible
	second := exec.Command(bin, "replay", "--queue", dlq, "--target", target, "--format", "json")
	second.Env = os.Environ()
	stderr.Reset()
	second.Stderr = &stderr
	out, err := second.Output()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, stderr.String())
	}
	var res replay.Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("second run output %q: %v", out, err)
	}
	if res.RemainingApprox != 0 || res.Failed != 0 {
		t.Errorf("second run = %+v", res)
	}
	got, _ := drain(t, c, target)
	dups := checkAll(t, got, n)
	t.Logf("second run %+v; %d duplicates in the target", res, dups)
	if lines := strings.Count(stderr.String(), `"outcome":"replayed"`); lines != res.Replayed {
		t.Errorf("%d per-message log lines with outcome replayed, result says %d", lines, res.Replayed)
	}
	if strings.Contains(stderr.String(), "msg-") {
		t.Error("a log line contains a message body")
	}
	if strings.Contains(stderr.String(), "replay (delivered") || strings.Contains(stderr.String(), "\x1b[") {
		t.Error("a progress line went into a pipe")
	}
}

// TestCLIReplayProgress runs the built `selfaudit replay` against fauxqs
// with stderr on a pseudo-terminal: it draws a progress line with the
// messages received out of those expected, what was delivered, failed and
// parked, the queue's depth and the workers. The same run through a pipe
// (TestCLIKilledMidReplay's runs) draws none.
func TestCLIReplayProgress(t *testing.T) {
	c := fauxqs(t, nil)
	bin := testenv.BuildPackage(t, "./cmd/selfaudit", "selfaudit")
	dlq := newQueue(t, c, "tty-dlq", false)
	target := newQueue(t, c, "tty-target", false)
	const n = 200
	fill(t, c, dlq, n, nil)
	cmd := exec.Command(bin, "replay", "--queue", dlq, "--target", target, "--rate", "100", "--format", "json")
	cmd.Env = os.Environ()
	term, out := testenv.RunOnPTY(t, cmd)
	var res replay.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Replayed != n {
		t.Fatalf("result %q: %v", out, err)
	}
	for _, want := range []string{"replay (delivered ", ", failed 0, parked 0, queue ~", " workers)", "/200", "msgs/s", "\x1b[2K"} {
		if !strings.Contains(term, want) {
			t.Errorf("terminal lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("terminal:\n%q", term)
	}
}
