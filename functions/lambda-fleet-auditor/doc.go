// Command lambda-fleet-auditor is the Lambda function that runs the fleet
// audit (package fleet) on a schedule, publishes each finding to the
// findings bus and writes the counts as Embedded Metric Format lines.
// main.go only wires (lambdamain runs the start-up); handler.go runs one
// audit and reports. README.md documents its configuration, schedule and
// permissions.
package main
