// Command dlq-replayer is the Lambda function operators invoke to re-drive a
// dead-letter queue. Its event is the replay request (docs/architecture.md,
// "Replay guarantees") and its result the replay result; the work is done
// by shared/replay, the same engine `selfaudit replay` runs. main.go only
// wires (lambdamain runs the start-up, replay.OptionsFromEnv reads the
// configuration); handler.go runs one replay and reports. See README.md for
// its configuration, the permissions it needs and how to invoke it.
package main
