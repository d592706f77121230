package findings_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/findingstest"
)

// TestDeliver: a failed publish fails and writes no metrics; a failed
// metrics write only warns and keeps the findings published.
func TestDeliver(t *testing.T) {
	t.Parallel()
	one := []findings.Finding{{ID: "x", Check: "LMB108", Severity: findings.Low, Title: "t", Resource: "arn:aws:lambda:us-east-1:1:function:f", Source: "s", ObservedAt: time.Unix(0, 0)}}
	tests := map[string]struct {
		pubErr      error
		broken      bool
		wantErr     string
		wantMetrics bool
		wantWarn    bool
	}{
		"clean":         {wantMetrics: true},
		"publish fails": {pubErr: errors.New("bus down"), wantErr: "bus down"},
		"metrics fail":  {broken: true, wantWarn: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var logs, metrics bytes.Buffer
			ctx := zerolog.New(&logs).WithContext(context.Background())
			pub := &findingstest.Recorder{Err: tc.pubErr}
			var w io.Writer = &metrics
			if tc.broken {
				w = findingstest.BrokenWriter{}
			}
			err := findings.Deliver(ctx, pub, w, "s", one, time.Unix(0, 0))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || metrics.Len() != 0 {
					t.Fatalf("err %v, metrics %q; want %q and no metrics", err, metrics.String(), tc.wantErr)
				}
				return
			}
			if err != nil || len(pub.Findings()) != 1 {
				t.Fatalf("err %v, published %d; want nil and 1", err, len(pub.Findings()))
			}
			if tc.wantMetrics != strings.Contains(metrics.String(), `"FindingsTotal":1`) {
				t.Errorf("metrics %q", metrics.String())
			}
			if tc.wantWarn != strings.Contains(logs.String(), `"level":"warn"`) {
				t.Errorf("logs %q", logs.String())
			}
		})
	}
}
