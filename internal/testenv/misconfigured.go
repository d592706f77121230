package testenv

import (
	"context"
	"strings"
	"testing"
	"time"
)

// CheckMisconfigured runs the built function bin under aws-lambda-rie with
// env, a configuration it must refuse, and holds it to the start-up's one
// policy for a bad configuration: the process starts (no exit during init,
// so no crash loop), every invocation fails with an error that names each
// of variables, and the problem is logged once, at start-up, not again per
// invocation. event is any event the function accepts.
func CheckMisconfigured(t *testing.T, bin string, env []string, event string, variables ...string) {
	t.Helper()
	rie := StartRIE(t, bin, env...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 1; i <= 2; i++ {
		inv, err := rie.Invoke(ctx, []byte(event))
		if err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
		if inv.FunctionError == "" {
			t.Fatalf("invocation %d succeeded on a bad configuration: %s", i, inv.Payload)
		}
		for _, v := range variables {
			if !strings.Contains(string(inv.Payload), v) {
				t.Errorf("invocation %d: error %s does not name %s", i, inv.Payload, v)
			}
		}
	}
	logs := rie.Logs()
	if n := strings.Count(logs, "is misconfigured: every invocation fails"); n != 1 {
		t.Errorf("the bad configuration was logged %d times, want once (one start, no restart):\n%s", n, logs)
	}
}
