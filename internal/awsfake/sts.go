package awsfake

import (
	"cmp"
	"fmt"
	"net/http"
	"strings"
)

// STS fakes GetCallerIdentity in the Query protocol (form-encoded
// request, XML answer), for code that learns its account at start-up.
type STS struct {
	base
	// Account is the account answered; default Account.
	Account string
	// Arn is the caller's ARN; default an assumed role of the account.
	Arn string
}

const stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

// NewSTS answers for the default Account.
func NewSTS() *STS { return &STS{} }

// Service implements Fake.
func (*STS) Service() string { return "STS" }

// EndpointVar implements Fake.
func (*STS) EndpointVar() string { return "AWS_ENDPOINT_URL_STS" }

func (s *STS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeQueryError(w, stsNS, http.StatusBadRequest, "MalformedInput", "content type "+ct+", want application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeQueryError(w, stsNS, http.StatusBadRequest, "MalformedInput", err.Error())
		return
	}
	action := r.PostForm.Get("Action")
	if !s.admit(w, Call{Op: action, Request: r}, func(w http.ResponseWriter, e *APIError, op string) {
		writeQueryError(w, stsNS, e.Status, e.Type, e.message(op))
	}) {
		return
	}
	if action != "GetCallerIdentity" {
		writeQueryError(w, stsNS, http.StatusBadRequest, "InvalidAction", "the fake serves GetCallerIdentity only, not "+action)
		return
	}
	acct := cmp.Or(s.Account, Account)
	arn := cmp.Or(s.Arn, "arn:aws:sts::"+acct+":assumed-role/selfaudit/test")
	writeQueryResult(w, stsNS, action, fmt.Sprintf("<Arn>%s</Arn><UserId>AROATESTTESTTEST:test</UserId><Account>%s</Account>", xmlEscape(arn), acct))
}
