package replay

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/selfaudit/selfaudit/shared/awsid"
)

// QueueRef names an SQS queue given either as a URL or as an ARN. Exactly
// one of URL and ARN is set; an ARN is turned into a URL with GetQueueUrl.
type QueueRef struct {
	URL     string
	ARN     string
	Name    string
	Account string
}

// IsFIFO reports whether the queue's name marks it as FIFO.
func (q QueueRef) IsFIFO() bool { return strings.HasSuffix(q.Name, ".fifo") }

// The name rules below are plain loops rather than regular expressions:
// bounded repetitions such as {1,75} compile into large programs, and
// compiling them at package initialisation cost every cold start of the
// replayer several milliseconds.

// isName reports whether s is 1 to max letters, digits, hyphens and
// underscores: the alphabet of queue names, function names and aliases.
func isName(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isQueueName: up to 80 characters, of which a FIFO queue's ".fifo"
// suffix is five.
func isQueueName(s string) bool {
	if base, ok := strings.CutSuffix(s, ".fifo"); ok {
		return isName(base, 75)
	}
	return isName(s, 80)
}

// isQualifier: $LATEST, a version number or an alias name.
func isQualifier(s string) bool { return s == "$LATEST" || isName(s, 128) }

// ParseQueue accepts https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (any
// host, so emulators work) or arn:PARTITION:sqs:REGION:ACCOUNT:NAME.
func ParseQueue(s string) (QueueRef, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "arn:") {
		a, err := arn.Parse(s)
		if err != nil {
			return QueueRef{}, fmt.Errorf("queue ARN %q: %w", s, err)
		}
		if a.Service != "sqs" {
			return QueueRef{}, fmt.Errorf("queue ARN %q names a %s resource, not an SQS queue", s, a.Service)
		}
		if !awsid.IsAccountID(a.AccountID) || !isQueueName(a.Resource) {
			return QueueRef{}, fmt.Errorf("queue ARN %q: want arn:aws:sqs:REGION:ACCOUNT:NAME", s)
		}
		return QueueRef{ARN: s, Name: a.Resource, Account: a.AccountID}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return QueueRef{}, fmt.Errorf("queue URL %q: %w", s, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return QueueRef{}, fmt.Errorf("queue %q is neither an https queue URL nor an SQS ARN", s)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 || !isQueueName(parts[1]) || parts[0] == "" || u.RawQuery != "" || u.Fragment != "" {
		return QueueRef{}, fmt.Errorf("queue URL %q: want https://HOST/ACCOUNT/NAME", s)
	}
	return QueueRef{URL: s, Name: parts[1], Account: parts[0]}, nil
}

// TargetKind says where a message goes.
type TargetKind int

// Target kinds.
const (
	TargetNone TargetKind = iota
	TargetLambda
	TargetQueue
)

// Target is a parsed replay target.
type Target struct {
	Kind TargetKind
	// ARN is the target as given (for a Lambda function, with qualifier).
	ARN string
	// Function is the function ARN without qualifier; Qualifier is the
	// version or alias, empty for the unqualified function.
	Function  string
	Qualifier string
	Queue     QueueRef
}

// String is the target as it appears in logs and reports.
func (t Target) String() string {
	switch t.Kind {
	case TargetLambda:
		return t.ARN
	case TargetQueue:
		if t.Queue.ARN != "" {
			return t.Queue.ARN
		}
		return t.Queue.URL
	}
	return ""
}

// ParseTarget accepts a Lambda function ARN, optionally qualified
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]), or an SQS queue
// ARN or URL. Any other ARN (a layer, an SNS topic, an event source mapping)
// is an error.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "arn:") {
		q, err := ParseQueue(s)
		if err != nil {
			return Target{}, fmt.Errorf("target %q is neither a Lambda function ARN nor an SQS queue: %w", s, err)
		}
		return Target{Kind: TargetQueue, ARN: s, Queue: q}, nil
	}
	a, err := arn.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("target ARN %q: %w", s, err)
	}
	switch a.Service {
	case "sqs":
		q, err := ParseQueue(s)
		if err != nil {
			return Target{}, err
		}
		return Target{Kind: TargetQueue, ARN: s, Queue: q}, nil
	case "lambda":
		return parseFunctionARN(s, a)
	}
	return Target{}, fmt.Errorf("target ARN %q names a %s resource; want a Lambda function or an SQS queue", s, a.Service)
}

func parseFunctionARN(s string, a arn.ARN) (Target, error) {
	parts := strings.Split(a.Resource, ":")
	if parts[0] != "function" || len(parts) < 2 || len(parts) > 3 {
		return Target{}, fmt.Errorf("target ARN %q is a Lambda %s, not a function", s, parts[0])
	}
	if !awsid.IsAccountID(a.AccountID) || a.Region == "" || !isName(parts[1], 64) {
		return Target{}, fmt.Errorf("target ARN %q: want arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]", s)
	}
	t := Target{Kind: TargetLambda, ARN: s}
	base := a
	base.Resource = "function:" + parts[1]
	t.Function = base.String()
	if len(parts) == 3 {
		if !isQualifier(parts[2]) {
			return Target{}, fmt.Errorf("target ARN %q: qualifier %q is not a version or alias", s, parts[2])
		}
		t.Qualifier = parts[2]
	}
	return t, nil
}
