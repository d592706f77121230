// Package testenv is the harness of the tests that run selfaudit the way
// AWS runs it: the local emulators `make test` starts (fauxqs for SQS and
// S3, dynalite for DynamoDB, aws-lambda-rie for functions), building a
// function's bootstrap for this machine, running it under aws-lambda-rie
// (StartRIE) or for one traced invocation under a Runtime API of its own
// (InvokeOnceTraced), routing the Lambda fake's invocations to those
// functions (Invoker) and an X-Ray daemon stand-in. Fakes of the AWS
// services themselves live in internal/awsfake.
//
// Endpoints come from the environment that .ci/emulators.sh writes. When an
// emulator is missing a test is skipped, unless SELFAUDIT_REQUIRE_EMULATORS
// is set (make test and CI set it), in which case it fails: a green run must
// never hide skipped emulator tests.
package testenv
