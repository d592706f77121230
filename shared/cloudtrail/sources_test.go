package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	ct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/time/rate"

	"github.com/selfaudit/selfaudit/internal/testenv"
)

const openPermission = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},"eventTime":"2026-11-20T10:00:00Z","eventSource":"lambda.amazonaws.com","eventName":"AddPermission20150331v2","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.1","userAgent":"aws-cli/2.15","requestParameters":{"functionName":"orders-api","statementId":"open","action":"lambda:InvokeFunction","principal":"*"},"responseElements":null,"eventID":"%s","recipientAccountId":"111122223333"}`

func openPermissionWithID(id string) string { return strings.Replace(openPermission, "%s", id, 1) }

// lookupServer speaks CloudTrail's AWS JSON 1.1 protocol for LookupEvents,
// serving pages of events and recording when each call arrived.
type lookupServer struct {
	mu      sync.Mutex
	calls   []time.Time
	sources []string
	pages   int
}

func (s *lookupServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The SDK sends the short target; the service also accepts the
	// fully qualified com.amazonaws.cloudtrail.v20131101 form.
	if got := r.Header.Get("X-Amz-Target"); !strings.HasSuffix(got, "CloudTrail_20131101.LookupEvents") {
		http.Error(w, "unexpected target "+got, http.StatusBadRequest)
		return
	}
	var in struct {
		NextToken        string
		LookupAttributes []struct{ AttributeKey, AttributeValue string }
		StartTime        float64
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, time.Now())
	for _, a := range in.LookupAttributes {
		s.sources = append(s.sources, a.AttributeValue)
	}
	s.mu.Unlock()
	page := 0
	if in.NextToken != "" {
		page = int(in.NextToken[0] - '0')
	}
	out := map[string]any{}
	ev := openPermissionWithID("lookup-" + string(rune('a'+page)))
	out["Events"] = []map[string]any{
		{"EventId": "e", "EventName": "AddPermission20150331v2", "EventTime": 1.7636e9, "CloudTrailEvent": ev},
		{"EventId": "bad", "CloudTrailEvent": "{not json"},
	}
	if page+1 < s.pages {
		out["NextToken"] = string(rune('0' + page + 1))
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func TestLookupPagesAndRate(t *testing.T) {
	testenv.FakeAWSEnv(t)
	srv := &lookupServer{pages: 3}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", hs.URL)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := ct.NewFromConfig(cfg)
	a := NewAnalyzer(Options{Source: "test"})
	lim := rate.NewLimiter(rate.Limit(LookupRate), 1)
	start := time.Now()
	err = a.Lookup(context.Background(), client, LookupOptions{
		Start: start.Add(-time.Hour), End: start, EventSources: []string{"lambda.amazonaws.com", "iam.amazonaws.com"}, Limiter: lim,
	})
	if err != nil {
		t.Fatal(err)
	}
	fs, st, err := a.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.calls) != 6 {
		t.Fatalf("%d LookupEvents calls, want 3 pages x 2 sources", len(srv.calls))
	}
	if elapsed := srv.calls[len(srv.calls)-1].Sub(srv.calls[0]); elapsed < 2200*time.Millisecond {
		t.Errorf("6 calls took %v; at 2 calls/s the last comes 2.5s after the first", elapsed)
	}
	if st.Records != 6 || st.Malformed != 6 {
		t.Errorf("stats = %+v, want 6 records and 6 malformed", st)
	}
	if len(fs) != 6 || fs[0].Check != "CT003" {
		t.Errorf("findings = %+v, want CT003 and CT002 for each of 3 distinct event IDs", fs)
	}
	if strings.Join(srv.sources, ",") != "lambda.amazonaws.com,lambda.amazonaws.com,lambda.amazonaws.com,iam.amazonaws.com,iam.amazonaws.com,iam.amazonaws.com" {
		t.Errorf("lookup attributes = %v", srv.sources)
	}
}

// TestS3ObjectFromFauxqs stores a gzip log file in fauxqs's S3 and reads
// it through the real SDK client.
func TestS3ObjectFromFauxqs(t *testing.T) {
	ep := testenv.FauxqsEndpoint(t)
	testenv.FakeAWSEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_S3", ep)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := "trail-" + strings.ToLower(strings.ReplaceAll(time.Now().Format("150405.000000"), ".", ""))
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	body.WriteString(`{"Records":[`)
	for i := range 500 {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString(rec(i, "GetFunction20150331v2"))
	}
	body.WriteString("," + openPermissionWithID("s3-planted") + "]}")
	key := "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/20/111122223333_CloudTrail_eu-west-1_20261120T1000Z_x.json.gz"
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte(gz(body.String())))}); err != nil {
		t.Fatal(err)
	}
	a := NewAnalyzer(Options{Source: "test"})
	if err := a.ReadS3Object(ctx, client, bucket, key); err != nil {
		t.Fatal(err)
	}
	fs, st, err := a.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 501 || len(fs) == 0 || fs[0].Check != "CT003" {
		t.Fatalf("records %d, findings %+v; want 501 records and the planted CT003 first", st.Records, fs)
	}
	if err := a.ReadS3Object(ctx, client, bucket, "missing.json.gz"); err == nil {
		t.Fatal("reading a missing object succeeded")
	}
}
