// Package secretscan tells which environment variables of a Lambda function
// appear to carry a secret in clear text.
//
// Environment variables are readable by anyone with
// lambda:GetFunctionConfiguration, are copied into every version, and show
// up in consoles and CloudTrail; secrets belong in SSM Parameter Store or
// Secrets Manager and the environment should carry only a reference to
// them. Both the pre-traffic hook (which blocks a version before it takes
// traffic) and the fleet auditor (which reports versions already deployed)
// use this one detector so that they agree on what a secret looks like.
//
// The detector errs on the side of quiet: a check that alarms on every URL,
// table name or log level gets switched off, which is worse than missing an
// odd case. A Match never carries the value itself, only the variable's name
// and why it was flagged, so that the finding that reports a leak does not
// leak it again.
package secretscan
