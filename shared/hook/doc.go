// Package hook is the engine of the CodeDeploy pre-traffic hook
// (docs/architecture.md, "Pre-traffic hook guarantees"):
// given a lifecycle event it learns from the deployment itself which Lambda
// function, alias and versions are being shifted, checks the target
// version's configuration, smoke-invokes it, and reports Succeeded or Failed
// to CodeDeploy exactly once.
//
// The one-report rule is what everything here is built around. CodeDeploy
// waits up to an hour for a hook that never reports, and a deployment that
// reports twice gets an error on the second call; so the report is made by
// one function, after every check has finished, panicked or run out of time,
// with a margin kept back from the invocation's deadline for the report
// itself and its retries.
//
// The engine knows nothing of Lambda's handler plumbing: it takes narrow
// interfaces with the AWS SDK's exact method signatures (so the SDK clients
// satisfy them directly) and a Config read from the environment by main.
package hook
