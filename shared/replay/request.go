package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Defaults and limits of a Request. A zero field takes its default, so the
// smallest useful request is {"queueUrl": "..."}.
const (
	DefaultMaxMessages       = 1000
	MaxMaxMessages           = 1_000_000
	DefaultMaxReplays        = 3
	MaxMaxReplays            = 1000
	DefaultVisibilityTimeout = 30
	// MaxVisibilityTimeout is SQS's own limit (12 hours).
	MaxVisibilityTimeout = 43200
	maxRequestBytes      = 64 << 10
)

// ErrBadRequest marks a request that was rejected before anything was
// touched: malformed JSON, an unknown field, a negative number, a target ARN
// of the wrong kind.
var ErrBadRequest = errors.New("bad replay request")

// Request is the replay request (docs/architecture.md, "Replay
// guarantees"); the dlq-replayer function
// receives it as its event and `selfaudit replay` builds it from flags.
type Request struct {
	// QueueURL is the dead-letter queue, as a queue URL or a queue ARN.
	QueueURL string `json:"queueUrl"`
	// Target is a Lambda function ARN (qualifier kept) or an SQS queue ARN
	// or URL. Empty means "the function an on-failure record names".
	Target string `json:"target,omitempty"`
	// MaxMessages bounds how many messages one run receives (default 1000).
	MaxMessages int `json:"maxMessages,omitempty"`
	// RatePerSecond limits deliveries to the target; 0 is unlimited.
	RatePerSecond float64 `json:"ratePerSecond,omitempty"`
	// DryRun looks at messages, reports what would happen and changes
	// nothing: the messages it looked at become visible again at the end.
	DryRun bool `json:"dryRun,omitempty"`
	// MaxReplays is how many times one message may be replayed (default 3).
	MaxReplays int `json:"maxReplays,omitempty"`
	// VisibilityTimeout is how long, in seconds, a received message stays
	// hidden while it is delivered (default 30).
	VisibilityTimeout int `json:"visibilityTimeout,omitempty"`
	// Filter selects messages; the others are left in the queue.
	Filter Filter `json:"filter,omitempty"`
}

// Filter selects which messages are replayed. Empty fields match anything.
type Filter struct {
	// ErrorCode matches the ErrorCode attribute of a Lambda DLQ message,
	// or the status code or errorType of an on-failure record.
	ErrorCode string `json:"errorCode,omitempty"`
	// BodyContains matches a substring of the message body.
	BodyContains string `json:"bodyContains,omitempty"`
}

// Result is the outcome of one run (docs/architecture.md, "Replay
// guarantees"). DryRunReport is present only for dry runs.
type Result struct {
	Received        int           `json:"received"`
	Replayed        int           `json:"replayed"`
	Failed          int           `json:"failed"`
	Skipped         int           `json:"skipped"`
	Parked          int           `json:"parked"`
	RemainingApprox int           `json:"remainingApprox"`
	DryRun          bool          `json:"dryRun"`
	DryRunReport    *DryRunReport `json:"dryRunReport,omitempty"`
	// Concurrency is the number of workers the run ended with (the one
	// it settled on, or the fixed number), PeakConcurrency the most it
	// used, Throttled the calls and entries the endpoints throttled
	// (the SDK's retries included).
	Concurrency     int `json:"concurrency"`
	PeakConcurrency int `json:"peakConcurrency"`
	Throttled       int `json:"throttled"`
}

// DryRunReport says what a real run would have done with the messages a dry
// run looked at.
type DryRunReport struct {
	ByErrorCode map[string]int `json:"byErrorCode"`
	ByTarget    map[string]int `json:"byTarget"`
	WouldReplay int            `json:"wouldReplay"`
	WouldPark   int            `json:"wouldPark"`
	Samples     []Sample       `json:"samples"`
}

// Sample is one message a dry run looked at, without its body.
type Sample struct {
	MessageID string `json:"messageId"`
	SizeBytes int    `json:"sizeBytes"`
	Kind      Kind   `json:"kind"`
	ErrorCode string `json:"errorCode,omitempty"`
	Target    string `json:"target,omitempty"`
}

// ParseRequest decodes and validates a request. Unknown fields, trailing
// data and out-of-range numbers are errors wrapping ErrBadRequest, so a typo
// such as "maxMesages" is reported instead of silently taking a default.
func ParseRequest(data []byte) (Request, error) {
	if len(data) > maxRequestBytes {
		return Request{}, fmt.Errorf("%w: request is %d bytes, more than %d", ErrBadRequest, len(data), maxRequestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Request
	if err := dec.Decode(&r); err != nil {
		return Request{}, fmt.Errorf("%w: decode JSON: %v", ErrBadRequest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Request{}, fmt.Errorf("%w: unexpected data after the JSON object", ErrBadRequest)
	}
	if err := r.Normalize(); err != nil {
		return Request{}, err
	}
	return r, nil
}

// Normalize validates r and fills in defaults. It is idempotent.
func (r *Request) Normalize() error {
	r.QueueURL = strings.TrimSpace(r.QueueURL)
	r.Target = strings.TrimSpace(r.Target)
	if r.QueueURL == "" {
		return fmt.Errorf("%w: queueUrl is required", ErrBadRequest)
	}
	if _, err := ParseQueue(r.QueueURL); err != nil {
		return fmt.Errorf("%w: queueUrl: %v", ErrBadRequest, err)
	}
	if r.Target != "" {
		if _, err := ParseTarget(r.Target); err != nil {
			return fmt.Errorf("%w: target: %v", ErrBadRequest, err)
		}
	}
	switch {
	case r.MaxMessages < 0 || r.MaxMessages > MaxMaxMessages:
		return fmt.Errorf("%w: maxMessages %d is outside 0..%d", ErrBadRequest, r.MaxMessages, MaxMaxMessages)
	case r.MaxMessages == 0:
		r.MaxMessages = DefaultMaxMessages
	}
	if r.RatePerSecond < 0 || math.IsNaN(r.RatePerSecond) || math.IsInf(r.RatePerSecond, 0) {
		return fmt.Errorf("%w: ratePerSecond %v must be 0 (unlimited) or positive", ErrBadRequest, r.RatePerSecond)
	}
	switch {
	case r.MaxReplays < 0 || r.MaxReplays > MaxMaxReplays:
		return fmt.Errorf("%w: maxReplays %d is outside 0..%d", ErrBadRequest, r.MaxReplays, MaxMaxReplays)
	case r.MaxReplays == 0:
		r.MaxReplays = DefaultMaxReplays
	}
	switch {
	case r.VisibilityTimeout < 0 || r.VisibilityTimeout > MaxVisibilityTimeout:
		return fmt.Errorf("%w: visibilityTimeout %d is outside 0..%d seconds", ErrBadRequest, r.VisibilityTimeout, MaxVisibilityTimeout)
	case r.VisibilityTimeout == 0:
		r.VisibilityTimeout = DefaultVisibilityTimeout
	}
	r.Filter.ErrorCode = strings.TrimSpace(r.Filter.ErrorCode)
	return nil
}
