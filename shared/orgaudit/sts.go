package orgaudit

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// AssumeRoleInput is what a worker asks STS for.
type AssumeRoleInput struct {
	RoleARN, SessionName, ExternalID string
	Duration                         time.Duration
}

// AssumeRoleAPI is the one STS call a worker makes; STS implements it
// over the SDK's client, tests over anything they like.
type AssumeRoleAPI interface {
	AssumeRole(ctx context.Context, in AssumeRoleInput) (aws.Credentials, error)
}

// STSClient is the part of the SDK's STS client that STS calls.
type STSClient interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// STS implements AssumeRoleAPI with the SDK's STS client. An error answer
// is the SDK's (a smithy.APIError with STS's code), which Roles reads to
// tell a denied role from a failure worth retrying.
type STS struct {
	Client STSClient
}

var _ AssumeRoleAPI = (*STS)(nil)

// NewSTS builds STS over cfg (its credentials, region, HTTP client and
// endpoint, AWS_ENDPOINT_URL_STS included). Throttling and server errors
// are retried with backoff up to five attempts, without the retry quota
// of the SDK's default: the coordinator's units of one account all wait
// on the one AssumeRole that the credentials cache shares among them.
func NewSTS(cfg aws.Config) *STS {
	return &STS{Client: sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 5
			so.RateLimiter = ratelimit.None
		})
		o.RetryMaxAttempts = 0
	})}
}

// AssumeRole implements AssumeRoleAPI.
func (s *STS) AssumeRole(ctx context.Context, in AssumeRoleInput) (aws.Credentials, error) {
	req := &sts.AssumeRoleInput{RoleArn: aws.String(in.RoleARN), RoleSessionName: aws.String(in.SessionName)}
	if in.ExternalID != "" {
		req.ExternalId = aws.String(in.ExternalID)
	}
	if in.Duration > 0 {
		req.DurationSeconds = aws.Int32(int32(in.Duration / time.Second))
	}
	out, err := s.Client.AssumeRole(ctx, req)
	if err != nil {
		return aws.Credentials{}, err
	}
	c := out.Credentials
	if c == nil || aws.ToString(c.AccessKeyId) == "" {
		return aws.Credentials{}, fmt.Errorf("AssumeRole answered no credentials")
	}
	creds := aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
	if c.Expiration != nil {
		creds.CanExpire, creds.Expires = true, *c.Expiration
	}
	return creds, nil
}
