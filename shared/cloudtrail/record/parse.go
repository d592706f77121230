package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrNotRecord means the JSON was an object but not a CloudTrail record
// (it has no eventName or eventSource).
var ErrNotRecord = errors.New("not a CloudTrail record")

// SyntaxError is malformed JSON at a byte offset of the record.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

func syntaxErr(off int, msg string) error { return &SyntaxError{Offset: off, Msg: msg} }

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
	if isNull(b) {
		return nil
	}
	return eachMember(b, func(key, val []byte, o int) error {
		o += off
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
			if isNull(val) {
				return nil
			}
			return eachMember(val, func(k2, v2 []byte, o2 int) error {
				o2 += o
				switch string(k2) {
				case "attributes":
					if isNull(v2) {
						return nil
					}
					return eachMember(v2, func(k3, v3 []byte, o3 int) error {
						if string(k3) == "mfaAuthenticated" {
							return boolish(v3, o2+o3, &u.MFAAuthenticated)
						}
						return nil
					})
				case "sessionIssuer":
					if isNull(v2) {
						return nil
					}
					return eachMember(v2, func(k3, v3 []byte, o3 int) error {
						switch string(k3) {
						case "type":
							return str(v3, o2+o3, &u.IssuerType, true)
						case "arn":
							return str(v3, o2+o3, &u.IssuerARN, false)
						case "userName":
							return str(v3, o2+o3, &u.IssuerUserName, false)
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

func isNull(b []byte) bool { return len(b) == 4 && string(b) == "null" }

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

// internSlots is a small lock-free cache of common short strings (event
// sources, names, regions, account IDs): a hit costs a hash and a compare
// and no allocation, which matters at millions of records. A collision just
// replaces the slot.
var internSlots [4096]atomic.Pointer[string]

func interned(b []byte) string {
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &internSlots[h&uint32(len(internSlots)-1)]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}

// unquote decodes a JSON string literal with escapes.
func unquote(b []byte, off int) (string, error) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", syntaxErr(off, "want a string")
	}
	s := b[1 : len(b)-1]
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return "", syntaxErr(off+i, "bad escape")
			}
			switch s[i+1] {
			case '"', '\\', '/':
				out = append(out, s[i+1])
				i += 2
			case 'b':
				out = append(out, '\b')
				i += 2
			case 'f':
				out = append(out, '\f')
				i += 2
			case 'n':
				out = append(out, '\n')
				i += 2
			case 'r':
				out = append(out, '\r')
				i += 2
			case 't':
				out = append(out, '\t')
				i += 2
			case 'u':
				r, ok := hex4(s, i+2)
				if !ok {
					return "", syntaxErr(off+i, "bad \\u escape")
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2, ok2 := hex4(s, i+2); ok2 && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", syntaxErr(off+i, "bad escape")
			}
		case c < 0x20:
			return "", syntaxErr(off+i, "control character in string")
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			out = utf8.AppendRune(out, r) // invalid bytes become U+FFFD, as encoding/json does
			i += size
		}
	}
	return string(out), nil
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// Unquote decodes a JSON string literal such as the CloudTrailEvent field of
// a LookupEvents result.
func Unquote(b []byte) (string, error) { return unquote(b, 0) }

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// eachMember walks the members of the JSON object b, calling fn with each
// key (raw, without quotes; escaped keys are unescaped), the raw value and
// the value's offset. Duplicate keys are passed in order, so the last one
// wins as in encoding/json.
func eachMember(b []byte, fn func(key, val []byte, off int) error) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return syntaxErr(i, "want an object")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		if skipWS(b, i+1) != len(b) {
			return syntaxErr(i+1, "data after object")
		}
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return syntaxErr(i, "want a key")
		}
		end, esc, err := ScanString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : end-1]
		if esc {
			k, err := unquote(b[i:end], i)
			if err != nil {
				return err
			}
			key = []byte(k)
		}
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return syntaxErr(i, "want ':'")
		}
		i = skipWS(b, i+1)
		vend, err := ScanValue(b, i)
		if err != nil {
			return err
		}
		if err := fn(key, b[i:vend], i); err != nil {
			return err
		}
		i = skipWS(b, vend)
		if i >= len(b) {
			return syntaxErr(i, "unterminated object")
		}
		if b[i] == '}' {
			if skipWS(b, i+1) != len(b) {
				return syntaxErr(i+1, "data after object")
			}
			return nil
		}
		if b[i] != ',' {
			return syntaxErr(i, "want ',' or '}'")
		}
		i = skipWS(b, i+1)
	}
}

// ScanString returns the end (one past the closing quote) of the string
// starting at b[i], and whether it holds escapes.
func ScanString(b []byte, i int) (end int, escaped bool, err error) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, escaped, nil
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return 0, false, syntaxErr(j, "control character in string")
		}
	}
	return 0, false, syntaxErr(i, "unterminated string")
}

// ScanValue returns the end of the JSON value starting at b[i]. Strings,
// literals and numbers are checked; objects and arrays are checked for
// balance and structure.
func ScanValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, syntaxErr(i, "want a value")
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := ScanString(b, i)
		return end, err
	case c == '{' || c == '[':
		return scanComposite(b, i)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(b, i)
	}
	return 0, syntaxErr(i, "want a value")
}

func literal(b []byte, i int, lit string) (int, error) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), nil
	}
	return 0, syntaxErr(i, "bad literal")
}

func scanNumber(b []byte, i int) (int, error) {
	j := i
	if b[j] == '-' {
		j++
	}
	if j >= len(b) {
		return 0, syntaxErr(i, "bad number")
	}
	if b[j] == '0' {
		j++
	} else if b[j] >= '1' && b[j] <= '9' {
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
	} else {
		return 0, syntaxErr(i, "bad number")
	}
	if j < len(b) && b[j] == '.' {
		j++
		k := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == k {
			return 0, syntaxErr(i, "bad number")
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == k {
			return 0, syntaxErr(i, "bad number")
		}
	}
	return j, nil
}

// scanComposite checks an object or array recursively with an explicit
// stack, so that deeply nested hostile input cannot overflow the goroutine
// stack.
func scanComposite(b []byte, i int) (int, error) {
	const maxDepth = 10000
	stack := make([]byte, 0, 16)
	j := i
	for {
		if j >= len(b) {
			return 0, syntaxErr(i, "unterminated value")
		}
		c := b[j]
		if c != '{' && c != '[' {
			return 0, syntaxErr(j, "want object or array")
		}
		if len(stack) >= maxDepth {
			return 0, syntaxErr(j, "nesting too deep")
		}
		stack = append(stack, c)
		j = skipWS(b, j+1)
		// empty container
		if j < len(b) && ((c == '{' && b[j] == '}') || (c == '[' && b[j] == ']')) {
			stack = stack[:len(stack)-1]
			j++
			goto closed
		}
	member:
		if stack[len(stack)-1] == '{' {
			if j >= len(b) || b[j] != '"' {
				return 0, syntaxErr(j, "want a key")
			}
			end, _, err := ScanString(b, j)
			if err != nil {
				return 0, err
			}
			j = skipWS(b, end)
			if j >= len(b) || b[j] != ':' {
				return 0, syntaxErr(j, "want ':'")
			}
			j = skipWS(b, j+1)
		}
		if j < len(b) && (b[j] == '{' || b[j] == '[') {
			continue // descend
		}
		{
			end, err := ScanValue(b, j)
			if err != nil {
				return 0, err
			}
			j = end
		}
	closed:
		for {
			if len(stack) == 0 {
				return j, nil
			}
			j = skipWS(b, j)
			if j >= len(b) {
				return 0, syntaxErr(i, "unterminated value")
			}
			top := stack[len(stack)-1]
			switch {
			case b[j] == ',':
				j = skipWS(b, j+1)
				goto member
			case (top == '{' && b[j] == '}') || (top == '[' && b[j] == ']'):
				stack = stack[:len(stack)-1]
				j++
			default:
				return 0, syntaxErr(j, "want ',' or a closing bracket")
			}
		}
	}
}

// EachMember walks the members of a JSON object; see eachMember. Callers
// outside this package use it to unwrap envelopes without reflection.
func EachMember(b []byte, fn func(key, val []byte) error) error {
	return eachMember(b, func(k, v []byte, _ int) error { return fn(k, v) })
}
