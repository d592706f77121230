// Command securityhub-exporter is the Lambda function that imports
// selfaudit's findings into AWS Security Hub: an EventBridge rule on the
// findings bus sends every finding event to an SQS queue, and the queue
// invokes the function with batches of them. The engine (package
// shared/securityhub) converts each finding to the AWS Security Finding
// Format and calls BatchImportFindings; the function reports the messages
// whose finding was not imported as batch item failures, so SQS delivers
// them again and, in the end, keeps them in the queue's dead-letter queue.
// main.go only wires (lambdamain runs the start-up); handler.go parses the
// invocation and reports. README.md documents its configuration, trigger
// and permissions.
package main
