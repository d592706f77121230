// Package htmlreport writes findings as one self-contained HTML page, the
// page a team lead opens: counts by severity and by status, a bar chart of
// findings per check (each bar split by severity), and a table a reader
// can sort (click a column header) and filter (severity, status, free
// text), with each finding's evidence, remediation, the check's
// documentation from the registry (package checks) and, for a suppressed
// finding, the accepted risk's reason, end date and source.
//
// The page needs nothing but itself: its CSS and its small script are
// inline, the chart is inline SVG, and there are no fonts, images or
// links that load anything. Documentation links are plain anchors a reader
// may click; nothing is fetched when the page opens. The page carries a
// Content-Security-Policy (in a meta element, since a file opened from
// disk has no headers) that forbids every fetch (default-src 'none') and
// allows exactly the page's own style sheet and script by their SHA-256
// hashes rather than by 'unsafe-inline'. Findings carry strings an
// attacker chose (a resource name, a user agent, a statement ID in a
// CloudTrail event); html/template escapes every one of them, and should
// an escape ever be missed, a script or style the attacker managed to put
// in the page would still not run, because its hash is not in the policy.
// The price is that the page may use no style attributes and no event
// handler attributes, which it does not.
//
// Output is deterministic for a given Report: findings are ordered by
// severity (highest first), status, check, resource and ID with a stable
// sort, evidence keys are sorted, and the only time printed is
// Report.Generated and each finding's own times, all in UTC. A golden file
// test holds the page to that.
//
// The package is apart from package findings so that only the command-line
// tool links html/template and the page's assets, not the functions.
package htmlreport
