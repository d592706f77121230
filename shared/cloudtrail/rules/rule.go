package rules

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// Config is what an operator decides rather than the code: who "the
// pipeline" is, and how sensitive the windowed checks are.
type Config struct {
	// PipelineServices are services whose calls are deployments:
	// CloudFormation by default. Matched against userIdentity.invokedBy
	// and sourceIPAddress, which CloudTrail sets to the service's name.
	PipelineServices []string
	// PipelinePrincipals are the stack's deploy roles and users: ARNs of
	// IAM roles (matched against the session issuer), of users, or of
	// assumed-role sessions, where '*' matches any run of characters.
	PipelinePrincipals []string
	// TrustedLayerAccounts may publish layers that functions attach
	// without a CT011 finding (for example a central platform account).
	TrustedLayerAccounts []string
	// TrustedAccounts are the accounts a role's trust policy may name
	// without CT007 reporting it as opened outside the organisation: the
	// organisation's member accounts and any partner the operator
	// trusts. The account the event happened in is always trusted.
	TrustedAccounts []string
	// TrailBuckets are the buckets CloudTrail delivers to; switching off
	// S3 access logging on one of them is CT004 at HIGH (MEDIUM on other
	// buckets). A bucket whose name contains "cloudtrail" counts as one.
	TrailBuckets []string
	// Admins knows which IAM users hold administrator policies, which
	// makes CT014 (console sign-in without MFA) HIGH rather than MEDIUM.
	// Nil means unknown: every such sign-in is MEDIUM.
	Admins AdminUsers
	// BurstThreshold and BurstWindow define CT005: this many access
	// errors from one principal within one window.
	BurstThreshold int
	BurstWindow    time.Duration
}

// AdminUsers answers whether an IAM user holds administrator policies
// (AdministratorAccess or an equivalent, attached directly or through a
// group). It is the narrow interface through which CT014 learns what the
// CloudTrail records alone do not say. The checker function reads the
// administrators the IAM scanner records in the finding store
// (findingstore.AdminDirectory); selfaudit trail --iam-details builds an
// AdminUserSet from the account's authorization details with
// iamscan.AdminUsers.
type AdminUsers interface {
	// IsAdmin reports whether the IAM user with this ARN
	// (arn:aws:iam::111122223333:user/alice) is an administrator.
	IsAdmin(userARN string) bool
}

// AdminUserSet is an AdminUsers over a fixed set of user ARNs.
type AdminUserSet map[string]bool

// IsAdmin reports whether userARN is in the set.
func (s AdminUserSet) IsAdmin(userARN string) bool { return s[userARN] }

// trusted reports whether account is the record's own account or listed
// in TrustedAccounts.
func (c *Config) trusted(r *record.Record, account string) bool {
	return account == r.Account() || slices.Contains(c.TrustedAccounts, account)
}

// DefaultConfig is CloudFormation as the only pipeline, and a burst of 10
// access errors in 5 minutes.
func DefaultConfig() Config {
	return Config{
		PipelineServices: []string{"cloudformation.amazonaws.com"},
		BurstThreshold:   10,
		BurstWindow:      5 * time.Minute,
	}
}

// ByPipeline reports whether the record was made by the deployment
// pipeline as configured.
func (c *Config) ByPipeline(r *record.Record) bool {
	u := &r.UserIdentity
	for _, s := range c.PipelineServices {
		if s != "" && (strings.EqualFold(u.InvokedBy, s) || strings.EqualFold(r.SourceIPAddress, s)) {
			return true
		}
	}
	for _, p := range c.PipelinePrincipals {
		if p == "" {
			continue
		}
		if glob(p, u.ARN) || (u.IssuerARN != "" && glob(p, u.IssuerARN)) {
			return true
		}
	}
	return false
}

// glob matches s against a pattern in which '*' matches any run of
// characters, including '/'.
func glob(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i := 1; i < len(parts)-1; i++ {
		j := strings.Index(s, parts[i])
		if j < 0 {
			return false
		}
		s = s[j+len(parts[i]):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// Rule is one check: its entry in the check registry (ID, default
// severity, title, remediation...) and the function that matches.
type Rule struct {
	checks.Check
	// Match returns the hits for one record, or nil. It must not keep r.
	// Nil for checks whose state lives elsewhere (CT005, CT009, CT010).
	Match func(c *Config, r *record.Record) []Hit
}

// Hit is one match of a rule on a record.
type Hit struct {
	// Resource is the ARN the finding is about.
	Resource string
	// Severity overrides the rule's default when set.
	Severity findings.Severity
	// Title overrides the rule's title when set.
	Title string
	// Key distinguishes findings of one check on one resource beyond the
	// principal and the hour that every per-record finding is folded by
	// (see FoldKeyOf): for example the layer of CT011, so that two foreign
	// layers are two findings. Most rules leave it empty. For aggregated
	// hits (windows, baselines), built without a record, it is the whole
	// distinction.
	Key string
	// Evidence adds check-specific facts to the common record fields.
	Evidence map[string]any
	// Note, when set, makes the hit a sentence for the report rather than a
	// finding: the record touched what the check judges but could not be
	// judged (a resource policy that does not parse). Evaluate drops
	// notes; the analyzer collects them into its statistics' notes.
	Note string
}

// Evidence fields that every per-record finding carries, because hits of
// one check on one resource by one principal within one clock hour fold
// into one finding (docs/architecture.md, "Findings").
const (
	// EvidenceOccurrences counts the records folded into the finding.
	EvidenceOccurrences = "occurrences"
	// EvidenceFirstEventTime and EvidenceLastEventTime bound their event
	// times (RFC 3339, UTC).
	EvidenceFirstEventTime = "firstEventTime"
	EvidenceLastEventTime  = "lastEventTime"
	// EvidenceSampleEventIDs lists up to MaxSampleEventIDs event IDs: the
	// earliest by event time, then by ID, so that the same records in any
	// order give the same list.
	EvidenceSampleEventIDs = "sampleEventIDs"
	// EvidenceAttack lists the check's MITRE ATT&CK technique IDs (from the
	// registry), so that a finding can be mapped without the catalog.
	EvidenceAttack = "attack"
)

// MaxSampleEventIDs bounds the sample event IDs of a folded finding.
const MaxSampleEventIDs = 5

// FoldKey is what one per-record finding stands for: hits with equal
// keys fold into one finding, whose ID is derived from the key alone.
type FoldKey struct {
	Check     string
	Resource  string
	Principal string
	// Hour is the start of the clock hour (UTC) of the event time; zero
	// for a record without one.
	Hour time.Time
	// Key is the hit's Key.
	Key string
}

// FoldKeyOf returns the fold key of hit h of rule rl on event e.
func FoldKeyOf(rl *Rule, h *Hit, e *Event) FoldKey {
	k := FoldKey{Check: rl.ID, Resource: h.Resource, Principal: e.Principal, Key: h.Key}
	if !e.Time.IsZero() {
		k.Hour = e.Time.UTC().Truncate(time.Hour)
	}
	return k
}

// ID is the finding ID of the fold: the same for every record of that
// check, resource, principal and hour however they arrive (an S3 log file,
// an EventBridge event, a LookupEvents sweep), so consumers deduplicate.
func (k FoldKey) ID() string {
	hour := ""
	if !k.Hour.IsZero() {
		hour = k.Hour.Format(time.RFC3339)
	}
	key := k.Principal + "|" + hour
	if k.Key != "" {
		key += "|" + k.Key
	}
	return findings.StableID(k.Check, k.Resource, key)
}

// Finding builds the finding for a hit on r. r may be nil for aggregated
// hits (windows, baselines), whose evidence then stands alone and whose ID
// comes from h.Key. With a record it is EventFinding of the record's event.
func (rl *Rule) Finding(h Hit, r *record.Record, source string, now time.Time) findings.Finding {
	if r != nil {
		e := EventOf(r)
		return rl.EventFinding(h, &e, source, now)
	}
	ev := map[string]any{}
	for k, v := range h.Evidence {
		ev[k] = v
	}
	return rl.finding(h, findings.StableID(rl.ID, h.Resource, h.Key), ev, source, now)
}

// EventFinding builds the finding for hit h on event e as a fold of that
// one event (see FoldKeyOf): occurrences 1, its time as first and last
// event time, its ID as the sample. The analyzer sets the fold's figures
// when it folds more events into it.
func (rl *Rule) EventFinding(h Hit, e *Event, source string, now time.Time) findings.Finding {
	ev := e.Evidence()
	for k, v := range h.Evidence {
		ev[k] = v
	}
	var samples []string
	if e.ID != "" {
		samples = []string{e.ID}
	}
	SetFoldEvidence(ev, 1, e.Time, e.Time, samples)
	return rl.finding(h, FoldKeyOf(rl, &h, e).ID(), ev, source, now)
}

// HitSeverity is the severity of a finding for h.
func (rl *Rule) HitSeverity(h *Hit) findings.Severity {
	if h.Severity != 0 {
		return h.Severity
	}
	return rl.Severity
}

func (rl *Rule) finding(h Hit, id string, ev map[string]any, source string, now time.Time) findings.Finding {
	title := rl.Title
	if h.Title != "" {
		title = h.Title
	}
	if len(rl.Techniques) > 0 {
		ev[EvidenceAttack] = slices.Clone(rl.Techniques)
	}
	return findings.Finding{
		ID:          id,
		Check:       rl.ID,
		Severity:    rl.HitSeverity(&h),
		Title:       title,
		Resource:    h.Resource,
		Evidence:    ev,
		Remediation: rl.Remediation,
		Source:      source,
		ObservedAt:  now.UTC(),
	}
}

// SetFoldEvidence writes the fold's evidence fields into ev. Times that are
// zero (records without an event time) are left out, as are empty samples.
func SetFoldEvidence(ev map[string]any, occurrences int64, first, last time.Time, samples []string) {
	ev[EvidenceOccurrences] = occurrences
	if !first.IsZero() {
		ev[EvidenceFirstEventTime] = first.UTC().Format(time.RFC3339)
	}
	if !last.IsZero() {
		ev[EvidenceLastEventTime] = last.UTC().Format(time.RFC3339)
	}
	if len(samples) > 0 {
		ev[EvidenceSampleEventIDs] = samples
	}
}

// Event is what a finding shows of its record, kept apart from the record
// (which is reused) so that a fold can hold its representative without a
// map per finding.
type Event struct {
	Time time.Time
	// ID is the event ID; Name, Source, Region, UserAgent... are the
	// record's fields of the same names.
	ID, Name, Source, Principal, Account, Region, SourceIP, UserAgent, IdentityType, ErrorCode, InvokedBy string
}

// EventOf copies what findings show of r.
func EventOf(r *record.Record) Event {
	return Event{
		Time: r.EventTime, ID: r.EventID, Name: r.EventName, Source: r.EventSource,
		Principal: r.Principal(), Account: r.Account(), Region: r.AWSRegion, SourceIP: r.SourceIPAddress,
		UserAgent: r.UserAgent, IdentityType: r.UserIdentity.Type, ErrorCode: r.ErrorCode, InvokedBy: r.UserIdentity.InvokedBy,
	}
}

// Evidence is what every CloudTrail finding shows of its event: enough to
// find it again in the console or Athena and to see who did what.
func (e *Event) Evidence() map[string]any {
	ev := map[string]any{
		"eventName":   e.Name,
		"eventSource": e.Source,
		"principal":   e.Principal,
		"account":     e.Account,
	}
	if !e.Time.IsZero() {
		ev["eventTime"] = e.Time.Format(time.RFC3339)
	}
	for k, v := range map[string]string{
		"eventID": e.ID, "awsRegion": e.Region, "sourceIPAddress": e.SourceIP,
		"userAgent": e.UserAgent, "identityType": e.IdentityType, "errorCode": e.ErrorCode,
		"invokedBy": e.InvokedBy,
	} {
		if v != "" {
			ev[k] = v
		}
	}
	return ev
}

// RecordEvidence is the Evidence of r's event.
func RecordEvidence(r *record.Record) map[string]any {
	e := EventOf(r)
	return e.Evidence()
}

var catalog = map[string]*Rule{}

// register enters a rule's check in the check registry, which rejects a
// duplicate or malformed ID by panicking at init (a programming error, not
// input), and keeps the rule for Evaluate. Every CloudTrail check runs on
// CloudTrail events.
func register(r *Rule) *Rule {
	r.Engine = checks.EngineCloudTrail
	r.Inputs = []checks.Input{checks.InputCloudTrail}
	r.Check = checks.Register(r.Check)
	catalog[r.ID] = r
	return r
}

// Catalog returns every CloudTrail check, ordered by ID.
func Catalog() []*Rule {
	out := make([]*Rule, 0, len(catalog))
	for _, r := range catalog {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ByID returns one check, or nil.
func ByID(id string) *Rule { return catalog[id] }

// Evaluate runs every per-record rule on r and returns one finding per
// hit, each a fold of this one record.
func Evaluate(c *Config, r *record.Record, source string, now time.Time) []findings.Finding {
	var out []findings.Finding
	EachHit(c, r, func(rl *Rule, h Hit) {
		if h.Note == "" {
			out = append(out, rl.Finding(h, r, source, now))
		}
	})
	return out
}

// EachHit runs every per-record rule on r and calls fn with each hit
// (notes included: see Hit.Note), without building findings: the analyzer builds one only for a hit that
// starts a fold or becomes its representative, which keeps a flood of
// flagged records cheap.
func EachHit(c *Config, r *record.Record, fn func(rl *Rule, h Hit)) {
	for _, rl := range recordRules {
		for _, h := range rl.Match(c, r) {
			fn(rl, h)
		}
	}
}

// recordRules are the rules with a Match function, in ID order; built
// once so Evaluate does not sort per record.
var recordRules []*Rule

func init() {
	for _, r := range Catalog() {
		if r.Match != nil {
			recordRules = append(recordRules, r)
		}
	}
}

// actedByService reports calls that an AWS service made on the caller's
// behalf (CodeDeploy shifting an alias, CloudFormation deploying): they are
// the platform working, not a person changing things by hand.
func actedByService(r *record.Record) bool {
	u := &r.UserIdentity
	if u.Type == "AWSService" || r.EventType == "AwsServiceEvent" {
		return true
	}
	ib := u.InvokedBy
	return ib != "" && strings.HasSuffix(ib, ".amazonaws.com") && ib != "signin.amazonaws.com" && !strings.HasPrefix(ib, "console.")
}

// fromConsole reports calls made with console session credentials.
func fromConsole(r *record.Record) bool {
	if r.SessionCredentialFromConsole {
		return true
	}
	ua := r.UserAgent
	return ua == "console.amazonaws.com" || strings.HasPrefix(ua, "console.amazonaws.com") ||
		strings.HasPrefix(ua, "console.") && strings.Contains(ua, "amazonaws.com") ||
		strings.Contains(ua, "AWS Console Lambda") || strings.Contains(ua, "aws-internal/3") && strings.Contains(ua, "console")
}

// params decodes requestParameters into a string-keyed map; a record
// without them, or with malformed ones, yields an empty map.
func params(r *record.Record) map[string]any { return r.Params() }

func response(r *record.Record) map[string]any { return r.Response() }

// param is one string member of requestParameters, read without decoding
// them: the IAM and Lambda checks that run on every change of a flood use
// it rather than params.
func param(r *record.Record, key string) string { return member(r.RequestParameters, key) }

func strField(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// member returns the string member key of the JSON object raw, or "" when
// it is absent, not a string, or raw is not an object. It scans without
// decoding the object.
func member(raw []byte, key string) string {
	out := ""
	_ = record.EachMember(raw, func(k, v []byte) error {
		if string(k) == key {
			out = ""
			if len(v) > 0 && v[0] == '"' {
				out, _ = record.Unquote(v)
			}
		}
		return nil
	})
	return out
}

// orgAPIs are the Organizations calls CT012 judges.
var orgAPIs = []string{"LeaveOrganization", "RemoveAccountFromOrganization", "DetachPolicy", "DisablePolicyType"}

// WatchedAPIs lists, by event source, the calls that the checks of
// specific APIs judge (CT003, CT004, CT012, CT013, CT014), sorted, so that
// whatever routes events to the checker (the stack's EventBridge rules)
// can be held to the same list. The checks that judge every call of a
// service (Lambda, IAM: CT001, CT002, CT007...) are not listed.
func WatchedAPIs() map[string][]string {
	out := map[string][]string{}
	add := func(src string, names ...string) {
		for _, n := range names {
			if !slices.Contains(out[src], n) {
				out[src] = append(out[src], n)
			}
		}
	}
	for src, m := range publicAPIs {
		for n := range m {
			add(src, n)
		}
	}
	for src, m := range loggingAPIs {
		for n := range m {
			add(src, n)
		}
	}
	add("organizations.amazonaws.com", orgAPIs...)
	add("sts.amazonaws.com", "GetFederationToken")
	for n := range federationAPIs {
		add("iam.amazonaws.com", n)
	}
	for n := range rolesAnywhereAPIs {
		add("rolesanywhere.amazonaws.com", n)
	}
	add("signin.amazonaws.com", "ConsoleLogin")
	for _, l := range out {
		slices.Sort(l)
	}
	return out
}
