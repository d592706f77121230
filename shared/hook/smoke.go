package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// SmokeCase is one smoke invocation: the event sent to the target version
// and, optionally, a fragment its response must contain.
type SmokeCase struct {
	Name   string          `json:"name"`
	Event  json.RawMessage `json:"event"`
	Expect string          `json:"expect,omitempty"`
}

// DefaultSmokeCases is what runs when no source is configured: one empty
// JSON object, which every function of the stack must answer without error.
func DefaultSmokeCases() []SmokeCase {
	return []SmokeCase{{Name: "empty-event", Event: json.RawMessage(`{}`)}}
}

// maxSmokeCases bounds the invocations per target: each costs time the
// deployment waits for.
const maxSmokeCases = 20

// ErrInvalidSmokeCases is returned for a smoke document the hook cannot use.
var ErrInvalidSmokeCases = errors.New("invalid smoke cases")

// ParseSmokeCases reads a smoke document: a JSON array of
// {"name","event","expect"} objects. A missing name is filled in from the
// position; a missing event is an error, because an operator who wrote a
// case without one meant something else.
func ParseSmokeCases(b []byte) ([]SmokeCase, error) {
	var raw []map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: want a JSON array of {\"name\",\"event\",\"expect\"} objects: %w", ErrInvalidSmokeCases, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%w: the list is empty", ErrInvalidSmokeCases)
	}
	if len(raw) > maxSmokeCases {
		return nil, fmt.Errorf("%w: %d cases, at most %d", ErrInvalidSmokeCases, len(raw), maxSmokeCases)
	}
	out := make([]SmokeCase, 0, len(raw))
	for i, m := range raw {
		var c SmokeCase
		for k := range m {
			switch k {
			case "name", "event", "expect":
			default:
				return nil, fmt.Errorf("%w: case %d: unknown field %q", ErrInvalidSmokeCases, i, k)
			}
		}
		if v, ok := m["name"]; ok {
			if err := json.Unmarshal(v, &c.Name); err != nil {
				return nil, fmt.Errorf("%w: case %d: name: %w", ErrInvalidSmokeCases, i, err)
			}
		}
		if v, ok := m["expect"]; ok {
			if err := json.Unmarshal(v, &c.Expect); err != nil {
				return nil, fmt.Errorf("%w: case %d: expect: %w", ErrInvalidSmokeCases, i, err)
			}
		}
		ev, ok := m["event"]
		if !ok || len(bytes.TrimSpace(ev)) == 0 {
			return nil, fmt.Errorf("%w: case %d has no event", ErrInvalidSmokeCases, i)
		}
		c.Event = ev
		if c.Name == "" {
			c.Name = fmt.Sprintf("case-%d", i+1)
		}
		out = append(out, c)
	}
	return out, nil
}

// functionPlaceholder in a smoke source is replaced by the target's name,
// so one setting can give every function its own events.
const functionPlaceholder = "{function}"

// smokeCases loads the cases for one function. A per-function source
// (with {function}) that does not exist falls back to the default case;
// a fixed source that does not exist is an error, since it was meant to be
// there.
func (h *Hook) smokeCases(ctx context.Context, function string) ([]SmokeCase, string, error) {
	switch {
	case h.Config.SmokeParameter != "":
		name := strings.ReplaceAll(h.Config.SmokeParameter, functionPlaceholder, function)
		perFunction := name != h.Config.SmokeParameter
		if h.SSM == nil {
			return nil, "", fmt.Errorf("smoke parameter %s configured but no SSM client", name)
		}
		out, err := h.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		var nf *ssmtypes.ParameterNotFound
		if errors.As(err, &nf) && perFunction {
			return DefaultSmokeCases(), "default (no parameter " + name + ")", nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("get smoke parameter %s: %w", name, err)
		}
		if out.Parameter == nil {
			return nil, "", fmt.Errorf("get smoke parameter %s: empty response", name)
		}
		cs, err := ParseSmokeCases([]byte(aws.ToString(out.Parameter.Value)))
		if err != nil {
			return nil, "", fmt.Errorf("smoke parameter %s: %w", name, err)
		}
		return cs, "ssm:" + name, nil
	case h.Config.SmokeFile != "":
		name := strings.ReplaceAll(h.Config.SmokeFile, functionPlaceholder, function)
		perFunction := name != h.Config.SmokeFile
		b, err := h.readFile(name)
		if errors.Is(err, fs.ErrNotExist) && perFunction {
			return DefaultSmokeCases(), "default (no file " + name + ")", nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("read smoke file %s: %w", name, err)
		}
		cs, err := ParseSmokeCases(b)
		if err != nil {
			return nil, "", fmt.Errorf("smoke file %s: %w", name, err)
		}
		return cs, "file:" + name, nil
	}
	return DefaultSmokeCases(), "default", nil
}

func (h *Hook) readFile(name string) ([]byte, error) {
	if h.ReadFile == nil {
		return nil, fmt.Errorf("no file source configured for %s: %w", name, fs.ErrNotExist)
	}
	return h.ReadFile(name)
}

// smoke invokes the target version with each case and records three
// results per case: the invocation (HOOK010), its latency (HOOK011) and,
// when the case has an expect fragment, its response (HOOK012).
func (h *Hook) smoke(ctx context.Context, t Target, fn *lambda.GetFunctionConfigurationOutput, label, resource string, rec *recorder) {
	var cases []SmokeCase
	var source string
	o := h.guard(CheckSmoke, func() outcome {
		var err error
		cases, source, err = h.smokeCases(ctx, shortName(t.Name))
		if err != nil {
			return outcome{err: fmt.Errorf("load smoke cases for %s: %w", label, err)}
		}
		return pass()
	})
	if o.err != nil {
		rec.add(resultOf(CheckSmoke, label, "", resource, o))
		return
	}
	timeout := time.Duration(aws.ToInt32(fn.Timeout)) * time.Second
	if timeout <= 0 {
		timeout = 3 * time.Second // Lambda's default
	}
	budget := time.Duration(float64(timeout) * h.Config.LatencyShare)
	for _, c := range cases {
		if ctx.Err() != nil {
			return
		}
		var inv invocation
		o := h.guard(CheckSmoke, func() outcome {
			inv = h.invoke(ctx, t, c, budget)
			return inv.outcome(label, source)
		})
		if inv.timedOut {
			// Reported by the latency check; without it, the smoke check
			// must fail, or a hanging version would pass.
			if h.Config.enabled(CheckSmokeLatency.ID) {
				o = outcome{skipped: "no response within the latency budget (see " + CheckSmokeLatency.ID + ")"}
			} else {
				o = fail(map[string]any{"budgetMs": budget.Milliseconds()}, "no response within %s", budget)
			}
		}
		rec.add(resultOf(CheckSmoke, label, c.Name, resource, o))
		if o.err != nil {
			continue
		}
		if h.Config.enabled(CheckSmokeLatency.ID) {
			lo := pass()
			if inv.timedOut || inv.elapsed > budget {
				lo = fail(map[string]any{"elapsedMs": inv.elapsed.Milliseconds(), "budgetMs": budget.Milliseconds(), "timeoutSeconds": aws.ToInt32(fn.Timeout)},
					"invocation took %s, budget %s (%.0f%% of the %s timeout)", inv.elapsed.Round(time.Millisecond), budget, 100*h.Config.LatencyShare, timeout)
			}
			rec.add(resultOf(CheckSmokeLatency, label, c.Name, resource, lo))
		}
		if c.Expect != "" && !inv.timedOut && o.err == nil && h.Config.enabled(CheckSmokeResponse.ID) {
			ro := pass()
			if !containsFragment(inv.payload, c.Expect) {
				ro = fail(map[string]any{"expect": c.Expect, "response": truncate(string(inv.payload), 512)},
					"response does not contain %q", c.Expect)
			}
			rec.add(resultOf(CheckSmokeResponse, label, c.Name, resource, ro))
		}
	}
}

// invocation is the outcome of one smoke invoke.
type invocation struct {
	elapsed       time.Duration
	payload       []byte
	functionError string
	timedOut      bool
	err           error
}

// invoke calls the target version synchronously, cutting it off at the
// latency budget: waiting longer cannot change the verdict.
func (h *Hook) invoke(ctx context.Context, t Target, c SmokeCase, budget time.Duration) invocation {
	ictx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	start := h.now()
	out, err := h.Lambda.Invoke(ictx, &lambda.InvokeInput{
		FunctionName: aws.String(unqualified(t.Name)),
		Qualifier:    aws.String(t.TargetVersion),
		Payload:      c.Event,
	})
	inv := invocation{elapsed: h.now().Sub(start)}
	if err != nil {
		if ctx.Err() == nil && errors.Is(ictx.Err(), context.DeadlineExceeded) {
			inv.timedOut = true
			return inv
		}
		inv.err = err
		return inv
	}
	inv.payload = out.Payload
	inv.functionError = aws.ToString(out.FunctionError)
	return inv
}

func (inv invocation) outcome(label, source string) outcome {
	switch {
	case inv.timedOut:
		return pass() // the latency check reports it
	case inv.err != nil:
		return outcome{err: fmt.Errorf("invoke %s: %w", label, inv.err)}
	case inv.functionError != "":
		return fail(map[string]any{"functionError": inv.functionError, "response": truncate(string(inv.payload), 512), "eventSource": source},
			"function error %s: %s", inv.functionError, truncate(string(inv.payload), 200))
	}
	return pass()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// containsFragment looks for the fragment in the response as sent and, when
// the response is JSON, in its compact form, so that an expect written as
// "ok":true matches however the function spaces its output.
func containsFragment(payload []byte, fragment string) bool {
	if bytes.Contains(payload, []byte(fragment)) {
		return true
	}
	var buf bytes.Buffer
	if json.Compact(&buf, payload) == nil {
		return bytes.Contains(buf.Bytes(), []byte(fragment))
	}
	return false
}
