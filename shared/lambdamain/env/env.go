package env

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Error is one variable that is missing or cannot be used.
type Error struct {
	// Name is the environment variable.
	Name string
	// Value is what it was set to; empty when it was missing.
	Value string
	// Want says what a good value looks like.
	Want string
}

func (e *Error) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("environment variable %s is not set: want %s", e.Name, e.Want)
	}
	return fmt.Sprintf("environment variable %s=%q: want %s", e.Name, e.Value, e.Want)
}

// Reader reads variables through a getenv function (os.Getenv in
// production, a map lookup in tests) and remembers every problem. It is
// not safe for concurrent use; read the configuration once, at start-up.
type Reader struct {
	getenv func(string) string
	errs   []error
}

// New returns a Reader over getenv.
func New(getenv func(string) string) *Reader { return &Reader{getenv: getenv} }

// Err returns every problem found so far, joined, or nil.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// Fail records a problem found by the caller's own validation, so that it
// is reported with the others and in the same words.
func (r *Reader) Fail(name, value, want string) {
	r.errs = append(r.errs, &Error{Name: name, Value: value, Want: want})
}

// lookup returns the trimmed value of name.
func (r *Reader) lookup(name string) string { return strings.TrimSpace(r.getenv(name)) }

// String returns the value of name, or def when it is unset or blank.
func (r *Reader) String(name, def string) string {
	if v := r.lookup(name); v != "" {
		return v
	}
	return def
}

// Required returns the value of name and records an error when it is
// unset or blank; want describes the value expected, for the message.
func (r *Reader) Required(name, want string) string {
	v := r.lookup(name)
	if v == "" {
		r.Fail(name, "", want)
	}
	return v
}

// Int returns the whole number in name, def when unset, and records an
// error (returning def) unless it lies in [min, max].
func (r *Reader) Int(name string, def, min, max int) int {
	v := r.lookup(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		want := rangeText("a whole number", strconv.Itoa(min), strconv.Itoa(max), min == math.MinInt, max == math.MaxInt)
		if min == 1 && max == math.MaxInt {
			want = "a positive whole number"
		}
		r.Fail(name, v, want)
		return def
	}
	return n
}

// Float returns the decimal number in name, def when unset, and records an
// error (returning def) unless it is a finite number in [min, max].
func (r *Reader) Float(name string, def, min, max float64) float64 {
	v := r.lookup(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < min || f > max {
		r.Fail(name, v, rangeText("a number", fmtFloat(min), fmtFloat(max), math.IsInf(min, -1), math.IsInf(max, 1)))
		return def
	}
	return f
}

// Duration returns the Go duration in name (such as 15m or 1h30m), def
// when unset, and records an error (returning def) unless it lies in
// [min, max].
func (r *Reader) Duration(name string, def, min, max time.Duration) time.Duration {
	v := r.lookup(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min || d > max {
		want := rangeText("a duration such as 15m", min.String(), max.String(), false, max == math.MaxInt64)
		if min == time.Nanosecond && max == math.MaxInt64 {
			want = "a positive duration such as 15m"
		}
		r.Fail(name, v, want)
		return def
	}
	return d
}

// Bool returns true for "true", false for "false" (any case), def when
// unset, and records an error (returning def) for anything else.
func (r *Reader) Bool(name string, def bool) bool {
	v := r.lookup(name)
	switch strings.ToLower(v) {
	case "":
		return def
	case "true":
		return true
	case "false":
		return false
	}
	r.Fail(name, v, "true or false")
	return def
}

// List splits the comma-separated value of name, trimming spaces and
// dropping empty items; def is returned when nothing is left.
func (r *Reader) List(name string, def []string) []string {
	if out := SplitList(r.lookup(name)); len(out) > 0 {
		return out
	}
	return def
}

// Enum returns the value of name when it is one of allowed (compared
// exactly), def when unset, and records an error (returning def) otherwise.
func (r *Reader) Enum(name, def string, allowed ...string) string {
	v := r.lookup(name)
	if v == "" {
		return def
	}
	if slices.Contains(allowed, v) {
		return v
	}
	r.Fail(name, v, "one of "+strings.Join(allowed, ", "))
	return def
}

// SplitList splits a comma-separated list, trimming spaces and dropping
// empty items.
func SplitList(v string) []string {
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// rangeText words the wanted range, leaving out an open end.
func rangeText(what, min, max string, noMin, noMax bool) string {
	switch {
	case noMin && noMax:
		return what
	case noMax:
		return what + " of at least " + min
	case noMin:
		return what + " of at most " + max
	}
	return what + " from " + min + " to " + max
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
