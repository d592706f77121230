package cloudtrail

import (
	"bufio"
	"bytes"
	"testing"
)

// valueEnd is the plain byte-by-byte form of readValue's scan over a
// whole input: the length of the composite or string value it starts
// with, or -1 when the input ends first.
func valueEnd(b []byte) int {
	depth, inStr, esc := 0, false, false
	for i, c := range b {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
				if depth == 0 {
					return i + 1
				}
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth <= 0 {
				return i + 1
			}
		}
	}
	return -1
}

// FuzzReadValueBoundaries checks the splitter's fast string skipping
// against the plain scan, with a 16-byte buffer so that quotes, escapes
// and runs of backslashes fall across buffer refills.
func FuzzReadValueBoundaries(f *testing.F) {
	for _, s := range []string{
		`{"a":"b"}`,
		`{"a":"q\"uote","b":["x\\","y\\\\\"z"]}`,
		`"` + string(bytes.Repeat([]byte(`\\`), 20)) + `\"end"`,
		`[{"k":"` + string(bytes.Repeat([]byte("v"), 40)) + `\\"},"t"]`,
		`{"unterminated":"abc\`,
		`["a\"]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || (b[0] != '{' && b[0] != '[' && b[0] != '"') {
			return
		}
		want := valueEnd(b)
		s := &splitter{r: bufio.NewReaderSize(bytes.NewReader(b), 16)}
		got, err := s.readValue()
		if want < 0 {
			if err == nil {
				t.Fatalf("value %q returned for input that never closes", got)
			}
			return
		}
		if err != nil {
			t.Fatalf("readValue: %v (want %q)", err, b[:want])
		}
		if !bytes.Equal(got, b[:want]) {
			t.Fatalf("readValue = %q, want %q", got, b[:want])
		}
	})
}
