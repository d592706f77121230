// Package cloudtrail reads CloudTrail records from every form they arrive
// in and runs selfaudit's CloudTrail checks (CT001 to CT014; see
// docs/architecture.md, "Check registry") over them.
//
// Read streams S3 log files ({"Records":[...]}, gzip or plain), EventBridge
// "AWS API Call via CloudTrail" events, JSON lines and LookupEvents pages
// record by record: one goroutine decompresses and frames records while the
// others parse and evaluate them, and memory stays flat however large the
// file. A malformed or unknown record is counted in Stats and skipped; it
// never costs the rest of the file.
//
// Analyzer ties the reader to the rules (package rules), the burst windows
// of CT005 and, when a table is configured, the baselines of CT009 and
// CT010 (package baseline). It folds the per-record findings as records
// stream: one finding per check, resource, principal and clock hour, with
// occurrences, first and last event time and a few sample event IDs, so a
// flood of flagged records costs the memory of its folds, not of its
// records. AnalyzePaths is the offline entry point used by
// `selfaudit trail` and `selfaudit audit`. The Lambda function runs
// Checker (checker.go), which tells its three triggers apart (an
// EventBridge event, an S3 log file, a LookupEvents sweep), feeds the
// Analyzer accordingly and drops findings already published within the
// dedupe window; FunctionConfigFromEnv reads its configuration.
package cloudtrail
