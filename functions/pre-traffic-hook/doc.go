// Command pre-traffic-hook is the CodeDeploy BeforeAllowTraffic hook of the
// stack (docs/architecture.md, "Pre-traffic hook guarantees"). main.go only
// wires: lambdamain runs the start-up, setup reads the configuration and
// builds the AWS clients once per cold start, and handler.go hands each
// lifecycle event to the engine in shared/hook, which checks the target
// version, smoke-invokes it and reports Succeeded or Failed to CodeDeploy
// exactly once.
//
// A bad configuration, FINDINGS_BUS_NAME missing included, does not stop
// the hook from answering: it reports Failed with the reason, so CodeDeploy
// does not wait an hour, and the invocation fails too, so the Errors metric
// shows it.
//
// See README.md for its environment variables, permissions and how another
// stack uses it.
package main
