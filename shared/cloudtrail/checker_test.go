package cloudtrail

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
	"golang.org/x/time/rate"
)

func functionEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "cloudtrail-anomaly-checker", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// memS3 serves objects from memory and records what was asked.
type memS3 struct {
	mu      sync.Mutex
	objects map[string][]byte
	asked   []string
}

func (f *memS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
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

// memLookup answers every LookupEvents call with the same page.
type memLookup struct {
	mu     sync.Mutex
	events []cttypes.Event
	calls  int
}

func (f *memLookup) LookupEvents(_ context.Context, _ *ct.LookupEventsInput, _ ...func(*ct.Options)) (*ct.LookupEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return &ct.LookupEventsOutput{Events: f.events}, nil
}

func defaultChecker(t testing.TB, s3c GetObjectAPI, lk LookupEventsAPI) *Checker {
	t.Helper()
	cfg, err := FunctionConfigFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return &Checker{Config: cfg, S3: s3c, Lookup: lk, Limiter: rate.NewLimiter(rate.Inf, 1),
		Now: func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) }}
}

// addPermissionDetail is the CloudTrail record inside the sample
// EventBridge event.
func addPermissionDetail(t testing.TB) json.RawMessage {
	t.Helper()
	var ev struct {
		Detail json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(functionEvent(t, "eventbridge-addpermission.json"), &ev); err != nil {
		t.Fatal(err)
	}
	return ev.Detail
}

func gzLogObject(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	fmt.Fprintf(w, `{"Records":[%s]}`, addPermissionDetail(t))
	w.Close()
	return b.Bytes()
}

// TestCheckerTriggers routes each sample event of the function to its
// trigger and checks what was read and found.
func TestCheckerTriggers(t *testing.T) {
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
		"EventBridge CloudTrail event": {event: "eventbridge-addpermission.json", wantTrigger: TriggerEventBridge, wantChecks: []string{"CT003", "CT002"}},
		"S3 notification":              {event: "s3-notification.json", wantTrigger: TriggerS3, wantChecks: []string{"CT003", "CT002"}, wantS3: true},
		"EventBridge Object Created":   {event: "eventbridge-object-created.json", wantTrigger: TriggerS3, wantChecks: []string{"CT003", "CT002"}, wantS3: true},
		"scheduled sweep":              {event: "scheduled-sweep.json", wantTrigger: TriggerLookup, wantChecks: []string{"CT003", "CT002"}, wantLookups: 5},
		"unsupported event":            {raw: []byte(`{"detail-type":"Something Else","source":"x"}`), wantErr: "unsupported event"},
		"not JSON":                     {raw: []byte(`[`), wantErr: "decode event"},
		"bad Object Created detail":    {raw: []byte(`{"detail-type":"Object Created","source":"aws.s3","detail":"x"}`), wantErr: "decode Object Created detail"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ev := tc.raw
			if tc.event != "" {
				ev = functionEvent(t, tc.event)
			}
			s3c := &memS3{objects: map[string][]byte{key: gzLogObject(t)}}
			lk := &memLookup{events: []cttypes.Event{{EventId: aws.String("x"), CloudTrailEvent: aws.String(string(addPermissionDetail(t)))}}}
			res, err := defaultChecker(t, s3c, lk).Analyze(context.Background(), ev)
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
			for _, f := range res.Fresh {
				checks = append(checks, f.Check)
				if f.Check == "CT003" && f.Resource != "arn:aws:lambda:eu-west-1:111122223333:function:orders-api" {
					t.Errorf("CT003 resource = %s", f.Resource)
				}
				if f.Source != FunctionSource {
					t.Errorf("source = %s", f.Source)
				}
			}
			if strings.Join(checks, ",") != strings.Join(tc.wantChecks, ",") || res.Found != len(tc.wantChecks) {
				t.Errorf("fresh %v (found %d), want %v", checks, res.Found, tc.wantChecks)
			}
			if tc.wantS3 && (len(s3c.asked) != 1 || s3c.asked[0] != key) {
				t.Errorf("S3 asked for %v, want %s", s3c.asked, key)
			}
			if lk.calls != tc.wantLookups {
				t.Errorf("%d LookupEvents calls, want %d", lk.calls, tc.wantLookups)
			}
		})
	}
}

func TestCheckerMissingObjectIsAnError(t *testing.T) {
	t.Parallel()
	_, err := defaultChecker(t, &memS3{}, &memLookup{}).Analyze(context.Background(), functionEvent(t, "s3-notification.json"))
	if err == nil || !strings.Contains(err.Error(), "NoSuchKey") {
		t.Fatalf("err = %v, want the S3 error", err)
	}
}

func TestFunctionConfigFromEnv(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env     map[string]string
		wantErr []string
	}{
		"defaults":      {env: map[string]string{}},
		"full":          {env: map[string]string{"PIPELINE_PRINCIPALS": "arn:aws:iam::1:role/a, arn:aws:iam::1:role/b", "BURST_THRESHOLD": "20", "BURST_WINDOW": "10m", "BASELINE_SOURCE": "s3", "BASELINE_TABLE": "t", "TRUSTED_ACCOUNTS": "444455556666,777788889999", "TRAIL_BUCKETS": "org-trail"}},
		"bad threshold": {env: map[string]string{"BURST_THRESHOLD": "many"}, wantErr: []string{`BURST_THRESHOLD="many": want a positive whole number`}},
		"bad window":    {env: map[string]string{"SWEEP_WINDOW": "-1m"}, wantErr: []string{`SWEEP_WINDOW="-1m": want a positive duration`}},
		"bad source":    {env: map[string]string{"BASELINE_SOURCE": "kinesis"}, wantErr: []string{`BASELINE_SOURCE="kinesis": want one of eventbridge, s3, lookup`}},
		"every error":   {env: map[string]string{"BURST_THRESHOLD": "0", "DEDUPE_WINDOW": "1d"}, wantErr: []string{"BURST_THRESHOLD", "DEDUPE_WINDOW"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := FunctionConfigFromEnv(func(k string) string { return tc.env[k] })
			if len(tc.wantErr) > 0 {
				for _, want := range tc.wantErr {
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("err = %v, want %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name == "full" && (len(c.Rules.PipelinePrincipals) != 2 || c.Rules.BurstThreshold != 20 || c.Rules.BurstWindow != 10*time.Minute || c.BaselineSource != TriggerS3 || c.BaselineTable != "t" ||
				len(c.Rules.TrustedAccounts) != 2 || len(c.Rules.TrailBuckets) != 1) {
				t.Errorf("config = %+v", c)
			}
			if name == "defaults" && (c.BaselineSource != TriggerEventBridge || len(c.SweepSources) != 5 || c.DedupeWindow != 24*time.Hour || c.SweepWindow != 20*time.Minute || c.BaselineTable != "") {
				t.Errorf("defaults = %+v", c)
			}
		})
	}
}

// FuzzCheckerRoute: routing never panics, and an event it accepts names
// one of the three triggers.
func FuzzCheckerRoute(f *testing.F) {
	for _, name := range []string{"eventbridge-addpermission.json", "s3-notification.json", "eventbridge-object-created.json", "scheduled-sweep.json"} {
		f.Add(functionEvent(f, name))
	}
	f.Add([]byte(`{"Records":[{"eventSource":"aws:s3"}]}`))
	f.Add([]byte(`{"detail-type":"Object Created","source":"aws.s3","detail":null}`))
	c := &Checker{}
	f.Fuzz(func(t *testing.T, raw []byte) {
		trigger, run, err := c.route(context.Background(), raw, time.Unix(0, 0))
		if err != nil {
			return
		}
		if run == nil || (trigger != TriggerEventBridge && trigger != TriggerS3 && trigger != TriggerLookup) {
			t.Fatalf("route(%q) = %q, runner %v", raw, trigger, run != nil)
		}
	})
}
