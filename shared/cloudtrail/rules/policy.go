package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/selfaudit/selfaudit/shared/iampolicy"
)

// publicNarrowingKeys are the condition keys (lower case) that bind an
// otherwise open principal to known callers, networks or sources: a
// resource policy for "*" with one of them, tested as iampolicy's
// NarrowingKeys requires (a positive operator, no ...IfExists, a value
// other than "*"), is not public. Keys that narrow something else leave it
// public: the region (aws:RequestedRegion), the calling service
// (aws:CalledVia, kms:ViaService), TLS (aws:SecureTransport), a tag, the
// resource's own account, a function URL's auth type, or the subscriber of
// a topic (sns:Endpoint); aws:PrincipalIsAWSService is a Bool, which
// NarrowingKeys does not count.
var publicNarrowingKeys = map[string]bool{
	"aws:sourcearn": true, "aws:sourceaccount": true, "aws:sourceowner": true,
	"aws:sourceorgid": true, "aws:sourceorgpaths": true,
	"aws:principalorgid": true, "aws:principalorgpaths": true,
	"aws:principalaccount": true, "aws:principalarn": true, "aws:userid": true,
	"aws:principalservicename": true,
	"aws:sourcevpc":            true, "aws:sourcevpce": true, "aws:sourcevpcarn": true,
	"aws:sourceip": true, "aws:vpcsourceip": true,
	"kms:calleraccount":         true,
	"s3:dataaccesspointaccount": true, "s3:dataaccesspointarn": true,
	"lambda:eventsourcetoken": true,
}

// Exposure is what a resource policy written in an event says about who
// may use the resource.
type Exposure struct {
	// Open lists the statements (by Sid, else by index) that let anyone
	// in, "*" or any AWS account, and that no condition narrows.
	Open []string
	// Narrowed lists the statements that would let anyone in but for a
	// condition, with the keys that narrow them ("Sid: aws:sourcearn").
	Narrowed []string
}

// Public reports whether some statement lets anyone in unnarrowed.
func (e Exposure) Public() bool { return len(e.Open) > 0 }

// errNoPolicy is JudgePolicy's error for an empty document (a policy
// removed, not written).
var errNoPolicy = errors.New("no policy document")

// maxPolicyBytes bounds the policy JudgePolicy reads: resource policies
// are limited to 20 KB (S3) or less by AWS; a larger one is not genuine.
const maxPolicyBytes = 1 << 20

// JudgePolicy reads a resource policy as an event carries it (a JSON
// string, possibly URL-encoded, or the object itself) and reports who it
// lets in. It never panics; an error means the policy could not be read
// and so could not be judged.
func JudgePolicy(doc []byte) (Exposure, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) > maxPolicyBytes {
		return Exposure{}, errors.New("policy document over 1 MiB")
	}
	if len(doc) > 0 && doc[0] == '"' {
		// A JSON string holding the policy.
		var s string
		if err := json.Unmarshal(doc, &s); err != nil {
			return Exposure{}, err
		}
		doc = bytes.TrimSpace([]byte(s))
	}
	if len(doc) == 0 || string(doc) == "null" {
		return Exposure{}, errNoPolicy
	}
	if doc[0] != '{' {
		if d, err := url.QueryUnescape(string(doc)); err == nil {
			doc = bytes.TrimSpace([]byte(d))
		}
	}
	p, err := iampolicy.Parse(doc)
	if err != nil {
		return Exposure{}, err
	}
	var e Exposure
	for _, s := range p.Statements {
		if !strings.EqualFold(s.Effect, "Allow") || !openStatement(&s) {
			continue
		}
		name := s.Sid
		if name == "" {
			name = "statement " + strconv.Itoa(s.Index)
		}
		var by []string
		for _, k := range iampolicy.NarrowingKeys(s.Condition) {
			if publicNarrowingKeys[k] {
				by = append(by, k)
			}
		}
		if len(by) == 0 {
			e.Open = append(e.Open, name)
		} else {
			e.Narrowed = append(e.Narrowed, name+": "+strings.Join(by, ", "))
		}
	}
	return e, nil
}

// openStatement reports a statement whose principal is anyone: "*",
// {"AWS": "*"}, an account wildcard such as "arn:aws:iam::*:root", or
// NotPrincipal (everyone but the listed principals).
func openStatement(s *iampolicy.Statement) bool {
	if s.NotPrincipal != nil {
		return true
	}
	if s.Principal == nil {
		return false
	}
	if s.Principal.Wildcard {
		return true
	}
	for _, v := range s.Principal.Values["AWS"] {
		if anyAccount(v) {
			return true
		}
	}
	for _, v := range s.Principal.Values["CanonicalUser"] {
		if strings.TrimSpace(v) == "*" {
			return true
		}
	}
	return false
}

// anyAccount reports an AWS principal value that names every account:
// "*", or an ARN whose account field is a wildcard.
func anyAccount(v string) bool {
	v = strings.TrimSpace(v)
	if v == "*" {
		return true
	}
	parts := strings.SplitN(v, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && strings.Contains(parts[4], "*")
}
