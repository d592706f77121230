// Package report reads the REPORT line Lambda writes after every
// invocation, in both forms Lambda uses: the text line of the classic log
// format ("REPORT RequestId: ... Duration: 12.34 ms ...") and the
// platform.report event of the JSON log format. The line is the only place
// that says how much memory an invocation actually used, which is what
// memory right-sizing needs and no CloudWatch metric provides.
//
// Log lines are input from outside: Parse never panics and rejects what it
// does not understand instead of guessing (FuzzParse holds it to that).
package report
