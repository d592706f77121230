package suppress

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// params is an in-memory GetParameter that counts its calls.
type params struct {
	mu    sync.Mutex
	value string
	err   error
	calls int
}

func (p *params) GetParameterValue(_ context.Context, _ string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.err != nil {
		return "", p.err
	}
	return p.value, nil
}

func (p *params) set(value string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.value, p.err = value, err
}

const oneRule = "suppressions:\n  - check: IAM006\n    reason: r\n"

func TestLoaderCaches(t *testing.T) {
	t.Parallel()
	p := &params{value: oneRule}
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &Loader{SSM: p, Name: "/selfaudit/suppressions", Options: Options{AnyCheck: true}, Now: func() time.Time { return now }}
	ctx := context.Background()
	steps := []struct {
		advance   time.Duration
		value     string
		err       error
		wantRules int
		wantCalls int
	}{
		{0, oneRule, nil, 1, 1},
		{4 * time.Minute, "suppressions: []\n", nil, 1, 1}, // cached
		{time.Minute, "suppressions: []\n", nil, 0, 2},     // five minutes: read again
		{5 * time.Minute, oneRule, errors.New("throttled"), 0, 3},
		{30 * time.Second, oneRule, nil, 0, 3}, // a failed refresh waits a minute
		{30 * time.Second, oneRule, nil, 1, 4},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		p.set(s.value, s.err)
		rules, err := l.Rules(ctx)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if len(rules) != s.wantRules || p.calls != s.wantCalls {
			t.Errorf("step %d: %d rules after %d calls, want %d after %d", i, len(rules), p.calls, s.wantRules, s.wantCalls)
		}
	}
}

func TestLoaderFirstReadFails(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]*params{
		"unreadable": {err: errors.New("AccessDenied")},
		"malformed":  {value: "suppressions:\n  - check: IAM006\n"},
	} {
		l := &Loader{SSM: p, Name: "/s"}
		_, err := l.Matcher(context.Background())
		if err == nil || !strings.Contains(err.Error(), "/s") {
			t.Errorf("%s: err %v, want one naming the parameter", name, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	l, err := FromEnv(aws.Config{Region: "eu-west-1"}, func(string) string { return "" })
	if l != nil || err != nil {
		t.Errorf("unset: %v %v", l, err)
	}
	m, err := l.Matcher(context.Background())
	if m != nil || err != nil {
		t.Errorf("nil loader: %v %v", m, err)
	}
	l, err = FromEnv(aws.Config{Region: "eu-west-1"}, func(k string) string {
		if k == EnvParameter {
			return "/selfaudit/suppressions"
		}
		return ""
	})
	if err != nil || l == nil || l.Name != "/selfaudit/suppressions" || !l.Options.AnyCheck {
		t.Errorf("set: %+v %v", l, err)
	}
}
