package awsconfig

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestLambda: the configuration comes from the Lambda environment alone,
// and a missing region or credentials is an error naming what is missing.
func TestLambda(t *testing.T) {
	t.Parallel()
	base := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := map[string]struct {
		env        map[string]string
		wantRegion string
		wantErr    string
	}{
		"lambda environment": {env: base, wantRegion: "eu-west-1"},
		"default region":     {env: with("AWS_REGION", ""), wantErr: "AWS_REGION"},
		"AWS_DEFAULT_REGION": {env: func() map[string]string { m := with("AWS_REGION", ""); m["AWS_DEFAULT_REGION"] = "us-west-2"; return m }(), wantRegion: "us-west-2"},
		"no access key":      {env: with("AWS_ACCESS_KEY_ID", ""), wantErr: "AWS_ACCESS_KEY_ID"},
		"no secret":          {env: with("AWS_SECRET_ACCESS_KEY", ""), wantErr: "AWS_SECRET_ACCESS_KEY"},
		"global endpoint":    {env: with("AWS_ENDPOINT_URL", "http://127.0.0.1:1"), wantRegion: "eu-west-1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Lambda(context.Background(), nil, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tc.wantRegion {
				t.Errorf("region = %q, want %q", cfg.Region, tc.wantRegion)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil || creds.AccessKeyID != "AKID" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" {
				t.Errorf("credentials = %+v, %v", creds, err)
			}
			if want := tc.env["AWS_ENDPOINT_URL"]; (cfg.BaseEndpoint != nil) != (want != "") || (want != "" && *cfg.BaseEndpoint != want) {
				t.Errorf("base endpoint = %v, want %q", cfg.BaseEndpoint, want)
			}
			if _, ok := cfg.HTTPClient.(readOnlyBodies); !ok {
				t.Errorf("HTTP client %T lacks the request-body fix", cfg.HTTPClient)
			}
		})
	}
	if _, err := Lambda(context.Background(), nil, func(k string) string { return with("AWS_SECRET_ACCESS_KEY", "")[k] }); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("missing credentials: %v, want ErrNoCredentials", err)
	}
}

// TestLambdaServiceEndpoints sends real SDK calls: a service whose
// AWS_ENDPOINT_URL_<SERVICE ID> is set goes there (the ID upper case with
// spaces as underscores, "CloudWatch Logs" as CLOUDWATCH_LOGS), any other
// to AWS_ENDPOINT_URL, and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns both
// off, as with the SDK's own environment source.
func TestLambdaServiceEndpoints(t *testing.T) {
	t.Parallel()
	hits := map[string]*atomic.Int32{"global": {}, "sqs": {}, "logs": {}}
	server := func(name string) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[name].Add(1)
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Write([]byte(`{}`))
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_ENDPOINT_URL": server("global"), "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": server("logs")}
	cfg, err := Lambda(context.Background(), nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}); err != nil {
		t.Fatalf("CloudWatch Logs: %v", err)
	}
	if _, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("SQS: %v", err)
	}
	if hits["logs"].Load() != 1 || hits["global"].Load() != 1 {
		t.Errorf("calls: logs endpoint %d, global endpoint %d; want 1 each", hits["logs"].Load(), hits["global"].Load())
	}

	env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true"
	ignored, err := Lambda(context.Background(), nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if ignored.BaseEndpoint != nil {
		t.Errorf("base endpoint %q kept although configured endpoints are ignored", *ignored.BaseEndpoint)
	}
	if _, found, _ := (envEndpoints{getenv: func(k string) string { return env[k] }}).GetIgnoreConfiguredEndpoints(ctx); !found {
		t.Error("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS not reported to the service clients")
	}
}
