// Package orgaudit audits every account of an AWS Organization from one
// audit account: a coordinator splits a run into units, workers audit one
// unit each through a role they assume in the member account, and a ledger
// in DynamoDB makes sure that every unit is accounted for, once.
//
// # Units
//
// A unit is one scanner over one account and region (Unit): the fleet
// auditor once per account and region, the IAM scanner once per account
// (IAM is global; the unit's region is the run's first, whose functions'
// resource policies it also judges). A run over A accounts and R regions
// with both scanners has A × (R + 1) units.
//
// # The run
//
// The coordinator (package coordinator) lists the organisation's active accounts
// (organizations:ListAccounts, paginated), keeps those the plan includes
// (account IDs, or OU and root IDs whose accounts are found with
// ListChildren and ListAccountsForParent) and drops those it excludes,
// records the run in the ledger (run ID, expected units, deadline; one item
// per account holding the state of its units) and then sends one message
// per unit to the units queue, ten to a SendMessageBatch, sending again the
// entries SQS failed. A last message, delayed until the deadline (at most
// SQS's 15 minutes), closes the run even when units never finish.
//
// # Workers
//
// Worker.Handle takes one message. It assumes the member role
// (sts:AssumeRole with the external ID, through the SDK's STS client
// behind the narrow AssumeRoleAPI; Roles caches the credentials per account
// until five minutes before they expire), scans with the
// engine of the unit's scanner through an aws.Config built from those
// credentials and the shared adaptive retryer, reconciles the findings in
// exactly the unit's scope (findingstore.Scope: scanner, account, region)
// and announces the changes, and then marks the unit done with a
// conditional write that only the first delivery wins. A redelivered
// message of a unit already done or not covered does nothing but finish
// the bookkeeping (a second reconcile of the same findings would find no
// change to announce anyway). A role that is missing or denied
// (AccessDenied from STS) marks the unit not covered, with the reason,
// which is an outcome, not a failure; any other error fails the message so
// that SQS delivers it again and, after its attempts, moves it to the DLQ.
//
// # Exactly once
//
// DynamoDB emulators have no transactions, and neither does the ledger
// need them: the state of every unit of an account and the account's
// count of units left live on one item, so marking a unit and counting it
// is one conditional UpdateItem. When an account's last unit is marked,
// its ID is added to the run's set of finished accounts, an idempotent
// ADD that a redelivery may repeat without counting twice. When that set
// holds every account, or at the deadline, the run completes.
//
// # Completion
//
// Completer.Complete claims the run with a conditional write (a claim that
// runs out, so that a worker that dies while completing is replaced),
// reads every account item, publishes one "Selfaudit Audit Run Completed"
// event with the coverage (accounts and regions covered, units done, not
// covered and why, or lost at the deadline; findings new, open and
// resolved) and reconciles the ORG001 finding, which names every account
// not audited (HIGH; CRITICAL when more than 10 % of the accounts), and
// resolves it once a run covers every account. In the stack, the
// invocation that completes a run also writes its coverage as Embedded
// Metric Format (WriteCoverageEMF), which the dashboard graphs per run.
//
// # Where it runs
//
// `selfaudit org audit` runs the same units with goroutines and a
// MemoryLedger; `make bench-org` runs the coordinator and the workers in
// one process against fauxqs, dynalite and a generated organisation
// (internal/awsfake's Organization), and TestKillAndRestartWorkers stops
// every worker mid-run to show that no unit is lost or counted twice.
package orgaudit
