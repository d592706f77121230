// Command dlq-replayer is the Lambda function operators invoke to re-drive a
// dead-letter queue. Its event is the replay request of DESIGN §6 and its
// result the replay result; the work is done by shared/replay, the same
// engine `selfaudit replay` runs. See README.md for its configuration, the
// permissions it needs and how to invoke it.
package main
