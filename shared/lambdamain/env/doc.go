// Package env is the typed environment loader of the functions: it reads
// required and optional strings, whole numbers, decimals, durations,
// booleans, comma-separated lists and enumerations, and collects every
// malformed or missing value as an *Error that names the variable, shows
// the value and says what is wanted.
//
// A Reader keeps going after a bad value, so one deployment shows every
// mistake at once instead of one per redeploy. Engines read their own
// variables through it (see cloudtrail.ConfigFromEnv, replay.OptionsFromEnv)
// and return Reader.Err; package lambdamain then applies the one policy for
// a bad configuration. The package depends on nothing but the standard
// library, so an engine that uses it links no Lambda code.
package env
