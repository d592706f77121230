// Command pre-traffic-hook is the CodeDeploy BeforeAllowTraffic hook of the
// stack (DESIGN §7). It only wires: it reads the configuration, builds the
// AWS clients once per cold start and hands each lifecycle event to the
// engine in shared/hook, which checks the target version, smoke-invokes it
// and reports Succeeded or Failed to CodeDeploy exactly once.
//
// See README.md for its environment variables, permissions and how another
// stack uses it.
package main
