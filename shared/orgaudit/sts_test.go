package orgaudit_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
)

// TestSTSAgainstFake assumes a member role through the fake STS and is
// refused where the organisation has no role or the external ID differs.
func TestSTSAgainstFake(t *testing.T) {
	t.Parallel()
	org := &awsfake.Organization{Accounts: 10, NoRoleEvery: 5, ExternalID: "ext-1"}
	of, fakes := awsfake.NewOrgFakes(org, awsfake.OrgLimits{MinLatency: time.Microsecond, MaxLatency: 2 * time.Microsecond})
	srv := awsfake.Serve(t, fakes...)
	var stsURL string
	for _, f := range fakes {
		if f.Service() == "STS" {
			stsURL = srv.URL(f)
		}
	}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(stsURL), Credentials: credentials.NewStaticCredentialsProvider("AKIDAUDIT", "s", "")}
	q := orgaudit.NewSTS(cfg)
	roles := &orgaudit.Roles{STS: q, Base: cfg, ExternalID: "ext-1"}
	ctx := context.Background()
	var covered, denied int
	for i := 0; i < 10; i++ {
		a := awsfake.OrgAccount(i)
		c, err := roles.Config(ctx, a, "eu-west-1")
		var nc *orgaudit.NotCoveredError
		switch {
		case errors.As(err, &nc):
			denied++
			if org.HasRole(a) {
				t.Errorf("%s: denied although it has the role: %v", a, err)
			}
		case err != nil:
			t.Fatalf("%s: %v", a, err)
		default:
			covered++
			got, err := c.Credentials.Retrieve(ctx)
			if err != nil || got.AccessKeyID != "ASIA"+a+"FAKE" || !got.CanExpire || c.Region != "eu-west-1" {
				t.Errorf("%s: credentials %+v, %v", a, got, err)
			}
		}
	}
	if covered != 8 || denied != 2 {
		t.Errorf("covered %d, denied %d; want 8 and 2", covered, denied)
	}
	// Cached: a second round asks STS nothing.
	before := of.AssumeRoles.Load()
	for i := 0; i < 10; i++ {
		_, _ = roles.Config(ctx, awsfake.OrgAccount(i), "us-east-1")
	}
	if after := of.AssumeRoles.Load(); after != before {
		t.Errorf("%d AssumeRole calls for cached accounts", after-before)
	}
	_, err := q.AssumeRole(ctx, orgaudit.AssumeRoleInput{RoleARN: "arn:aws:iam::" + awsfake.OrgAccount(0) + ":role/selfaudit-audit", SessionName: "s", ExternalID: "wrong"})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("wrong external ID: %v", err)
	}
}

// TestSTSRetriesThrottling: STS answers Throttling twice, then the
// credentials; the client retries (up to five attempts) instead of failing
// the unit, and passes the external ID and the session's duration.
func TestSTSRetriesThrottling(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>`)
			return
		}
		form = r.PostForm
		_, _ = io.WriteString(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-02T03:04:05Z</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AKIDAUDIT", "s", "")}
	c, err := orgaudit.NewSTS(cfg).AssumeRole(context.Background(), orgaudit.AssumeRoleInput{RoleARN: "arn:aws:iam::123456789012:role/selfaudit-audit", SessionName: "s", ExternalID: "ext", Duration: 15 * time.Minute})
	if err != nil {
		t.Fatalf("after %d calls: %v", calls.Load(), err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3", calls.Load())
	}
	if c.AccessKeyID != "ASIAX" || !c.CanExpire || !c.Expires.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("credentials %+v", c)
	}
	if form.Get("ExternalId") != "ext" || form.Get("DurationSeconds") != "900" || form.Get("RoleSessionName") != "s" {
		t.Errorf("request %v", form)
	}
}
