package main

import (
	"context"
	"encoding/json"
	"io"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/cloudtrail"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/suppress"
)

// checker is the engine as the handler sees it; *cloudtrail.Checker
// implements it.
type checker interface {
	Analyze(ctx context.Context, raw json.RawMessage) (cloudtrail.Analysis, error)
}

var _ checker = (*cloudtrail.Checker)(nil)

// handler publishes what the checker found and reports it.
type handler struct {
	checker   checker
	publisher findings.Publisher
	// suppressions are the accepted risks of SUPPRESSIONS_PARAMETER; nil
	// has none.
	suppressions *suppress.Loader
	metrics      io.Writer // EMF lines; stdout in Lambda
}

// Result is what an invocation returns, for the logs and for tests.
type Result struct {
	Trigger   string `json:"trigger"`
	Records   int64  `json:"records"`
	Malformed int64  `json:"malformed"`
	Unknown   int64  `json:"unknown"`
	Findings  int    `json:"findings"`
	Published int    `json:"published"`
	// Suppressed counts the fresh findings a suppression accepts: not
	// published, counted in SuppressedFindings.
	Suppressed int      `json:"suppressed,omitempty"`
	Notes      []string `json:"notes,omitempty"`
}

// Handle analyses one invocation's CloudTrail records and publishes the
// findings not published before. An error means the work failed (and
// Lambda retries or sends the event to the DLQ); malformed records do not.
func (h *handler) Handle(ctx context.Context, raw json.RawMessage) (Result, error) {
	// Read before the analysis: without its suppressions a run would
	// publish what was accepted.
	sup, err := h.suppressions.Matcher(ctx)
	if err != nil {
		return Result{}, err
	}
	a, err := h.checker.Analyze(ctx, raw)
	res := Result{Trigger: a.Trigger, Records: a.Stats.Records, Malformed: a.Stats.Malformed, Unknown: a.Stats.Unknown, Findings: a.Found, Notes: a.Notes}
	if err != nil {
		return res, err
	}
	fresh := a.Fresh
	if suppressed := sup.Suppressor(a.At); suppressed != nil {
		fresh = make([]findings.Finding, 0, len(a.Fresh))
		for _, f := range a.Fresh {
			if suppressed(f) {
				res.Suppressed++
				continue
			}
			fresh = append(fresh, f)
		}
	}
	if err := findings.Deliver(ctx, h.publisher, h.metrics, cloudtrail.FunctionSource, fresh, a.At); err != nil {
		return res, err
	}
	log := zerolog.Ctx(ctx)
	if h.metrics != nil && sup != nil {
		if err := findings.WriteSuppressedEMF(h.metrics, cloudtrail.FunctionSource, res.Suppressed, a.At); err != nil {
			log.Warn().Err(err).Msg("could not write the suppressed findings metric")
		}
	}
	if expired := sup.Expired(); len(expired) > 0 {
		log.Warn().Strs("suppressions", expired).Msg("suppressions expired: their findings count again")
	}
	res.Published = len(fresh)
	log.Info().Str("trigger", res.Trigger).Int64("records", res.Records).Int64("malformed", res.Malformed).
		Int("findings", res.Findings).Int("published", res.Published).Int("suppressed", res.Suppressed).Msg("cloudtrail analysed")
	return res, nil
}

// adminsUnread logs a failed read of an account's administrators once per
// read: its console sign-ins without MFA are reported at MEDIUM until a
// read succeeds.
func adminsUnread(log zerolog.Logger) func(account string, err error) {
	return func(account string, err error) {
		log.Warn().Err(err).Str("account", account).Msg("administrator users unread: CT014 reports their sign-ins at MEDIUM")
	}
}
