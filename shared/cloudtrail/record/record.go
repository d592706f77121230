package record

import (
	"encoding/json"
	"strings"
	"time"
)

// Record is one CloudTrail event. Field names follow the CloudTrail record
// contents reference; only the fields selfaudit's checks read are decoded
// eagerly.
type Record struct {
	EventVersion       string
	EventTime          time.Time
	EventSource        string
	EventName          string
	AWSRegion          string
	SourceIPAddress    string
	UserAgent          string
	ErrorCode          string
	ErrorMessage       string
	RequestID          string
	EventID            string
	EventType          string
	RecipientAccountID string
	ReadOnly           bool
	// SessionCredentialFromConsole is "true" when the call was made with
	// credentials of a console session (newer records carry it).
	SessionCredentialFromConsole bool

	UserIdentity UserIdentity

	// Raw JSON of the nested parts, decoded on demand with Decode.
	RequestParameters   json.RawMessage
	ResponseElements    json.RawMessage
	AdditionalEventData json.RawMessage
	Resources           json.RawMessage

	// Decoded forms of RequestParameters and ResponseElements, filled on
	// first use so that several rules reading them decode once.
	params, response map[string]any
}

// UserIdentity is who made the call.
type UserIdentity struct {
	Type        string
	PrincipalID string
	ARN         string
	AccountID   string
	AccessKeyID string
	UserName    string
	InvokedBy   string
	// MFAAuthenticated is sessionContext.attributes.mfaAuthenticated.
	MFAAuthenticated bool
	// Issuer is sessionContext.sessionIssuer: for an assumed role, the role.
	IssuerType     string
	IssuerARN      string
	IssuerUserName string
}

// Action is the event name without the API version suffix Lambda adds
// (UpdateFunctionCode20150331v2 becomes UpdateFunctionCode), so that rules
// name APIs the way IAM and the documentation do.
func (r *Record) Action() string { return StripVersion(r.EventName) }

// StripVersion removes a trailing API date and optional version, such as
// "20150331" or "20150331v2", from an event name.
func StripVersion(name string) string {
	n := len(name)
	i := n
	// optional v<digits>
	j := i
	for j > 0 && name[j-1] >= '0' && name[j-1] <= '9' {
		j--
	}
	if j < i && j > 0 && name[j-1] == 'v' {
		i = j - 1
	}
	// eight digits of a date, starting 19 or 20
	if i >= 9 {
		d := name[i-8 : i]
		allDigits := true
		for k := 0; k < len(d); k++ {
			if d[k] < '0' || d[k] > '9' {
				allDigits = false
				break
			}
		}
		if allDigits && (d[:2] == "20" || d[:2] == "19") && name[i-9] >= 'A' && name[i-9] <= 'z' {
			return name[:i-8]
		}
	}
	return name
}

// Service is the short service name of the event source: "lambda" for
// lambda.amazonaws.com.
func (r *Record) Service() string {
	s, _, _ := strings.Cut(r.EventSource, ".")
	return s
}

// Failed reports whether the call returned an error.
func (r *Record) Failed() bool { return r.ErrorCode != "" }

// Principal is the key under which a caller's behaviour is tracked: the
// identity's ARN (for an assumed role, the session ARN, which carries the
// session name of the person or function), else the service that acted,
// else the principal ID within the account.
func (r *Record) Principal() string {
	u := &r.UserIdentity
	switch {
	case u.ARN != "":
		return u.ARN
	case u.Type == "AWSService" && u.InvokedBy != "":
		return u.InvokedBy
	case u.PrincipalID != "":
		return u.AccountID + ":" + u.PrincipalID
	case u.InvokedBy != "":
		return u.InvokedBy
	}
	return ""
}

// Account is the account the event happened in.
func (r *Record) Account() string {
	if r.RecipientAccountID != "" {
		return r.RecipientAccountID
	}
	return r.UserIdentity.AccountID
}

// Decode unmarshals raw nested JSON (for example RequestParameters) into v.
// A missing or null part leaves v untouched and is not an error.
func Decode(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// Params returns requestParameters as a map, decoded on first use; a record
// without them, or with malformed ones, yields an empty map. Callers must
// not modify it.
func (r *Record) Params() map[string]any {
	if r.params == nil {
		r.params = map[string]any{}
		_ = Decode(r.RequestParameters, &r.params)
	}
	return r.params
}

// Response returns responseElements as a map, like Params.
func (r *Record) Response() map[string]any {
	if r.response == nil {
		r.response = map[string]any{}
		_ = Decode(r.ResponseElements, &r.response)
	}
	return r.response
}
