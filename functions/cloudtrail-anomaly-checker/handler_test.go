package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/klauspost/compress/gzip"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/selfaudit/selfaudit/shared/findings"
)

func sampleEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "cloudtrail-anomaly-checker", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeS3 serves objects from memory and records what was asked.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string][]byte
	asked   []string
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := aws.ToString(in.Bucket) + "/" + aws.ToString(in.Key)
	f.asked = append(f.asked, k)
	b, ok := f.objects[k]
	if !ok {
		return nil, errors.New("NoSuchKey")
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

type fakeLookup struct {
	events []cttypes.Event
	calls  int
}

func (f *fakeLookup) LookupEvents(_ context.Context, in *ct.LookupEventsInput, _ ...func(*ct.Options)) (*ct.LookupEventsOutput, error) {
	f.calls++
	return &ct.LookupEventsOutput{Events: f.events}, nil
}

type fakePublisher struct {
	published []findings.Finding
	err       error
}

func (f *fakePublisher) Publish(_ context.Context, fs []findings.Finding) error {
	if f.err != nil {
		return f.err
	}
	f.published = append(f.published, fs...)
	return nil
}

func newHandler(s3c *fakeS3, lk *fakeLookup, pub *fakePublisher) (*Handler, *bytes.Buffer) {
	cfg, err := configFromEnv(func(string) string { return "" })
	if err != nil {
		panic(err)
	}
	var metrics bytes.Buffer
	return &Handler{Cfg: cfg, S3: s3c, Lookup: lk, Publisher: pub, Log: zerolog.Nop(), Metrics: &metrics,
		Limiter: rate.NewLimiter(rate.Inf, 1),
		Now:     func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) }}, &metrics
}

func logObject(t *testing.T) []byte {
	t.Helper()
	ev := sampleEvent(t, "eventbridge-addpermission.json")
	var env struct {
		Detail json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(ev, &env); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	fmt.Fprintf(w, `{"Records":[%s]}`, env.Detail)
	w.Close()
	return b.Bytes()
}

func TestHandleTriggers(t *testing.T) {
	t.Parallel()
	const key = "selfaudit-trail-111122223333/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/20/111122223333_CloudTrail_eu-west-1_20261120T0935Z_Yk2mV9dQ4rE7pW1x.json.gz"
	tests := map[string]struct {
		event       string
		raw         []byte
		wantTrigger string
		wantChecks  []string
		wantS3      bool
		wantLookups int
		wantErr     string
	}{
		"EventBridge CloudTrail event": {event: "eventbridge-addpermission.json", wantTrigger: "eventbridge", wantChecks: []string{"CT003", "CT002"}},
		"S3 notification":              {event: "s3-notification.json", wantTrigger: "s3", wantChecks: []string{"CT003", "CT002"}, wantS3: true},
		"EventBridge Object Created":   {event: "eventbridge-object-created.json", wantTrigger: "s3", wantChecks: []string{"CT003", "CT002"}, wantS3: true},
		"scheduled sweep":              {event: "scheduled-sweep.json", wantTrigger: "lookup", wantChecks: []string{"CT003", "CT002"}, wantLookups: 5},
		"unsupported event":            {raw: []byte(`{"detail-type":"Something Else","source":"x"}`), wantErr: "unsupported event"},
		"not JSON":                     {raw: []byte(`[`), wantErr: "decode event"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ev := tc.raw
			if tc.event != "" {
				ev = sampleEvent(t, tc.event)
			}
			detail := logObject(t)
			var env struct {
				Detail json.RawMessage `json:"detail"`
			}
			_ = json.Unmarshal(sampleEvent(t, "eventbridge-addpermission.json"), &env)
			s3c := &fakeS3{objects: map[string][]byte{key: detail}}
			lk := &fakeLookup{events: []cttypes.Event{{EventId: aws.String("x"), CloudTrailEvent: aws.String(string(env.Detail))}}}
			pub := &fakePublisher{}
			h, metrics := newHandler(s3c, lk, pub)
			res, err := h.Handle(context.Background(), ev)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Trigger != tc.wantTrigger {
				t.Errorf("trigger = %s, want %s", res.Trigger, tc.wantTrigger)
			}
			var checks []string
			for _, f := range pub.published {
				checks = append(checks, f.Check)
				if f.Check == "CT003" && f.Resource != "arn:aws:lambda:eu-west-1:111122223333:function:orders-api" {
					t.Errorf("CT003 resource = %s", f.Resource)
				}
			}
			if strings.Join(checks, ",") != strings.Join(tc.wantChecks, ",") {
				t.Errorf("published %v, want %v", checks, tc.wantChecks)
			}
			if tc.wantS3 && (len(s3c.asked) != 1 || s3c.asked[0] != key) {
				t.Errorf("S3 asked for %v, want %s", s3c.asked, key)
			}
			if lk.calls != tc.wantLookups {
				t.Errorf("%d LookupEvents calls, want %d", lk.calls, tc.wantLookups)
			}
			if !strings.Contains(metrics.String(), `"FindingsTotal":2`) {
				t.Errorf("EMF lines lack the total: %s", metrics.String())
			}
		})
	}
}

func TestHandlePublishFailureIsAnError(t *testing.T) {
	t.Parallel()
	pub := &fakePublisher{err: errors.New("bus down")}
	h, _ := newHandler(&fakeS3{}, &fakeLookup{}, pub)
	if _, err := h.Handle(context.Background(), sampleEvent(t, "eventbridge-addpermission.json")); err == nil || !strings.Contains(err.Error(), "bus down") {
		t.Fatalf("err = %v, want the publish error", err)
	}
}

func TestHandleMissingObjectIsAnError(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(&fakeS3{}, &fakeLookup{}, &fakePublisher{})
	if _, err := h.Handle(context.Background(), sampleEvent(t, "s3-notification.json")); err == nil || !strings.Contains(err.Error(), "NoSuchKey") {
		t.Fatalf("err = %v, want the S3 error", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env     map[string]string
		wantErr string
	}{
		"defaults":      {env: map[string]string{}},
		"full":          {env: map[string]string{"PIPELINE_PRINCIPALS": "arn:aws:iam::1:role/a, arn:aws:iam::1:role/b", "BURST_THRESHOLD": "20", "BURST_WINDOW": "10m", "BASELINE_SOURCE": "s3"}},
		"bad threshold": {env: map[string]string{"BURST_THRESHOLD": "many"}, wantErr: "BURST_THRESHOLD"},
		"bad window":    {env: map[string]string{"SWEEP_WINDOW": "-1m"}, wantErr: "SWEEP_WINDOW"},
		"bad source":    {env: map[string]string{"BASELINE_SOURCE": "kinesis"}, wantErr: "BASELINE_SOURCE"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := configFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name == "full" && (len(c.Rules.PipelinePrincipals) != 2 || c.Rules.BurstThreshold != 20 || c.BaselineSource != "s3") {
				t.Errorf("config = %+v", c)
			}
			if name == "defaults" && (c.BaselineSource != "eventbridge" || len(c.SweepSources) != 5 || c.DedupeWindow != 24*time.Hour) {
				t.Errorf("defaults = %+v", c)
			}
		})
	}
}
