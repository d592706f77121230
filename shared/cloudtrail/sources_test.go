package cloudtrail

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	ct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/time/rate"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/internal/testenv"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/progress"
)

const openPermission = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},"eventTime":"2026-11-20T10:00:00Z","eventSource":"lambda.amazonaws.com","eventName":"AddPermission20150331v2","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.1","userAgent":"aws-cli/2.15","requestParameters":{"functionName":"orders-api","statementId":"open","action":"lambda:InvokeFunction","principal":"*"},"responseElements":null,"eventID":"%s","recipientAccountId":"111122223333"}`

func openPermissionWithID(id string) string { return strings.Replace(openPermission, "%s", id, 1) }

// lookupServer is the CloudTrail fake serving, for each event source the
// analyzer asks for, pages of two events: an AddPermission that opens a
// function and a record that is not JSON.
func lookupServer(pages int, sources ...string) *awsfake.CloudTrail {
	srv := awsfake.NewCloudTrail()
	srv.PageSize = 2
	for _, src := range sources {
		for page := range pages {
			srv.Events = append(srv.Events,
				awsfake.LookupEvent{EventId: "e", EventName: "AddPermission20150331v2", EventSource: src, EventTime: 1.7636e9, CloudTrailEvent: openPermissionWithID("lookup-" + string(rune('a'+page)))},
				awsfake.LookupEvent{EventId: "bad", EventSource: src, CloudTrailEvent: "{not json"})
		}
	}
	return srv
}

func TestLookupPagesAndRate(t *testing.T) {
	testenv.FakeAWSEnv(t)
	srv := lookupServer(3, "lambda.amazonaws.com", "iam.amazonaws.com")
	awsfake.Serve(t, srv).Setenv(t)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := ct.NewFromConfig(cfg)
	a := NewAnalyzer(Options{Source: "test"})
	lim := rate.NewLimiter(rate.Limit(LookupRate), 1)
	start := time.Now()
	var updates []progress.Update
	err = a.Lookup(context.Background(), client, LookupOptions{
		Start: start.Add(-time.Hour), End: start, EventSources: []string{"lambda.amazonaws.com", "iam.amazonaws.com"}, Limiter: lim,
		Progress: func(u progress.Update) { updates = append(updates, u) },
	})
	if err != nil {
		t.Fatal(err)
	}
	fs, st, err := a.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	calls := srv.Lookups()
	if len(calls) != 6 {
		t.Fatalf("%d LookupEvents calls, want 3 pages x 2 sources", len(calls))
	}
	var sources []string
	for _, c := range calls {
		for _, a := range c.Attributes {
			sources = append(sources, a.AttributeValue)
		}
	}
	if elapsed := calls[len(calls)-1].At.Sub(calls[0].At); elapsed < 2200*time.Millisecond {
		t.Errorf("6 calls took %v; at 2 calls/s the last comes 2.5s after the first", elapsed)
	}
	if st.Records != 6 || st.Malformed != 6 {
		t.Errorf("stats = %+v, want 6 records and 6 malformed", st)
	}
	// The three events share check, function, principal and hour, so they
	// fold into one CT003 and one CT002. The fake answers both event
	// sources with the same events: each is read twice and counted as read,
	// and listed once among the samples.
	if len(fs) != 2 || fs[0].Check != "CT003" || fs[1].Check != "CT002" {
		t.Fatalf("findings = %+v, want one CT003 and one CT002 folding the 3 events", fs)
	}
	for _, f := range fs {
		if n := f.Evidence[rules.EvidenceOccurrences]; n != int64(6) {
			t.Errorf("%s occurrences = %v, want 6 (3 events read twice)", f.Check, n)
		}
		if ids := fmt.Sprint(f.Evidence[rules.EvidenceSampleEventIDs]); ids != "[lookup-a lookup-b lookup-c]" {
			t.Errorf("%s sample event IDs = %s, want the 3 distinct IDs", f.Check, ids)
		}
	}
	if strings.Join(sources, ",") != "lambda.amazonaws.com,lambda.amazonaws.com,lambda.amazonaws.com,iam.amazonaws.com,iam.amazonaws.com,iam.amazonaws.com" {
		t.Errorf("lookup attributes = %v", sources)
	}
	// One update per page of each sweep, the last of each covering the
	// whole hour.
	if len(updates) != 6 {
		t.Fatalf("%d progress updates, want one per page: %+v", len(updates), updates)
	}
	for i, u := range updates {
		if u.Total != 3600 || u.Unit != "seconds" || u.Stage != []string{"lambda.amazonaws.com", "iam.amazonaws.com"}[i/3] || u.Done > u.Total {
			t.Errorf("update %d: %+v", i, u)
		}
		if i%3 == 2 && (u.Done != 3600 || u.Detail != "6 events") {
			t.Errorf("end of sweep %d: %+v, want the whole hour and 6 events", i/3+1, u)
		}
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
