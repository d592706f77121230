// Command cloudtrail-anomaly-checker is the Lambda function that runs
// selfaudit's CloudTrail checks (CT001 to CT014) on three triggers: an
// EventBridge rule on CloudTrail API calls, S3 object-created events of the
// trail's bucket, and a schedule that sweeps LookupEvents. The engine in
// shared/cloudtrail (Checker) tells the triggers apart, runs the checks and
// keeps the findings not published before; the handler publishes them to
// the findings bus and reports. See README.md for configuration and
// permissions.
package main
