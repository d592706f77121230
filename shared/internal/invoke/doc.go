// Package invoke is `make invoke`: it runs one of selfaudit's functions the
// way Lambda runs it (the host build of its bootstrap under aws-lambda-rie),
// posts a sample event and prints the result, the function's log and the
// findings it published.
//
// It is written as a test (TestInvoke, skipped unless SELFAUDIT_INVOKE_FN is
// set) so that it can stand up the same local AWS stand-ins the
// end-to-end tests use: fauxqs and dynalite from `.ci/emulators.sh`, and
// the fakes of internal/awsfake for the services with no
// emulator. Each function gets the stand-ins its sample events need.
package invoke
