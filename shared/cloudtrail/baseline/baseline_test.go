package baseline

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
)

// newTable creates a fresh table in dynalite with the schema the README
// documents, and returns a store on it.
func newTable(t *testing.T) *Store {
	t.Helper()
	ep := testenv.DynaliteEndpoint(t)
	testenv.FakeAWSEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ep)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := dynamodb.NewFromConfig(cfg)
	name := fmt.Sprintf("baseline-%s-%d", t.Name(), time.Now().UnixNano())
	name = sanitize(name)
	if err := CreateTable(ctx, client, name); err != nil {
		t.Fatal(err)
	}
	// dynalite, like DynamoDB, creates tables asynchronously.
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return &Store{Client: client, Table: name}
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '-'
		}
	}
	if len(b) > 200 {
		b = b[len(b)-200:]
	}
	return string(b)
}

func TestConcurrentRateUpdatesLoseNoCount(t *testing.T) {
	st := newTable(t)
	ctx := context.Background()
	hour := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	const goroutines, adds = 8, 25
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range adds {
				if _, err := st.AddRate(ctx, "arn:aws:iam::1:user/u", "lambda:Invoke", hour.Add(time.Duration(g)*time.Minute), Counts{Calls: 2, Errors: 1}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got, err := st.AddRate(ctx, "arn:aws:iam::1:user/u", "lambda:Invoke", hour, Counts{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{Calls: 2 * goroutines * adds, Errors: goroutines * adds}); got != want {
		t.Fatalf("counts = %+v, want %+v", got, want)
	}
}

func TestConcurrentNewSourceReportedOnce(t *testing.T) {
	st := newTable(t)
	ctx := context.Background()
	var news atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			isNew, err := st.TouchSource(ctx, "p", "network", "203.0.113.0/24", time.Now())
			if err != nil {
				t.Error(err)
			}
			if isNew {
				news.Add(1)
			}
		}()
	}
	wg.Wait()
	if news.Load() != 1 {
		t.Fatalf("%d callers saw the source as new, want exactly 1", news.Load())
	}
}

func TestConcurrentWindowCounts(t *testing.T) {
	st := newTable(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := st.AddAccessErrors(ctx, "p", start, 1, []string{"GetObject"}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	total, err := st.AddAccessErrors(ctx, "p", start, 0, nil)
	if err != nil || total != 30 {
		t.Fatalf("total = %d, %v; want 30", total, err)
	}
}

func TestFirstPublish(t *testing.T) {
	st := newTable(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Time
		want bool
	}{{now, true}, {now.Add(time.Minute), false}, {now.Add(25 * time.Hour), true}}
	for i, s := range steps {
		got, err := st.FirstPublish(ctx, "abc", s.at, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if got != s.want {
			t.Errorf("step %d: FirstPublish = %v, want %v", i, got, s.want)
		}
	}
}

func mkRecord(principal, ip, region, ua, name string, at time.Time, failed bool) *record.Record {
	r := &record.Record{EventSource: "lambda.amazonaws.com", EventName: name, EventTime: at, AWSRegion: region,
		SourceIPAddress: ip, UserAgent: ua, EventID: fmt.Sprint(at.UnixNano())}
	r.UserIdentity = record.UserIdentity{Type: "AssumedRole", ARN: principal, AccountID: "111122223333"}
	if failed {
		r.ErrorCode = "ThrottlingException"
	}
	return r
}

// TestTrackerLearnsThenReports builds ten days of ordinary behaviour, then
// feeds an hour with a new network and fifty times the usual calls.
func TestTrackerLearnsThenReports(t *testing.T) {
	st := newTable(t)
	ctx := context.Background()
	p := "arn:aws:sts::111122223333:assumed-role/ops/alice"
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tr := &Tracker{Store: st, Source: "test"}
	// Learning: new sources and busy hours are recorded, not reported.
	for d := range 10 {
		for h := 8; h < 18; h++ {
			at := start.Add(time.Duration(d*24+h) * time.Hour)
			for i := range 3 {
				tr.Observe(mkRecord(p, "198.51.100.7", "eu-west-1", "aws-cli/2.15", "GetFunction20150331v2", at.Add(time.Duration(i)*time.Minute), false))
			}
		}
		fs, err := tr.Flush(ctx, start.Add(time.Duration(d)*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if d < 7 && len(fs) > 0 {
			t.Fatalf("day %d (learning): unexpected findings %+v", d, fs)
		}
	}
	// Day 11: same habits, no findings.
	day := start.Add(10 * 24 * time.Hour)
	for i := range 3 {
		tr.Observe(mkRecord(p, "198.51.100.9", "eu-west-1", "aws-cli/2.16", "GetFunction20150331v2", day.Add(9*time.Hour+time.Duration(i)*time.Minute), false))
	}
	if fs, err := tr.Flush(ctx, day); err != nil || len(fs) != 0 {
		t.Fatalf("ordinary day: findings %+v, err %v", fs, err)
	}
	// Then an hour from a new network with 150 calls.
	at := day.Add(14 * time.Hour)
	for i := range 150 {
		tr.Observe(mkRecord(p, "203.0.113.50", "eu-west-1", "aws-cli/2.16", "GetFunction20150331v2", at.Add(time.Duration(i)*time.Second), false))
	}
	fs, err := tr.Flush(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range fs {
		if err := f.Validate(); err != nil {
			t.Error(err)
		}
		got[f.Check]++
		if f.Resource != p {
			t.Errorf("resource = %s, want %s", f.Resource, p)
		}
	}
	if got["CT009"] != 1 || got["CT010"] != 1 {
		t.Fatalf("findings by check = %v, want one CT009 (new network) and one CT010 (calls)\n%+v", got, fs)
	}
	// A different principal seen for the first time now is learning.
	tr.Observe(mkRecord("arn:aws:iam::111122223333:user/new", "192.0.2.1", "us-east-1", "Boto3/1.34", "ListFunctions20150331", at, false))
	if fs, err := tr.Flush(ctx, at); err != nil || len(fs) != 0 {
		t.Fatalf("new principal: findings %+v, err %v", fs, err)
	}
}

func TestRobustZ(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		x        float64
		hist     []float64
		wantHigh bool
	}{
		"spike over flat zero":   {x: 100, hist: make([]float64, 48), wantHigh: true},
		"usual value":            {x: 5, hist: []float64{4, 5, 6, 5, 4, 6, 5}},
		"one old spike":          {x: 300, hist: []float64{3, 3, 4, 2, 3, 250, 3, 3}, wantHigh: true},
		"noisy history tolerant": {x: 60, hist: []float64{10, 80, 20, 70, 30, 60, 40, 50}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			z, _, _, _ := RobustZ(tc.x, tc.hist)
			if (z >= 6) != tc.wantHigh {
				t.Errorf("z = %.1f, want high=%v", z, tc.wantHigh)
			}
		})
	}
}

func TestNetworkAndAgent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"198.51.100.77": "198.51.100.0/24", "2001:db8:1:2::5": "2001:db8:1::/48",
		"lambda.amazonaws.com": "lambda.amazonaws.com", "AWS Internal": "AWS Internal",
	} {
		if got := Network(in); got != want {
			t.Errorf("Network(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"aws-cli/2.15.30 Python/3.11.8": "aws-cli", "console.amazonaws.com": "console.amazonaws.com",
		"Boto3/1.34.0 md/Botocore#1.34": "Boto3", "Mozilla/5.0 (X11)": "Mozilla",
	} {
		if got := AgentFamily(in); got != want {
			t.Errorf("AgentFamily(%q) = %q, want %q", in, got, want)
		}
	}
}
