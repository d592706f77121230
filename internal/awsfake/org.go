package awsfake

import (
	"bytes"
	lru "container/list"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/selfaudit/selfaudit/internal/iamwire"
)

// Organization is a generated AWS Organization for the organisation-audit
// benchmark: Accounts member accounts, each with its IAM roles and, per
// region, its Lambda estate, made up deterministically from Seed when a
// call first needs them (and forgotten again), so that a thousand accounts
// cost little memory. Every account sits in one of ten OUs under the root.
// One account in NoRoleEvery has no member role: AssumeRole into it is
// denied.
type Organization struct {
	Accounts int
	Seed     uint64
	// NoRoleEvery: every NoRoleEvery-th account (by index, offset by the
	// seed) has no member role; 0 means 100 (1 %), negative none.
	NoRoleEvery int
	// RoleName is the member role; default "selfaudit-audit".
	RoleName string
	// ExternalID, when set, must be passed to AssumeRole.
	ExternalID string
	// MaxFunctions bounds an account's functions in a region; most have
	// a few (the count is skewed towards few). Default 300.
	MaxFunctions int
	// MaxRoles bounds an account's roles; default 300.
	MaxRoles int
}

// Organization-wide names.
const (
	OrgManagementAccount = "999900000000"
	OrgID                = "o-selfaudit01"
	OrgRootID            = "r-sa01"
)

// OrgAccount is the ID of the i-th member account.
func OrgAccount(i int) string { return fmt.Sprintf("%012d", 200000000000+i) }

// OrgOU is the ID of the k-th OU (0..9) under the root.
func OrgOU(k int) string { return fmt.Sprintf("ou-sa01-%08d", k) }

func (o *Organization) index(account string) (int, bool) {
	i, err := strconv.Atoi(account)
	if err != nil || len(account) != 12 {
		return 0, false
	}
	i -= 200000000000
	return i, i >= 0 && i < o.Accounts
}

// HasRole reports whether the account has the member role.
func (o *Organization) HasRole(account string) bool {
	i, ok := o.index(account)
	if !ok {
		return false
	}
	every := o.NoRoleEvery
	if every == 0 {
		every = 100
	}
	if every < 0 {
		return true
	}
	return (i+int(o.Seed%uint64(every)))%every != every-1
}

// NoRoleAccounts lists the accounts without the member role.
func (o *Organization) NoRoleAccounts() []string {
	var out []string
	for i := 0; i < o.Accounts; i++ {
		if !o.HasRole(OrgAccount(i)) {
			out = append(out, OrgAccount(i))
		}
	}
	return out
}

func (o *Organization) rng(parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(o.Seed, h.Sum64()))
}

// skewed draws 2..max with most draws small: a few functions in most
// accounts, a few hundred in some.
func skewed(r *rand.Rand, max int) int {
	return 2 + int(math.Pow(r.Float64(), 9)*float64(max-2))
}

// FunctionCount is the number of functions of an account in a region.
func (o *Organization) FunctionCount(account, region string) int {
	return skewed(o.rng("functions", account, region), cmpOr(o.MaxFunctions, 300))
}

// RoleCount is the number of roles of an account.
func (o *Organization) RoleCount(account string) int {
	return skewed(o.rng("roles", account), cmpOr(o.MaxRoles, 300))
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Estate builds the Lambda estate of an account in a region: the shapes of
// GenerateEstate (most functions well run, a few with findings), under the
// account's and region's ARNs.
func (o *Organization) Estate(account, region string) *Estate {
	n := o.FunctionCount(account, region)
	e := GenerateEstate(n)
	// Three functions in four are well run (an API behind an alias, with
	// alarms); the fourth keeps GenerateEstate's problems.
	alarmed := map[string]bool{}
	for _, a := range e.Alarms {
		if fn := a.Dims["FunctionName"]; fn != "" {
			alarmed[fn] = true
		}
		for _, m := range a.Math {
			alarmed[m.Dims["FunctionName"]] = true
		}
	}
	clean := map[string]bool{}
	for i, f := range e.Functions {
		if i%4 == 0 {
			continue
		}
		clean[f.ARN()] = true
		f.Policies = map[string]string{"live": ServicePolicy(f.Name, "live", "apigateway.amazonaws.com", "arn:aws:execute-api:"+region+":"+account+":api/*")}
		f.AsyncEvents, f.OnFailure = 0, nil
		f.Versions, f.Aliases = []string{"1", "2", "3"}, map[string]string{"live": "3"}
		if !alarmed[f.Name] {
			e.Alarms = append(e.Alarms, errorAlarms(f.Name)...)
		}
	}
	kept := e.Mappings[:0]
	for _, m := range e.Mappings {
		if !clean[strings.TrimSuffix(m.FunctionArn, ":live")] {
			kept = append(kept, m)
		}
	}
	e.Mappings = kept
	for _, f := range e.Functions {
		f.Arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, f.Name)
		f.Role = fmt.Sprintf("arn:aws:iam::%s:role/%s-role", account, f.Name)
		f.Reports = nil // REPORT lines: the Logs fake answers none
	}
	for i := range e.Mappings {
		m := &e.Mappings[i]
		m.FunctionArn = strings.Replace(strings.Replace(m.FunctionArn, Account, account, 1), ":"+Region+":", ":"+region+":", 1)
	}
	return e
}

// iamPage is page p (1-based) of the account's
// GetAccountAuthorizationDetails, 100 roles to a page: each role trusted
// by Lambda with one inline policy, every seventh granting s3:* on *.
func (o *Organization) iamPage(account string, p int) ([]byte, bool) {
	roles := o.RoleCount(account)
	pages := (roles + 99) / 100
	if p < 1 || p > pages {
		return nil, false
	}
	trust := url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<GetAccountAuthorizationDetailsResponse xmlns="%s"><GetAccountAuthorizationDetailsResult>`, iamNS)
	if p < pages {
		fmt.Fprintf(&b, "<IsTruncated>true</IsTruncated><Marker>%s</Marker>", iamwire.Marker(p+1))
	} else {
		b.WriteString("<IsTruncated>false</IsTruncated>")
	}
	b.WriteString("<UserDetailList/><GroupDetailList/><RoleDetailList>")
	for i := (p - 1) * 100; i < min(p*100, roles); i++ {
		name := fmt.Sprintf("svc-%04d-role", i)
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:%s:log-group:/aws/lambda/svc-%04d:*"}]}`, account, i)
		if i%7 == 3 {
			doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
		}
		fmt.Fprintf(&b, `<member><Path>/</Path><RoleName>%s</RoleName><RoleId>AROA%s%04d</RoleId><Arn>arn:aws:iam::%s:role/%s</Arn><CreateDate>2025-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument><InstanceProfileList/><RolePolicyList><member><PolicyName>inline</PolicyName><PolicyDocument>%s</PolicyDocument></member></RolePolicyList><AttachedManagedPolicies/><Tags/></member>`,
			name, account, i, account, name, trust, url.QueryEscape(doc))
	}
	b.WriteString(`</RoleDetailList><Policies/></GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>org-iam</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>`)
	return b.Bytes(), true
}

// OrgLimits are the per-account, per-API token buckets and the latency of
// the organisation's fakes.
type OrgLimits struct {
	// MinLatency and MaxLatency bound the delay added to every call
	// (uniform); defaults 30 and 80 ms.
	MinLatency, MaxLatency time.Duration
	// Rates are requests per second per account (per region for
	// regional services) and API, by "Service.Operation", with
	// "Service.*" as the service's default; the burst is one second's
	// worth. Default DefaultOrgRates.
	Rates map[string]float64
	// Scale divides every rate: 2 throttles twice as readily. Default 1.
	Scale float64
}

// DefaultOrgRates are the documented or observed rates of the APIs the
// audit calls, per account (and region for Lambda, CloudWatch and Logs).
func DefaultOrgRates() map[string]float64 {
	return map[string]float64{
		"Lambda.*": 15, "Lambda.GetPolicy": 15, "Lambda.ListFunctions": 15,
		"IAM.*": 10, "IAM.GetAccountAuthorizationDetails": 5,
		"CloudWatch.*": 9, "CloudWatch.GetMetricData": 50,
		"Logs.*": 10, "Logs.StartQuery": 5, "Logs.GetQueryResults": 5,
		"STS.*": 200, "Organizations.*": 2,
	}
}

// OrgCounters sum the calls and throttles over the organisation's fakes.
type OrgCounters struct {
	Calls, Throttled atomic.Int64
}

type bucket struct {
	tokens float64
	last   time.Time
}

// serviceErrors is how one service answers an error: its error shape,
// and its answers to a call over its rate and to credentials it does not
// know.
type serviceErrors struct {
	write          func(w http.ResponseWriter, status int, code, msg string)
	throttleStatus int
	throttleCode   string
	deniedStatus   int
	deniedCode     string
}

// orgService is one service of the organisation behind one server: it
// tells the account (from the access key of the assumed role's
// credentials) and region (from the credential scope) of a call, adds
// latency, applies the account's token bucket for the API and hands the
// call to the account's fake.
type orgService struct {
	base
	org      *Organization
	limits   OrgLimits
	counters *OrgCounters
	name     string
	envVar   string
	regional bool
	global   bool // the audit account's own service: STS, Organizations
	opOf     func(r *http.Request, body []byte) string
	errs     serviceErrors
	serve    func(account, region string, w http.ResponseWriter, r *http.Request)

	mu      sync.Mutex
	buckets map[string]*bucket
}

func (s *orgService) Service() string     { return s.name }
func (s *orgService) EndpointVar() string { return s.envVar }

// AccountOfAccessKey is the account of credentials the fake STS handed
// out: access key IDs "ASIA" + account + "FAKE".
func AccountOfAccessKey(id string) (string, bool) {
	if len(id) < 16 || !strings.HasPrefix(id, "ASIA") {
		return "", false
	}
	return id[4:16], true
}

// credentialOf reads the access key ID and region of a SigV4 request.
func credentialOf(r *http.Request) (key, region string) {
	auth := r.Header.Get("Authorization")
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return "", ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) < 3 {
		return "", ""
	}
	return parts[0], parts[2]
}

func (s *orgService) rate(op string) float64 {
	rates := s.limits.Rates
	if rates == nil {
		rates = DefaultOrgRates()
	}
	r, ok := rates[s.name+"."+op]
	if !ok {
		r, ok = rates[s.name+".*"]
	}
	if !ok {
		return 0
	}
	if s.limits.Scale > 0 {
		r /= s.limits.Scale
	}
	return r
}

// take reports whether the bucket of key has a token.
func (s *orgService) take(key string, rate float64, now time.Time) bool {
	if rate <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets == nil {
		s.buckets = map[string]*bucket{}
	}
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: rate, last: now}
		s.buckets[key] = b
	}
	b.tokens = min(rate, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (s *orgService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := s.opOf(r, body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.counters.Calls.Add(1)
	if !s.admit(w, Call{Op: op, Request: r, Body: body}, func(w http.ResponseWriter, e *APIError, op string) {
		s.errs.write(w, e.Status, e.Type, e.message(op))
	}) {
		return
	}
	key, region := credentialOf(r)
	account := "audit"
	if !s.global {
		a, ok := AccountOfAccessKey(key)
		if _, member := s.org.index(a); !ok || !member {
			s.errs.write(w, s.errs.deniedStatus, s.errs.deniedCode, "the security token included in the request is invalid: "+key)
			return
		}
		account = a
	}
	lo, hi := cmpDur(s.limits.MinLatency, 30*time.Millisecond), cmpDur(s.limits.MaxLatency, 80*time.Millisecond)
	delay := lo
	if hi > lo {
		delay += time.Duration(rand.Int64N(int64(hi - lo)))
	}
	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		return
	}
	bkey := account + "|" + op
	if s.regional {
		bkey = account + "|" + region + "|" + op
	}
	if !s.take(bkey, s.rate(op), time.Now()) {
		s.counters.Throttled.Add(1)
		s.errs.write(w, s.errs.throttleStatus, s.errs.throttleCode, "Rate exceeded")
		return
	}
	s.serve(account, region, w, r)
}

func cmpDur(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// regionFakes are the Lambda, CloudWatch and Logs fakes of one account
// and region.
type regionFakes struct {
	key    string
	lambda *Lambda
	cw     *CloudWatch
	logs   *Logs
}

// estates keeps the most recently used account-region fakes; the others
// are made again from the seed when needed.
type estates struct {
	org   *Organization
	mu    sync.Mutex
	max   int
	lru   *lru.List
	byKey map[string]*lru.Element
}

func (e *estates) get(account, region string) *regionFakes {
	key := account + "|" + region
	e.mu.Lock()
	if el, ok := e.byKey[key]; ok {
		e.lru.MoveToFront(el)
		e.mu.Unlock()
		return el.Value.(*regionFakes)
	}
	e.mu.Unlock()
	est := e.org.Estate(account, region)
	f := &regionFakes{key: key, lambda: NewLambda(est), cw: NewCloudWatch(est), logs: NewLogs(est)}
	e.mu.Lock()
	defer e.mu.Unlock()
	if el, ok := e.byKey[key]; ok {
		return el.Value.(*regionFakes)
	}
	e.byKey[key] = e.lru.PushFront(f)
	for e.lru.Len() > e.max {
		old := e.lru.Back()
		e.lru.Remove(old)
		delete(e.byKey, old.Value.(*regionFakes).key)
	}
	return f
}

// OrgFakes are the fakes of an Organization, running: Organizations and
// STS for the audit account, IAM, Lambda, CloudWatch and Logs for every
// member account, all with latency and per-account throttling, and each
// with the per-operation faults of every fake (Faults).
type OrgFakes struct {
	*Servers
	Org      *Organization
	Counters *OrgCounters
	// AssumeRoles counts the AssumeRole calls answered.
	AssumeRoles atomic.Int64
	Events      *EventBridge
}

// NewOrgFakes builds the fakes of org (not yet served; see ServeOrg).
func NewOrgFakes(org *Organization, limits OrgLimits) (*OrgFakes, []Fake) {
	of := &OrgFakes{Org: org, Counters: &OrgCounters{}, Events: NewEventBridge()}
	est := &estates{org: org, max: 400, lru: lru.New(), byKey: map[string]*lru.Element{}}
	jsonTarget := func(r *http.Request, _ []byte) string {
		t := r.Header.Get("X-Amz-Target")
		return t[strings.LastIndex(t, ".")+1:]
	}
	formAction := func(_ *http.Request, body []byte) string {
		v, _ := url.ParseQuery(string(body))
		return v.Get("Action")
	}
	mk := func(name, env string, regional, global bool, opOf func(*http.Request, []byte) string, e serviceErrors, serve func(string, string, http.ResponseWriter, *http.Request)) *orgService {
		return &orgService{org: org, limits: limits, counters: of.Counters, name: name, envVar: env, regional: regional, global: global, opOf: opOf, errs: e, serve: serve}
	}
	jsonErr := func(w http.ResponseWriter, status int, code, msg string) {
		writeAWSJSONError(w, ctJSON11, status, code, msg)
	}
	queryErr := func(ns string) func(http.ResponseWriter, int, string, string) {
		return func(w http.ResponseWriter, status int, code, msg string) { writeQueryError(w, ns, status, code, msg) }
	}
	orgs := mk("Organizations", "AWS_ENDPOINT_URL_ORGANIZATIONS", false, true, jsonTarget,
		serviceErrors{jsonErr, http.StatusBadRequest, "TooManyRequestsException", http.StatusForbidden, "AccessDeniedException"},
		func(_, _ string, w http.ResponseWriter, r *http.Request) { org.serveOrganizations(w, r) })
	sts := mk("STS", "AWS_ENDPOINT_URL_STS", false, true, formAction,
		serviceErrors{queryErr(stsNS), http.StatusBadRequest, "Throttling", http.StatusForbidden, "InvalidClientTokenId"},
		func(_, _ string, w http.ResponseWriter, r *http.Request) {
			of.AssumeRoles.Add(1)
			org.serveSTS(w, r)
		})
	iamSvc := mk("IAM", "AWS_ENDPOINT_URL_IAM", false, false, formAction,
		serviceErrors{queryErr(iamNS), http.StatusBadRequest, "Throttling", http.StatusForbidden, "InvalidClientTokenId"},
		func(account, _ string, w http.ResponseWriter, r *http.Request) { org.serveIAM(account, w, r) })
	lambdaSvc := mk("Lambda", "AWS_ENDPOINT_URL_LAMBDA", true, false,
		func(r *http.Request, _ []byte) string {
			parts := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
			op, _ := route(r.Method, parts)
			return op
		},
		serviceErrors{writeLambdaError, http.StatusTooManyRequests, "TooManyRequestsException", http.StatusForbidden, "UnrecognizedClientException"},
		func(account, region string, w http.ResponseWriter, r *http.Request) {
			est.get(account, region).lambda.ServeHTTP(w, r)
		})
	cwSvc := mk("CloudWatch", "AWS_ENDPOINT_URL_CLOUDWATCH", true, false,
		func(r *http.Request, _ []byte) string { return r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] },
		serviceErrors{cborStatusError, http.StatusBadRequest, "Throttling", http.StatusForbidden, "InvalidClientTokenId"},
		func(account, region string, w http.ResponseWriter, r *http.Request) {
			est.get(account, region).cw.ServeHTTP(w, r)
		})
	logsSvc := mk("Logs", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", true, false, jsonTarget,
		serviceErrors{jsonErr, http.StatusBadRequest, "ThrottlingException", http.StatusBadRequest, "UnrecognizedClientException"},
		func(account, region string, w http.ResponseWriter, r *http.Request) {
			est.get(account, region).logs.ServeHTTP(w, r)
		})
	return of, []Fake{orgs, sts, iamSvc, lambdaSvc, cwSvc, logsSvc, of.Events}
}

func (o *Organization) accountJSON(i int) map[string]any {
	a := OrgAccount(i)
	return map[string]any{"Id": a, "Arn": "arn:aws:organizations::" + OrgManagementAccount + ":account/" + OrgID + "/" + a,
		"Name": "member-" + a, "Email": "aws+" + a + "@example.com", "Status": "ACTIVE", "State": "ACTIVE",
		"JoinedMethod": "CREATED", "JoinedTimestamp": 1.7e9}
}

// serveOrganizations answers ListAccounts (pages of 20), and
// ListAccountsForParent and ListChildren over the root and its ten OUs.
func (o *Organization) serveOrganizations(w http.ResponseWriter, r *http.Request) {
	var in struct {
		NextToken  string
		MaxResults int
		ParentId   string
		ChildType  string
	}
	if err := decodeJSON(r, &in); err != nil {
		writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "InvalidInputException", err.Error())
		return
	}
	size := 20
	if in.MaxResults > 0 && in.MaxResults < size {
		size = in.MaxResults
	}
	var ids []int
	op := r.Header.Get("X-Amz-Target")
	op = op[strings.LastIndex(op, ".")+1:]
	switch op {
	case "ListAccounts":
		for i := 0; i < o.Accounts; i++ {
			ids = append(ids, i)
		}
	case "ListAccountsForParent":
		k := -1
		for j := 0; j < 10; j++ {
			if in.ParentId == OrgOU(j) {
				k = j
			}
		}
		if k < 0 && in.ParentId != OrgRootID {
			writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "ParentNotFoundException", "no parent "+in.ParentId)
			return
		}
		for i := 0; k >= 0 && i < o.Accounts; i++ {
			if i%10 == k {
				ids = append(ids, i)
			}
		}
	case "ListChildren":
		var children []map[string]any
		if in.ParentId == OrgRootID && in.ChildType == "ORGANIZATIONAL_UNIT" {
			for j := 0; j < 10; j++ {
				children = append(children, map[string]any{"Id": OrgOU(j), "Type": "ORGANIZATIONAL_UNIT"})
			}
		}
		writeAWSJSON(w, ctJSON11, map[string]any{"Children": children})
		return
	default:
		writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "InvalidAction", "the fake does not serve "+op)
		return
	}
	pg, next := page(ids, in.NextToken, size)
	accounts := make([]map[string]any, len(pg))
	for i, id := range pg {
		accounts[i] = o.accountJSON(id)
	}
	writeAWSJSON(w, ctJSON11, map[string]any{"Accounts": accounts, "NextToken": nilIfEmpty(next)})
}

// serveSTS answers AssumeRole into member accounts that have the role,
// with credentials whose access key names the account.
func (o *Organization) serveSTS(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeQueryError(w, stsNS, http.StatusBadRequest, "MalformedInput", err.Error())
		return
	}
	switch action := r.PostForm.Get("Action"); action {
	case "GetCallerIdentity":
		writeQueryResult(w, stsNS, action, "<Arn>arn:aws:sts::"+OrgManagementAccount+":assumed-role/selfaudit/test</Arn><UserId>AROATEST:test</UserId><Account>"+OrgManagementAccount+"</Account>")
	case "AssumeRole":
		roleARN := r.PostForm.Get("RoleArn")
		parts := strings.SplitN(roleARN, ":", 6)
		account, role := "", ""
		if len(parts) == 6 {
			account, role = parts[4], strings.TrimPrefix(parts[5], "role/")
		}
		want := o.RoleName
		if want == "" {
			want = "selfaudit-audit"
		}
		if !o.HasRole(account) || role != want || (o.ExternalID != "" && r.PostForm.Get("ExternalId") != o.ExternalID) {
			writeQueryError(w, stsNS, http.StatusForbidden, "AccessDenied", "User: arn:aws:sts::"+OrgManagementAccount+":assumed-role/selfaudit/test is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
			return
		}
		exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		writeQueryResult(w, stsNS, action, fmt.Sprintf("<Credentials><AccessKeyId>ASIA%sFAKE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token-%s</SessionToken><Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn><AssumedRoleId>AROA%s:%s</AssumedRoleId></AssumedRoleUser>",
			account, account, exp, account, xmlEscape(role), xmlEscape(r.PostForm.Get("RoleSessionName")), account, xmlEscape(r.PostForm.Get("RoleSessionName"))))
	default:
		writeQueryError(w, stsNS, http.StatusBadRequest, "InvalidAction", "the fake does not serve "+action)
	}
}

// serveIAM answers GetAccountAuthorizationDetails of the account.
func (o *Organization) serveIAM(account string, w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		iamError(w, http.StatusBadRequest, "MalformedInput", err.Error())
		return
	}
	if a := r.PostForm.Get("Action"); a != "GetAccountAuthorizationDetails" {
		iamError(w, http.StatusBadRequest, "InvalidAction", "the organisation fake does not serve "+a)
		return
	}
	p := 1
	if m := r.PostForm.Get("Marker"); m != "" {
		p = 0
		for i := 2; i <= 100; i++ {
			if iamwire.Marker(i) == m {
				p = i
				break
			}
		}
	}
	b, ok := o.iamPage(account, p)
	if !ok {
		iamError(w, http.StatusBadRequest, "ValidationError", "invalid Marker")
		return
	}
	w.Header().Set("Content-Type", ctXML)
	_, _ = w.Write(b)
}

// decodeJSON decodes a JSON request body; an empty body is an empty
// object.
func decodeJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return err
	}
	return json.Unmarshal(b, v)
}
