package baseline

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// Tracker aggregates one analysis's records in memory and, on Flush, folds
// them into the DynamoDB baselines and reports CT009 and CT010. Aggregating
// first turns a log file of thousands of records into one write per
// principal, source and (API, hour). It implements cloudtrail.Baseline.
type Tracker struct {
	Store *Store
	// Source is the findings' source field.
	Source string
	// LearningPeriod after a principal's first event in which it is not
	// reported; 0 means 7 days.
	LearningPeriod time.Duration
	// MinCalls and MinErrors are the floors below which an hour is never
	// anomalous; 0 means 20 and 5.
	MinCalls, MinErrors int64
	// ZThreshold is the robust z-score at which an hour is anomalous; 0
	// means 6.
	ZThreshold float64
	// Concurrency of DynamoDB calls in Flush; 0 means 8.
	Concurrency int

	mu         sync.Mutex
	principals map[string]time.Time // earliest event of the batch
	sources    map[sourceKey]time.Time
	rates      map[rateKey]*Counts
}

type sourceKey struct{ principal, kind, value string }
type rateKey struct {
	principal, api string
	hour           int64
}

func (t *Tracker) init() {
	if t.principals == nil {
		t.principals = map[string]time.Time{}
		t.sources = map[sourceKey]time.Time{}
		t.rates = map[rateKey]*Counts{}
	}
}

// Observe adds r to the batch. Calls made by AWS services for the account
// are left out: their sources and rates are the service's, not a
// principal's behaviour.
func (t *Tracker) Observe(r *record.Record) {
	p := r.Principal()
	if p == "" || r.EventTime.IsZero() || r.UserIdentity.Type == "AWSService" {
		return
	}
	et := r.EventTime
	api := r.Service() + ":" + r.Action()
	var errs int64
	if r.Failed() {
		errs = 1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if f, ok := t.principals[p]; !ok || et.Before(f) {
		t.principals[p] = et
	}
	for _, sk := range sourcesOf(p, r) {
		if last, ok := t.sources[sk]; !ok || et.After(last) {
			t.sources[sk] = et
		}
	}
	rk := rateKey{p, api, et.Truncate(time.Hour).Unix()}
	c := t.rates[rk]
	if c == nil {
		c = &Counts{}
		t.rates[rk] = c
	}
	c.Calls++
	c.Errors += errs
}

// sourcesOf names where a call came from: the network (an IPv4 /24 or IPv6
// /48, or the service name CloudTrail puts there for calls through AWS),
// the region, and the user agent's family (its first product token, so
// version bumps are not new sources).
func sourcesOf(p string, r *record.Record) []sourceKey {
	out := make([]sourceKey, 0, 3)
	if ip := r.SourceIPAddress; ip != "" {
		out = append(out, sourceKey{p, "network", Network(ip)})
	}
	if r.AWSRegion != "" {
		out = append(out, sourceKey{p, "region", r.AWSRegion})
	}
	if r.UserAgent != "" {
		out = append(out, sourceKey{p, "agent", AgentFamily(r.UserAgent)})
	}
	return out
}

// Network is the baseline key of a source address.
func Network(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return truncate(ip, 64)
	}
	bits := 24
	if a.Is6() && !a.Is4In6() {
		bits = 48
	}
	pfx, err := a.Prefix(bits)
	if err != nil {
		return a.String()
	}
	return pfx.String()
}

// AgentFamily reduces a user agent to its first product name:
// "aws-cli/2.15.30 Python/3.11" becomes "aws-cli".
func AgentFamily(ua string) string {
	ua = strings.TrimSpace(ua)
	if i := strings.IndexAny(ua, "/ ("); i > 0 {
		ua = ua[:i]
	}
	return truncate(ua, 64)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (t *Tracker) learning() time.Duration {
	if t.LearningPeriod > 0 {
		return t.LearningPeriod
	}
	return 7 * 24 * time.Hour
}

// Flush writes the batch and returns the CT009 and CT010 findings. The
// batch is emptied even when a write fails, and the error names it.
func (t *Tracker) Flush(ctx context.Context, now time.Time) ([]findings.Finding, error) {
	t.mu.Lock()
	t.init()
	principals, sources, rates := t.principals, t.sources, t.rates
	t.principals, t.sources, t.rates = nil, nil, nil
	t.mu.Unlock()

	// 1. Principals, to learn who is still learning.
	firstSeen := map[string]time.Time{}
	var fmu sync.Mutex
	plist := make([]string, 0, len(principals))
	for p := range principals {
		plist = append(plist, p)
	}
	sort.Strings(plist)
	err := t.each(ctx, len(plist), func(i int) error {
		p := plist[i]
		f, err := t.Store.TouchPrincipal(ctx, p, principals[p])
		if err != nil {
			return err
		}
		fmu.Lock()
		firstSeen[p] = f
		fmu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	mature := func(p string, at time.Time) bool {
		f, ok := firstSeen[p]
		return ok && at.Sub(f) >= t.learning()
	}

	var out []findings.Finding
	var omu sync.Mutex
	add := func(f findings.Finding) {
		omu.Lock()
		out = append(out, f)
		omu.Unlock()
	}

	// 2. Sources: a first sighting of a mature principal is CT009.
	slist := make([]sourceKey, 0, len(sources))
	for k := range sources {
		slist = append(slist, k)
	}
	err = t.each(ctx, len(slist), func(i int) error {
		k := slist[i]
		at := sources[k]
		isNew, err := t.Store.TouchSource(ctx, k.principal, k.kind, k.value, at)
		if err != nil {
			return err
		}
		if isNew && mature(k.principal, at) {
			h := rules.Hit{Resource: resourceOf(k.principal), Key: k.kind + "|" + k.value,
				Title: fmt.Sprintf("Principal acting from a %s never seen in its baseline", sourceNoun(k.kind)),
				Evidence: map[string]any{"principal": k.principal, "sourceKind": k.kind, "source": k.value,
					"seenAt": at.Format(time.RFC3339), "principalFirstSeen": firstSeen[k.principal].Format(time.RFC3339)}}
			add(rules.CT009.Finding(h, nil, t.Source, now))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// 3. Rates: add the batch's counts, and test the hours that reach the
	// floor against the principal's own history.
	rlist := make([]rateKey, 0, len(rates))
	for k := range rates {
		rlist = append(rlist, k)
	}
	err = t.each(ctx, len(rlist), func(i int) error {
		k := rlist[i]
		hour := time.Unix(k.hour, 0).UTC()
		total, err := t.Store.AddRate(ctx, k.principal, k.api, hour, *rates[k])
		if err != nil {
			return err
		}
		if !mature(k.principal, hour) || (total.Calls < t.minCalls() && total.Errors < t.minErrors()) {
			return nil
		}
		since := hour.Add(-History)
		if f := firstSeen[k.principal].Truncate(time.Hour); f.After(since) {
			since = f
		}
		hist, err := t.Store.RateHistory(ctx, k.principal, k.api, since, hour)
		if err != nil {
			return err
		}
		hours := int(hour.Sub(since) / time.Hour)
		if hours < 24 {
			return nil
		}
		calls := make([]float64, hours)
		errs := make([]float64, hours)
		for h, c := range hist {
			idx := int(h.Sub(since) / time.Hour)
			if idx >= 0 && idx < hours {
				calls[idx], errs[idx] = float64(c.Calls), float64(c.Errors)
			}
		}
		for _, m := range []struct {
			what  string
			x     int64
			floor int64
			hist  []float64
		}{{"calls", total.Calls, t.minCalls(), calls}, {"errors", total.Errors, t.minErrors(), errs}} {
			if m.x < m.floor {
				continue
			}
			z, med, mad, peak := RobustZ(float64(m.x), m.hist)
			if z < t.zThreshold() || float64(m.x) <= peak {
				continue
			}
			h := rules.Hit{Resource: resourceOf(k.principal), Key: k.api + "|" + m.what + "|" + hour.Format(time.RFC3339),
				Title: fmt.Sprintf("Unusual number of %s to %s for this principal", m.what, k.api),
				Evidence: map[string]any{"principal": k.principal, "api": k.api, "hour": hour.Format(time.RFC3339),
					"metric": m.what, "count": m.x, "median": med, "mad": mad, "previousPeak": peak,
					"robustZ": math.Round(z*10) / 10, "historyHours": hours}}
			add(rules.CT010.Finding(h, nil, t.Source, now))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sourceNoun(kind string) string {
	switch kind {
	case "network":
		return "network"
	case "agent":
		return "user agent"
	}
	return kind
}

// resourceOf turns an assumed-role session ARN into something findings can
// carry as a resource; any ARN is kept as it is.
func resourceOf(p string) string { return p }

func (t *Tracker) minCalls() int64 {
	if t.MinCalls > 0 {
		return t.MinCalls
	}
	return 20
}

func (t *Tracker) minErrors() int64 {
	if t.MinErrors > 0 {
		return t.MinErrors
	}
	return 5
}

func (t *Tracker) zThreshold() float64 {
	if t.ZThreshold > 0 {
		return t.ZThreshold
	}
	return 6
}

// each runs fn for 0..n-1 on a few goroutines and returns the first error.
func (t *Tracker) each(ctx context.Context, n int, fn func(i int) error) error {
	par := t.Concurrency
	if par <= 0 {
		par = 8
	}
	idx := make(chan int)
	errc := make(chan error, par)
	var wg sync.WaitGroup
	for range min(par, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				if err := fn(i); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	var err error
loop:
	for i := range n {
		select {
		case idx <- i:
		case err = <-errc:
			break loop
		case <-ctx.Done():
			err = ctx.Err()
			break loop
		}
	}
	close(idx)
	wg.Wait()
	close(errc)
	if err == nil {
		err = <-errc
	}
	return err
}

// RobustZ scores x against hist: (x - median) / max(1.4826 * MAD, 1). It
// also returns the median, the MAD and the largest value of hist.
func RobustZ(x float64, hist []float64) (z, median, mad, peak float64) {
	if len(hist) == 0 {
		return 0, 0, 0, 0
	}
	v := append([]float64(nil), hist...)
	sort.Float64s(v)
	median = mid(v)
	peak = v[len(v)-1]
	dev := make([]float64, len(v))
	for i, h := range v {
		dev[i] = math.Abs(h - median)
	}
	sort.Float64s(dev)
	mad = mid(dev)
	scale := math.Max(1.4826*mad, 1)
	return (x - median) / scale, median, mad, peak
}

func mid(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
