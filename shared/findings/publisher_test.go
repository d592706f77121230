package findings

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

type memPublisher struct {
	got []Finding
	err error
}

func (m *memPublisher) Publish(_ context.Context, fs []Finding) error {
	if m.err != nil {
		return m.err
	}
	m.got = append(m.got, fs...)
	return nil
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

// TestDeliver: a failed publish fails and writes no metrics; a failed
// metrics write only warns and keeps the findings published.
func TestDeliver(t *testing.T) {
	t.Parallel()
	one := []Finding{{ID: "x", Check: "LMB108", Severity: Low, Title: "t", Resource: "arn:aws:lambda:us-east-1:1:function:f", Source: "s", ObservedAt: time.Unix(0, 0)}}
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
			pub := &memPublisher{err: tc.pubErr}
			var w io.Writer = &metrics
			if tc.broken {
				w = brokenWriter{}
			}
			err := Deliver(ctx, pub, w, "s", one, time.Unix(0, 0))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || metrics.Len() != 0 {
					t.Fatalf("err %v, metrics %q; want %q and no metrics", err, metrics.String(), tc.wantErr)
				}
				return
			}
			if err != nil || len(pub.got) != 1 {
				t.Fatalf("err %v, published %d; want nil and 1", err, len(pub.got))
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
