// Package lambdamain is the one start-up every function in functions/ runs,
// so that the five behave alike and each main.go only wires its engine:
//
//   - the garbage collector is handed back its settings (gctune.AfterInit);
//   - one zerolog logger writes to stdout, in the format and at the level
//     Lambda's logging settings give (AWS_LAMBDA_LOG_FORMAT JSON or Text,
//     AWS_LAMBDA_LOG_LEVEL);
//   - the tracer and the AWS configuration are built once per cold start;
//   - every invocation's context carries that logger with the request ID, so
//     a handler logs through zerolog.Ctx(ctx) and cannot forget it;
//   - the environment is read through the typed loader in package env.
//
// One policy covers a bad configuration: the function still starts, logs the
// problem once at cold start, and fails every invocation with an error that
// names the variable. Lambda counts each in the Errors metric, an alarm sees
// it, and there is no crash loop of failed init phases that retries hide.
// A function whose caller waits for an answer even from a misconfigured
// function (the pre-traffic hook must report Failed to CodeDeploy, or the
// deployment hangs for an hour) returns its handler with Degraded(err): the
// handler then runs, and the invocation still fails with the error.
package lambdamain
