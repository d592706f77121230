// Command iam-wildcard-scanner is the Lambda function that scans the live
// account for over-broad IAM permissions: daily on an EventBridge schedule,
// and for a single role or function when the CloudTrail checker reports a
// privilege or permission change (CT003, CT007) on the findings bus.
//
// main.go only wires (lambdamain runs the start-up); handler.go asks
// shared/iamscan what the event wants scanned (ParseEvent), runs the scan,
// publishes the findings and reports.
package main
