// Package findings holds the one finding schema every selfaudit engine
// reports in, its stable identifiers, and the sinks findings go to: text,
// JSON and SARIF renderers for people and CI, an EventBridge publisher for
// the findings bus, and Embedded Metric Format lines for CloudWatch. A
// finding on the bus is a Tracked: the finding and its Status, which the
// finding store keeps between runs.
//
// Keeping the schema in one place is what lets a finding from the template
// scanner, the CloudTrail checker and the fleet auditor be compared,
// deduplicated and routed by the same rules.
package findings
