package orgaudit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// DefaultRoleName is the member role org/member-role.yaml creates.
const DefaultRoleName = "selfaudit-audit"

// NotCoveredError is an account the worker may not enter: its member role
// is missing or denies this caller. The unit is recorded not covered
// with Reason; retrying would not help.
type NotCoveredError struct {
	Account, Reason string
}

func (e *NotCoveredError) Error() string {
	return "account " + e.Account + " not covered: " + e.Reason
}

// Roles hands out an aws.Config per account and region, with the
// credentials of the member role assumed in the account. Credentials are
// cached per account until ExpiryWindow before they expire; a denial is
// remembered for DenialTTL, so the other units of an account without a
// role do not each ask STS. Safe for concurrent use.
type Roles struct {
	STS AssumeRoleAPI
	// Base is the configuration the per-account ones copy (retryer, HTTP
	// client, endpoints).
	Base aws.Config
	// RoleName is the member role's name; default DefaultRoleName.
	RoleName string
	// ExternalID is passed as sts:ExternalId when set.
	ExternalID string
	// Partition of the role ARNs; default "aws".
	Partition string
	// SessionName names the sessions in the member accounts' CloudTrail;
	// default "selfaudit".
	SessionName string
	// Duration of a session; default one hour.
	Duration time.Duration
	// ExpiryWindow is how long before expiry cached credentials are
	// renewed; default 5 minutes.
	ExpiryWindow time.Duration
	// DenialTTL is how long a denial is remembered; default 1 minute.
	DenialTTL time.Duration
	// Retryer is the retryer of the member accounts' clients; default
	// UnitRetryer.
	Retryer func() aws.Retryer
	Now     func() time.Time

	mu      sync.Mutex
	caches  map[string]*aws.CredentialsCache
	denials map[string]denial
	calls   int
}

type denial struct {
	err   *NotCoveredError
	until time.Time
}

func (r *Roles) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Calls is the number of AssumeRole calls made, for the bench.
func (r *Roles) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// RoleARN is the member role's ARN in account.
func (r *Roles) RoleARN(account string) string {
	p, name := r.Partition, r.RoleName
	if p == "" {
		p = "aws"
	}
	if name == "" {
		name = DefaultRoleName
	}
	return "arn:" + p + ":iam::" + account + ":role/" + name
}

// Config returns the configuration of account and region with the member
// role's credentials, retrieved now so that a missing or denied role is
// told here, as a *NotCoveredError.
func (r *Roles) Config(ctx context.Context, account, region string) (aws.Config, error) {
	r.mu.Lock()
	if d, ok := r.denials[account]; ok && r.now().Before(d.until) {
		r.mu.Unlock()
		return aws.Config{}, d.err
	}
	if r.caches == nil {
		r.caches, r.denials = map[string]*aws.CredentialsCache{}, map[string]denial{}
	}
	c := r.caches[account]
	if c == nil {
		window := r.ExpiryWindow
		if window <= 0 {
			window = 5 * time.Minute
		}
		c = aws.NewCredentialsCache(&assumer{roles: r, account: account}, func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = window
		})
		r.caches[account] = c
	}
	r.mu.Unlock()
	if _, err := c.Retrieve(ctx); err != nil {
		var nc *NotCoveredError
		if errors.As(err, &nc) {
			ttl := r.DenialTTL
			if ttl <= 0 {
				ttl = time.Minute
			}
			r.mu.Lock()
			r.denials[account] = denial{err: nc, until: r.now().Add(ttl)}
			r.mu.Unlock()
			return aws.Config{}, nc
		}
		return aws.Config{}, err
	}
	cfg := r.Base.Copy()
	cfg.Region = region
	cfg.Credentials = c
	cfg.Retryer = r.Retryer
	if cfg.Retryer == nil {
		cfg.Retryer = UnitRetryer
	}
	cfg.RetryMaxAttempts = 0
	return cfg, nil
}

// UnitRetryer is the SDK's adaptive retryer for a unit's clients, which
// slows a client's calls down as throttling answers come back, without
// the retry quota of the SDK's default: that quota (500 tokens, 5 a
// retry) protects a service from one client's retry storm, but a unit's
// clients talk to one member account whose per-account rate they share
// with nobody else of this run, and giving up there fails the whole unit,
// which SQS then runs again from the start. Ten attempts with backoff up
// to 20 s ride out the account's token bucket.
func UnitRetryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = 10
			so.MaxBackoff = 20 * time.Second
			so.RateLimiter = ratelimit.None
		})
	})
}

// assumer is the credentials provider of one account.
type assumer struct {
	roles   *Roles
	account string
}

func (a *assumer) Retrieve(ctx context.Context) (aws.Credentials, error) {
	r := a.roles
	in := AssumeRoleInput{RoleARN: r.RoleARN(a.account), SessionName: r.SessionName, ExternalID: r.ExternalID, Duration: r.Duration}
	if in.SessionName == "" {
		in.SessionName = "selfaudit"
	}
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
	c, err := r.STS.AssumeRole(ctx, in)
	if err != nil {
		if reason, ok := denied(err); ok {
			return aws.Credentials{}, &NotCoveredError{Account: a.account, Reason: "cannot assume " + in.RoleARN + ": " + reason}
		}
		return aws.Credentials{}, fmt.Errorf("assume %s: %w", in.RoleARN, err)
	}
	c.Source, c.AccountID = "orgaudit", a.account
	return c, nil
}

// denied reports whether err is an answer that says the role cannot be
// assumed by this caller (missing role, trust policy or external ID that
// does not match, an SCP) or that the account's STS region is off:
// outcomes of the account's set-up that no retry changes.
func denied(err error) (string, bool) {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return "", false
	}
	switch ae.ErrorCode() {
	case "AccessDenied", "AccessDeniedException", "RegionDisabledException", "NoSuchEntity":
		return ae.ErrorCode() + ": " + strings.TrimSpace(ae.ErrorMessage()), true
	}
	return "", false
}
