package record

import (
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"
)

// This file maps the members of a CloudTrail record onto Record; the JSON
// walking itself is in jsonscan.go.

// ErrNotRecord means the JSON was an object but not a CloudTrail record
// (it has no eventName or eventSource).
var ErrNotRecord = errors.New("not a CloudTrail record")

// Parse decodes one CloudTrail record from b. b is not retained: the raw
// nested parts are copied into one allocation owned by the record.
//
// It returns ErrNotRecord for a well-formed object that is not a record,
// and a *SyntaxError for malformed JSON.
func Parse(b []byte) (*Record, error) {
	r := &Record{}
	if err := ParseInto(r, b); err != nil {
		return nil, err
	}
	return r, nil
}

// ParseInto is Parse into a caller-owned record, which is reset first.
func ParseInto(r *Record, b []byte) error {
	*r = Record{}
	// One copy of the input backs every raw sub-slice, so a record costs
	// a single allocation however many nested parts it keeps.
	var own []byte
	keep := func(v []byte) json.RawMessage {
		if own == nil {
			own = make([]byte, 0, len(b))
		}
		start := len(own)
		own = append(own, v...)
		return json.RawMessage(own[start:len(own):len(own)])
	}
	var timeStr string
	err := eachMember(b, func(key, val []byte, off int) error {
		switch string(key) {
		case "eventVersion":
			return str(val, off, &r.EventVersion, true)
		case "eventTime":
			return str(val, off, &timeStr, false)
		case "eventSource":
			return str(val, off, &r.EventSource, true)
		case "eventName":
			return str(val, off, &r.EventName, true)
		case "awsRegion":
			return str(val, off, &r.AWSRegion, true)
		case "sourceIPAddress":
			return str(val, off, &r.SourceIPAddress, false)
		case "userAgent":
			return str(val, off, &r.UserAgent, true)
		case "errorCode":
			return str(val, off, &r.ErrorCode, true)
		case "errorMessage":
			return str(val, off, &r.ErrorMessage, false)
		case "requestID":
			return str(val, off, &r.RequestID, false)
		case "eventID":
			return str(val, off, &r.EventID, false)
		case "eventType":
			return str(val, off, &r.EventType, true)
		case "recipientAccountId":
			return str(val, off, &r.RecipientAccountID, true)
		case "readOnly":
			return boolish(val, off, &r.ReadOnly)
		case "sessionCredentialFromConsole":
			return boolish(val, off, &r.SessionCredentialFromConsole)
		case "userIdentity":
			return parseIdentity(val, off, &r.UserIdentity)
		case "requestParameters":
			r.RequestParameters = keep(val)
		case "responseElements":
			r.ResponseElements = keep(val)
		case "additionalEventData":
			r.AdditionalEventData = keep(val)
		case "resources":
			r.Resources = keep(val)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if r.EventName == "" || r.EventSource == "" {
		return ErrNotRecord
	}
	// A record with an unreadable eventTime is still worth checking (the
	// rules that need time treat it as unknown), so it is not an error.
	if timeStr != "" {
		if t, err := time.Parse(time.RFC3339, timeStr); err == nil {
			r.EventTime = t.UTC()
		}
	}
	return nil
}

func parseIdentity(b []byte, off int, u *UserIdentity) error {
	return eachMemberAt(b, off, func(key, val []byte, o int) error {
		switch string(key) {
		case "type":
			return str(val, o, &u.Type, true)
		case "principalId":
			return str(val, o, &u.PrincipalID, false)
		case "arn":
			return str(val, o, &u.ARN, false)
		case "accountId":
			return str(val, o, &u.AccountID, true)
		case "accessKeyId":
			return str(val, o, &u.AccessKeyID, false)
		case "userName":
			return str(val, o, &u.UserName, false)
		case "invokedBy":
			return str(val, o, &u.InvokedBy, true)
		case "sessionContext":
			return eachMemberAt(val, o, func(k2, v2 []byte, o2 int) error {
				switch string(k2) {
				case "attributes":
					return eachMemberAt(v2, o2, func(k3, v3 []byte, o3 int) error {
						if string(k3) == "mfaAuthenticated" {
							return boolish(v3, o3, &u.MFAAuthenticated)
						}
						return nil
					})
				case "sessionIssuer":
					return eachMemberAt(v2, o2, func(k3, v3 []byte, o3 int) error {
						switch string(k3) {
						case "type":
							return str(v3, o3, &u.IssuerType, true)
						case "arn":
							return str(v3, o3, &u.IssuerARN, false)
						case "userName":
							return str(v3, o3, &u.IssuerUserName, false)
						}
						return nil
					})
				}
				return nil
			})
		}
		return nil
	})
}

// eachMemberAt walks a nested object that starts at offset off of the
// record, as eachMember does, passing fn offsets from the record's start.
// null stands for an absent object and has no members.
func eachMemberAt(b []byte, off int, fn func(key, val []byte, off int) error) error {
	if isNull(b) {
		return nil
	}
	return eachMember(b, func(key, val []byte, o int) error { return fn(key, val, off+o) })
}

// str decodes a JSON string (or null) into dst. Interned strings come from
// a small shared table, so the common values (event sources, names,
// regions) cost no allocation after their first sighting.
func str(b []byte, off int, dst *string, intern bool) error {
	if isNull(b) {
		*dst = ""
		return nil
	}
	if len(b) < 2 || b[0] != '"' {
		return syntaxErr(off, "want a string")
	}
	inner := b[1 : len(b)-1]
	for _, c := range inner {
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			s, err := unquote(b, off)
			if err != nil {
				return err
			}
			*dst = s
			return nil
		}
	}
	if intern && len(inner) <= 64 {
		*dst = interned(inner)
		return nil
	}
	*dst = string(inner)
	return nil
}

func boolish(b []byte, off int, dst *bool) error {
	switch string(b) {
	case "true", `"true"`:
		*dst = true
	case "false", `"false"`, "null", `""`:
		*dst = false
	default:
		return syntaxErr(off, "want a boolean")
	}
	return nil
}
