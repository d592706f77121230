// Package securityhub is the engine of the securityhub-exporter function:
// it takes finding events from the findings bus (delivered through an SQS
// queue), converts each finding to the AWS Security Finding Format (package
// shared/findings/asff) and imports them with Security Hub's
// BatchImportFindings, so that every selfaudit finding shows in the
// account's Security Hub, archived once it is resolved.
//
// No finding is lost. A message is reported as failed (and SQS delivers it
// again, then moves it to the queue's dead-letter queue) unless Security
// Hub accepted its finding: a body that is not a finding event, a finding
// that cannot be converted, a finding Security Hub refused and a call that
// failed all count. Calls carry at most 100 findings and 6 MB
// (BatchImportFindings' limits), and a finding Id at most once, so two
// events of one finding in a batch are imported in the order they came.
// Findings that failed for a reason that may pass (throttling, an internal
// error of the service) are sent again, alone, with backoff; those refused
// for good (InvalidInput, AccessDenied) are reported at once.
//
// The engine declares the one SDK method it calls (ImportAPI); the
// function passes the SDK's client, tests a client pointed at the
// Security Hub fake of internal/awsfake.
package securityhub
