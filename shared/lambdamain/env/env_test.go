package env

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// TestReader reads one variable per case and checks the value and the
// error, which must name the variable and say what is wanted.
func TestReader(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		value   string
		read    func(r *Reader) any
		want    any
		wantErr string
	}{
		"string set":           {value: " bus ", read: func(r *Reader) any { return r.String("V", "def") }, want: "bus"},
		"string unset":         {read: func(r *Reader) any { return r.String("V", "def") }, want: "def"},
		"required set":         {value: "bus", read: func(r *Reader) any { return r.Required("V", "a bus name") }, want: "bus"},
		"required missing":     {read: func(r *Reader) any { return r.Required("V", "a bus name") }, want: "", wantErr: "environment variable V is not set: want a bus name"},
		"required blank":       {value: "  ", read: func(r *Reader) any { return r.Required("V", "a bus name") }, want: "", wantErr: "V is not set"},
		"int set":              {value: "12", read: func(r *Reader) any { return r.Int("V", 8, 1, math.MaxInt) }, want: 12},
		"int unset":            {read: func(r *Reader) any { return r.Int("V", 8, 1, math.MaxInt) }, want: 8},
		"int zero":             {value: "0", read: func(r *Reader) any { return r.Int("V", 8, 1, math.MaxInt) }, want: 8, wantErr: `V="0": want a positive whole number`},
		"int text":             {value: "many", read: func(r *Reader) any { return r.Int("V", 8, 1, math.MaxInt) }, want: 8, wantErr: `V="many": want a positive whole number`},
		"int above range":      {value: "90", read: func(r *Reader) any { return r.Int("V", 7, 1, 63) }, want: 7, wantErr: "want a whole number from 1 to 63"},
		"int open end":         {value: "-1", read: func(r *Reader) any { return r.Int("V", 0, 0, math.MaxInt) }, want: 0, wantErr: "want a whole number of at least 0"},
		"float set":            {value: "0.25", read: func(r *Reader) any { return r.Float("V", 0, 0, 1) }, want: 0.25},
		"float NaN":            {value: "NaN", read: func(r *Reader) any { return r.Float("V", 0.5, 0, math.Inf(1)) }, want: 0.5, wantErr: "want a number of at least 0"},
		"float out of range":   {value: "1.5", read: func(r *Reader) any { return r.Float("V", 0.5, 0, 1) }, want: 0.5, wantErr: "want a number from 0 to 1"},
		"duration set":         {value: "15m", read: func(r *Reader) any { return r.Duration("V", time.Hour, time.Nanosecond, math.MaxInt64) }, want: 15 * time.Minute},
		"duration unset":       {read: func(r *Reader) any { return r.Duration("V", time.Hour, time.Nanosecond, math.MaxInt64) }, want: time.Hour},
		"duration negative":    {value: "-1m", read: func(r *Reader) any { return r.Duration("V", time.Hour, time.Nanosecond, math.MaxInt64) }, want: time.Hour, wantErr: `V="-1m": want a positive duration such as 15m`},
		"duration no unit":     {value: "15", read: func(r *Reader) any { return r.Duration("V", time.Hour, time.Nanosecond, math.MaxInt64) }, want: time.Hour, wantErr: "positive duration"},
		"duration above range": {value: "10m", read: func(r *Reader) any { return r.Duration("V", time.Second, 0, 5*time.Minute) }, want: time.Second, wantErr: "from 0s to 5m0s"},
		"bool true":            {value: "TRUE", read: func(r *Reader) any { return r.Bool("V", false) }, want: true},
		"bool unset":           {read: func(r *Reader) any { return r.Bool("V", true) }, want: true},
		"bool yes":             {value: "yes", read: func(r *Reader) any { return r.Bool("V", false) }, want: false, wantErr: `V="yes": want true or false`},
		"list":                 {value: " a, ,b ,", read: func(r *Reader) any { return strings.Join(r.List("V", nil), "|") }, want: "a|b"},
		"list empty":           {value: " , ", read: func(r *Reader) any { return strings.Join(r.List("V", []string{"d"}), "|") }, want: "d"},
		"enum set":             {value: "s3", read: func(r *Reader) any { return r.Enum("V", "eventbridge", "eventbridge", "s3") }, want: "s3"},
		"enum unset":           {read: func(r *Reader) any { return r.Enum("V", "eventbridge", "eventbridge", "s3") }, want: "eventbridge"},
		"enum unknown":         {value: "kinesis", read: func(r *Reader) any { return r.Enum("V", "eventbridge", "eventbridge", "s3") }, want: "eventbridge", wantErr: `V="kinesis": want one of eventbridge, s3`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := New(func(k string) string {
				if k == "V" {
					return tc.value
				}
				return ""
			})
			if got := tc.read(r); got != tc.want {
				t.Errorf("value = %v, want %v", got, tc.want)
			}
			err := r.Err()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
			}
			var e *Error
			if !errors.As(err, &e) || e.Name != "V" {
				t.Errorf("error %v is not an *Error naming V", err)
			}
		})
	}
}

// TestReaderCollectsEveryError: one deployment shows every mistake.
func TestReaderCollectsEveryError(t *testing.T) {
	t.Parallel()
	vals := map[string]string{"A": "x", "C": "nope"}
	r := New(func(k string) string { return vals[k] })
	r.Int("A", 1, 1, 10)
	r.Required("B", "a name")
	r.Enum("C", "a", "a", "b")
	r.Fail("D", "q", "a queue URL")
	err := r.Err()
	for _, name := range []string{"A=", "B is not set", "C=", `D="q": want a queue URL`} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v lacks %q", err, name)
		}
	}
}

// FuzzSplitList: every item is non-empty, trimmed, free of commas and
// taken from the input, and there are no more items than fields.
func FuzzSplitList(f *testing.F) {
	for _, s := range []string{"", "a", " a , b ,,", ",,,", "a,\tb\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items := SplitList(s)
		if len(items) > strings.Count(s, ",")+1 {
			t.Fatalf("SplitList(%q) = %q: more items than fields", s, items)
		}
		for _, it := range items {
			if it == "" || it != strings.TrimSpace(it) || strings.Contains(it, ",") || !strings.Contains(s, it) {
				t.Fatalf("SplitList(%q) item %q", s, it)
			}
		}
	})
}
