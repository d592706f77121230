package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/iamscan"
)

// scanner is the scan the handler drives; *iamscan.Scanner implements it.
type scanner interface {
	ScanAccount(ctx context.Context) *iamscan.Result
	ScanRole(ctx context.Context, name string) *iamscan.Result
	ScanFunction(ctx context.Context, name string) *iamscan.Result
}

var _ scanner = (*iamscan.Scanner)(nil)

// handler adapts events to the scan and reports its result.
type handler struct {
	scanner   scanner
	publisher findings.Publisher
	metrics   io.Writer // EMF lines; stdout in Lambda
	now       func() time.Time
}

// Response is the function's result.
type Response struct {
	Scope     string           `json:"scope"`
	Findings  int              `json:"findings"`
	Summary   findings.Summary `json:"summary"`
	Roles     int              `json:"roles"`
	Functions int              `json:"functions"`
	Policies  int              `json:"policies"`
	Errors    int              `json:"errors"`
	Skipped   string           `json:"skipped,omitempty"`
}

// Handle runs one invocation. It publishes what was found even when part of
// the scan failed, then returns an error so that the Errors metric and the
// on-failure destination see the incomplete run.
func (h *handler) Handle(ctx context.Context, raw json.RawMessage) (*Response, error) {
	log := zerolog.Ctx(ctx)
	t, err := iamscan.ParseEvent(raw)
	if err != nil {
		return nil, err
	}
	var res *iamscan.Result
	switch t.Scope {
	case iamscan.ScopeAccount:
		res = h.scanner.ScanAccount(ctx)
	case iamscan.ScopeRole:
		res = h.scanner.ScanRole(ctx, t.Name)
	case iamscan.ScopeFunction:
		res = h.scanner.ScanFunction(ctx, t.Name)
	default:
		log.Info().Str("reason", t.Skipped).Msg("event skipped")
		return &Response{Scope: "none", Summary: findings.Summarize(nil), Skipped: t.Skipped}, nil
	}
	now := time.Now
	if h.now != nil {
		now = h.now
	}
	var errs []error
	if err := findings.Deliver(ctx, h.publisher, h.metrics, iamscan.SourceLive, res.Findings, now()); err != nil {
		errs = append(errs, err)
	}
	if err := res.Err(); err != nil {
		errs = append(errs, err)
	}
	scope := t.Label()
	resp := &Response{
		Scope: scope, Findings: len(res.Findings), Summary: findings.Summarize(res.Findings),
		Roles: res.Roles, Functions: res.Functions, Policies: res.Policies, Errors: len(res.Errors),
	}
	log.Info().Str("scope", scope).Int("findings", resp.Findings).Int("roles", resp.Roles).
		Int("functions", resp.Functions).Int("errors", resp.Errors).Strs("notes", res.Notes).Msg("scan done")
	if len(errs) > 0 {
		return resp, fmt.Errorf("iam scan of %s: %w", scope, errors.Join(errs...))
	}
	return resp, nil
}
