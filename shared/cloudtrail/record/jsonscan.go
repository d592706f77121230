package record

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// A JSON scanner without reflection: it finds where each value starts and
// ends, checks its syntax, and hands the raw bytes to the caller, which
// decodes only what it needs. parse.go builds the record mapping on top of it;
// EachMember and Unquote let the cloudtrail package unwrap envelopes the
// same way.

// SyntaxError is malformed JSON at a byte offset of the record.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

func syntaxErr(off int, msg string) error { return &SyntaxError{Offset: off, Msg: msg} }

func isNull(b []byte) bool { return len(b) == 4 && string(b) == "null" }

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
			switch e := s[i+1]; {
			case int(e) < len(shortEscapes) && shortEscapes[e] != 0:
				out = append(out, shortEscapes[e])
				i += 2
			case e == 'u':
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

// shortEscapes maps the letter after a backslash to the byte it stands
// for; zero marks a letter that is no one-letter escape.
var shortEscapes = [...]byte{
	'"': '"', '\\': '\\', '/': '/',
	'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t',
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
		end, esc, err := scanString(b, i)
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
		vend, err := scanValue(b, i)
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

// scanString returns the end (one past the closing quote) of the string
// starting at b[i], and whether it holds escapes.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
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

// scanValue returns the end of the JSON value starting at b[i]. Strings,
// literals and numbers are checked; objects and arrays are checked for
// balance and structure.
func scanValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, syntaxErr(i, "want a value")
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := scanString(b, i)
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
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		j = digits(b, j)
	default:
		return 0, syntaxErr(i, "bad number")
	}
	if j < len(b) && b[j] == '.' {
		k := j + 1
		if j = digits(b, k); j == k {
			return 0, syntaxErr(i, "bad number")
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := j
		if j = digits(b, j); j == k {
			return 0, syntaxErr(i, "bad number")
		}
	}
	return j, nil
}

// digits returns the end of the run of decimal digits starting at b[j].
func digits(b []byte, j int) int {
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return j
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
			end, _, err := scanString(b, j)
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
			end, err := scanValue(b, j)
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
