package suppress

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/selfaudit/selfaudit/internal/awsfake"
)

// endpoints is an environment source as shared/awsconfig builds one.
type endpoints map[string]string

func (e endpoints) GetServiceBaseEndpoint(_ context.Context, id string) (string, bool, error) {
	u, ok := e[id]
	return u, ok, nil
}

// TestSSMWire reads a parameter from the SSM fake, which speaks SSM's JSON
// 1.1 wire format: the endpoint comes from the config's sources, a missing
// parameter is SSM's ParameterNotFound, and throttling is retried.
func TestSSMWire(t *testing.T) {
	t.Parallel()
	fake := awsfake.NewSSM()
	fake.Put("/selfaudit/suppressions", oneRule)
	srv := awsfake.Serve(t, fake)
	cfg := aws.Config{Region: "eu-west-1", RetryMaxAttempts: 3,
		Credentials:   credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		ConfigSources: []any{endpoints{"SSM": srv.URL(fake)}}}
	w := newSSMWire(cfg)
	w.sleep = func(time.Duration) {}
	ctx := context.Background()
	v, err := w.GetParameterValue(ctx, "/selfaudit/suppressions")
	if err != nil || v != oneRule {
		t.Fatalf("value %q, %v", v, err)
	}
	_, err = w.GetParameterValue(ctx, "/nope")
	var se *ssmError
	if !errors.As(err, &se) || se.Code != "ParameterNotFound" {
		t.Fatalf("missing parameter: %v", err)
	}
	fake.SetError("GetParameter", &awsfake.APIError{Status: http.StatusBadRequest, Type: "ThrottlingException", Message: "slow down", Times: 2})
	if v, err := w.GetParameterValue(ctx, "/selfaudit/suppressions"); err != nil || v != oneRule {
		t.Fatalf("after two throttles: %q, %v", v, err)
	}
	fake.SetError("GetParameter", &awsfake.APIError{Status: http.StatusInternalServerError, Type: "InternalServerError", Message: "down"})
	if _, err := w.GetParameterValue(ctx, "/selfaudit/suppressions"); err == nil || !strings.Contains(err.Error(), "InternalServerError") {
		t.Fatalf("persistent failure: %v", err)
	}
}

func TestSSMWireEndpoint(t *testing.T) {
	t.Parallel()
	if got := newSSMWire(aws.Config{Region: "us-east-2"}).endpoint; got != "https://ssm.us-east-2.amazonaws.com" {
		t.Errorf("default endpoint %s", got)
	}
	if got := newSSMWire(aws.Config{Region: "us-east-2", BaseEndpoint: aws.String("http://localhost:1")}).endpoint; got != "http://localhost:1" {
		t.Errorf("base endpoint %s", got)
	}
}
