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
	"github.com/selfaudit/selfaudit/shared/findingstore"
	"github.com/selfaudit/selfaudit/shared/iamscan"
	"github.com/selfaudit/selfaudit/shared/lambdamain"
	"github.com/selfaudit/selfaudit/shared/lambdamain/env"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
	"github.com/selfaudit/selfaudit/shared/suppress"
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
	publisher findings.Announcer
	// store remembers findings between runs, so that only changes are
	// announced; nil announces every finding NEW.
	store *findingstore.Store
	// suppressions are the accepted risks of SUPPRESSIONS_PARAMETER; nil
	// has none.
	suppressions *suppress.Loader
	// allRoles is the scanner's setting, which names its scope in the
	// store.
	allRoles bool
	metrics  io.Writer // EMF lines; stdout in Lambda
	now      func() time.Time
	// org audits the units of an organisation audit that arrive as SQS
	// events; nil outside organisation mode.
	org *orgaudit.Worker
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
	// Announced is the number of finding events published: every finding
	// without a store, its changes with one.
	Announced int `json:"announced"`
	// State counts the changes and, after an account scan, the findings
	// standing; Unread is the number of remembered findings left as they
	// were because their part could not be read. Both need the store.
	State  *findings.StatusMetrics `json:"state,omitempty"`
	Unread int                     `json:"unread,omitempty"`
	// Suppressed is the number of findings a suppression accepts: never
	// announced, recorded SUPPRESSED with a store.
	Suppressed int `json:"suppressed,omitempty"`
	// BatchItemFailures lists the units of an SQS event to deliver again
	// (ReportBatchItemFailures); empty, not absent, when all succeeded.
	BatchItemFailures *[]orgaudit.BatchItemFailure `json:"batchItemFailures,omitempty"`
}

// Handle runs one invocation. It publishes what was found even when part of
// the scan failed, then returns an error so that the Errors metric and the
// on-failure destination see the incomplete run.
func (h *handler) Handle(ctx context.Context, raw json.RawMessage) (*Response, error) {
	log := zerolog.Ctx(ctx)
	if ev, ok := orgaudit.SQSEvent(raw); ok {
		return h.units(ctx, ev)
	}
	t, err := iamscan.ParseEvent(raw)
	if err != nil {
		return nil, err
	}
	// Read before the scan: without its suppressions a run would
	// announce what was accepted.
	sup, err := h.suppressions.Matcher(ctx)
	if err != nil {
		return nil, err
	}
	var place iamscan.Place
	if h.store != nil && t.Scope != "" {
		a, err := lambdamain.InvokedARN(ctx)
		if err != nil {
			return nil, err
		}
		place = iamscan.Place{Partition: a.Partition, Account: a.AccountID, Region: a.Region}
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
	at := now()
	d := findingstore.Delivery{Store: h.store, Bus: h.publisher, Metrics: h.metrics, Source: iamscan.SourceLive, Suppressed: sup.Suppressor(at)}
	out, err := d.Deliver(ctx, iamscan.StoreScope(t, place, h.allRoles, res), res.Findings, at)
	if err != nil {
		errs = append(errs, err)
	}
	if h.store != nil && t.Scope == iamscan.ScopeAccount && res.Err() == nil {
		// The CloudTrail checker reads them: a password sign-in without
		// MFA by an administrator is CT014 at HIGH.
		if err := h.store.PutAdminUsers(ctx, place.Account, res.AdminUsers, at); err != nil {
			log.Warn().Err(err).Msg("administrator users not recorded; the CloudTrail checker keeps the last record")
		}
	}
	if expired := sup.Expired(); len(expired) > 0 {
		log.Warn().Strs("suppressions", expired).Msg("suppressions expired: their findings count again")
	}
	if err := res.Err(); err != nil {
		errs = append(errs, err)
	}
	scope := t.Label()
	resp := &Response{
		Scope: scope, Findings: len(res.Findings), Summary: findings.Summarize(res.Findings),
		Roles: res.Roles, Functions: res.Functions, Policies: res.Policies, Errors: len(res.Errors),
		Announced: out.Announced, State: out.State, Unread: len(out.Unread), Suppressed: out.Suppressed,
	}
	log.Info().Str("scope", scope).Int("findings", resp.Findings).Int("roles", resp.Roles).
		Int("functions", resp.Functions).Int("errors", resp.Errors).Int("announced", resp.Announced).
		Int("unread", resp.Unread).Int("suppressed", resp.Suppressed).Strs("notes", res.Notes).Msg("scan done")
	if len(errs) > 0 {
		return resp, fmt.Errorf("iam scan of %s: %w", scope, errors.Join(errs...))
	}
	return resp, nil
}

// units audits the units of an organisation audit run (organisation mode):
// each record is one member account, audited through its member role.
func (h *handler) units(ctx context.Context, ev orgaudit.SQSBatch) (*Response, error) {
	if h.org == nil {
		return nil, orgaudit.ErrOrganizationModeOff
	}
	sup, err := h.suppressions.Matcher(ctx)
	if err != nil {
		return nil, err
	}
	inv := orgaudit.Invocation{Metrics: h.metrics, Suppressed: sup.Suppressor(time.Now())}
	if a, err := lambdamain.InvokedARN(ctx); err == nil {
		inv.AuditAccount = a.AccountID
	}
	failures := h.org.HandleInvocation(ctx, ev, inv)
	return &Response{Scope: "units", Summary: findings.Summarize(nil), BatchItemFailures: &failures}, nil
}

// scanAllRoles reads SCAN_ALL_ROLES: judge every role, not only those
// Lambda can assume.
func scanAllRoles(getenv func(string) string) (bool, error) {
	r := env.New(getenv)
	all := r.Bool("SCAN_ALL_ROLES", false)
	return all, r.Err()
}
