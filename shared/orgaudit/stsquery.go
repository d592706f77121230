package orgaudit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
)

// AssumeRoleInput is what a worker asks STS for.
type AssumeRoleInput struct {
	RoleARN, SessionName, ExternalID string
	Duration                         time.Duration
}

// AssumeRoleAPI is the one STS call a worker makes; QuerySTS implements it.
type AssumeRoleAPI interface {
	AssumeRole(ctx context.Context, in AssumeRoleInput) (aws.Credentials, error)
}

// QuerySTS calls sts:AssumeRole in STS's Query protocol (a signed,
// form-encoded POST; an XML answer) without the SDK's STS client, which
// would cost the workers' bootstraps about 230 KB they do not have (see
// shared/internal/initbench, TestBootstrapSize). It uses cfg's
// credentials, HTTP client, region and endpoint (AWS_ENDPOINT_URL_STS, as
// the SDK reads it, else the regional endpoint). Throttling and server
// errors are retried with backoff, up to Attempts (default 5).
type QuerySTS struct {
	Config   aws.Config
	Attempts int
}

var _ AssumeRoleAPI = (*QuerySTS)(nil)

func (q *QuerySTS) endpoint(ctx context.Context) string {
	for _, src := range q.Config.ConfigSources {
		if p, ok := src.(interface {
			GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
		}); ok {
			if u, found, err := p.GetServiceBaseEndpoint(ctx, "STS"); err == nil && found {
				return u
			}
		}
	}
	if q.Config.BaseEndpoint != nil {
		return *q.Config.BaseEndpoint
	}
	return "https://sts." + q.Config.Region + ".amazonaws.com"
}

type stsError struct {
	Error struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
}

type stsAssumed struct {
	Result struct {
		Credentials struct {
			AccessKeyID     string    `xml:"AccessKeyId"`
			SecretAccessKey string    `xml:"SecretAccessKey"`
			SessionToken    string    `xml:"SessionToken"`
			Expiration      time.Time `xml:"Expiration"`
		} `xml:"Credentials"`
	} `xml:"AssumeRoleResult"`
}

// AssumeRole implements AssumeRoleAPI. An error answer is a
// *smithy.GenericAPIError with STS's code, as the SDK would give.
func (q *QuerySTS) AssumeRole(ctx context.Context, in AssumeRoleInput) (aws.Credentials, error) {
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {in.RoleARN}, "RoleSessionName": {in.SessionName}}
	if in.ExternalID != "" {
		form.Set("ExternalId", in.ExternalID)
	}
	if in.Duration > 0 {
		form.Set("DurationSeconds", strconv.Itoa(int(in.Duration/time.Second)))
	}
	body := form.Encode()
	sum := sha256.Sum256([]byte(body))
	attempts := q.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	client := q.Config.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	var last error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return aws.Credentials{}, ctx.Err()
			case <-time.After(time.Duration(100<<attempt) * time.Millisecond):
			}
		}
		creds, err := q.Config.Credentials.Retrieve(ctx)
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("credentials to call STS: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(q.endpoint(ctx), "/")+"/", strings.NewReader(body))
		if err != nil {
			return aws.Credentials{}, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", q.Config.Region, time.Now()); err != nil {
			return aws.Credentials{}, err
		}
		resp, err := client.Do(req)
		if err != nil {
			last = err
			continue
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			last = err
			continue
		}
		if resp.StatusCode != http.StatusOK {
			var e stsError
			_ = xml.Unmarshal(data, &e)
			apiErr := &smithy.GenericAPIError{Code: e.Error.Code, Message: e.Error.Message}
			if apiErr.Code == "" {
				apiErr.Code = "HTTP" + strconv.Itoa(resp.StatusCode)
			}
			last = apiErr
			if resp.StatusCode >= 500 || apiErr.Code == "Throttling" || apiErr.Code == "ThrottlingException" || apiErr.Code == "RequestLimitExceeded" {
				continue
			}
			return aws.Credentials{}, apiErr
		}
		var out stsAssumed
		if err := xml.Unmarshal(data, &out); err != nil {
			return aws.Credentials{}, fmt.Errorf("decode AssumeRole answer: %w", err)
		}
		c := out.Result.Credentials
		if c.AccessKeyID == "" {
			return aws.Credentials{}, fmt.Errorf("AssumeRole answered no credentials")
		}
		return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
			CanExpire: !c.Expiration.IsZero(), Expires: c.Expiration}, nil
	}
	return aws.Credentials{}, last
}
