// Package replay re-drives messages from an SQS dead-letter queue to a
// Lambda function or another SQS queue without ever losing one.
//
// The rule every path follows is simple: a message is deleted from the
// dead-letter queue only after its target has accepted it (SendMessageBatch
// listed the entry as successful, or Invoke answered 202). A rejected entry,
// an error, a timeout or a crashed process leaves the message where it is,
// so it becomes visible again when its visibility timeout ends. A duplicate
// delivery is possible (the target accepted, the delete did not happen); a
// loss is not.
//
// The engine understands the two shapes Lambda writes when an asynchronous
// invocation fails: the dead-letter-queue message (body = the original event,
// attributes RequestID, ErrorCode and ErrorMessage) and the on-failure
// destination record (requestContext.functionArn, requestPayload). Records
// are unwrapped and re-sent to the function they name when no target is
// given. Anything else is replayed as it is to an explicit target.
//
// A replay counter (the message attribute selfaudit-replay-count) travels
// with every message sent to a queue, and the engine also remembers what it
// sent to each function during its lifetime; past Request.MaxReplays a
// message is moved to the parking queue, or left and reported, so a message
// that keeps failing is never looped forever.
//
// The engine runs as many receive-deliver-delete workers at once as the
// endpoints allow (concurrency.go): it starts with a few, doubles them while
// delivered messages per second keep rising, and halves them when a call is
// throttled or deliveries start failing, within Options.MaxWorkers and a
// target function's reserved concurrency. Options.Workers fixes the number
// instead. Options.Progress hears how a run goes (progress.go).
//
// The engine calls SQS and Lambda through the narrow interfaces in api.go,
// which the SDK clients satisfy; the same engine runs in the dlq-replayer
// function and behind `selfaudit replay`.
package replay
