package record

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestScanValue(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		end     int // wanted end when ok
		wantErr bool
	}{
		"string":            {in: `"a\"b" tail`, end: 6},
		"number":            {in: `-12.5e+3,`, end: 8},
		"literal":           {in: `true]`, end: 4},
		"nested":            {in: `{"a":[1,{"b":null}],"c":"}"}`, end: 28},
		"empty object":      {in: `{ }`, end: 3},
		"unterminated":      {in: `{"a":[1,2}`, wantErr: true},
		"bad literal":       {in: `nul`, wantErr: true},
		"lone minus":        {in: `-`, wantErr: true},
		"control character": {in: "\"a\x01\"", wantErr: true},
		"missing colon":     {in: `{"a" 1}`, wantErr: true},
		"nothing":           {in: ``, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			end, err := scanValue([]byte(tc.in), 0)
			if tc.wantErr {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("scanValue(%q) = %d, %v; want a *SyntaxError", tc.in, end, err)
				}
				return
			}
			if err != nil || end != tc.end {
				t.Fatalf("scanValue(%q) = %d, %v; want %d", tc.in, end, err, tc.end)
			}
		})
	}
}

// FuzzScanValue holds the scanner to encoding/json in one direction: every
// document json.Valid accepts is scanned to its end. (The scanner is more
// lenient on escape sequences, which it leaves to unquote, so the other
// direction does not hold.) It must never panic.
func FuzzScanValue(f *testing.F) {
	for _, s := range []string{sample, `[1,"x",{"y":[true,false,null]}]`, ` 0 `, `"\u00e9"`, `{"a":{}}`, `[[[]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		start := skipWS(b, 0)
		end, err := scanValue(b, start)
		if !json.Valid(b) {
			return
		}
		var se *SyntaxError
		if errors.As(err, &se) && se.Msg == "nesting too deep" {
			return
		}
		if err != nil {
			t.Fatalf("json.Valid accepts %q, scanValue: %v", b, err)
		}
		if skipWS(b, end) != len(b) {
			t.Fatalf("json.Valid accepts %q, scanValue stopped at %d of %d", b, end, len(b))
		}
	})
}
