// Package findingstore remembers findings between runs so that selfaudit
// announces a problem once, says when it is fixed, and stays silent while
// nothing changes.
//
// Without memory every daily scan republishes every finding it sees, and the
// findings bus mails the same CRITICAL role every day until people stop
// reading. With it, each finding has a status (NEW, OPEN, RESOLVED,
// REOPENED, and SUPPRESSED for one a suppression matches) and a run reports
// only the changes: a finding seen for the first time, seen again after it
// was resolved, no longer seen, or seen at another severity.
//
// # Why resolution needs a scope
//
// A finding can only be called fixed by a run that looked where it was and
// did not find it. A posture run therefore declares its Scope (scanner,
// account, region, optionally one resource or a set of files) and the parts
// of it it could not read; Reconcile resolves only the open findings of
// exactly that scope, and nothing in a part the run could not read. A
// targeted rescan of one role cannot resolve the findings of every other
// role, and a throttled read cannot pass for a clean one.
//
// # Why conditional writes
//
// Two runs may reconcile the same findings at once (an EventBridge retry, a
// scheduled scan beside a manual one). Every write is a DynamoDB UpdateItem
// whose condition holds only on the state the decision was made from: a
// version number for a finding seen, the previous status for one resolved.
// The write that wins decides the change; a loser re-reads and decides again.
// So no update is lost and no finding is announced NEW twice.
//
// # No lost announcements: the outbox
//
// The store records a change before the bus hears of it, so a bus that
// refuses the announcement must not leave the change unsaid: the next run
// would see the finding OPEN (or already RESOLVED) and announce nothing.
// With Store.Outbox (Delivery sets it) the same conditional write that
// decides a change also records it on the item as pending: its kind, the
// status and severity it gives the finding and the ones before. Deciding
// and queueing are one write, so neither happens without the other.
//
// The deciding run holds a claim on the change for Store.ClaimTimeout (the
// longest a Lambda function runs). Once the bus accepts the announcement,
// Delivery acknowledges it: a conditional write removes that change, and
// only that one, from the item, so an acknowledgement never clears a newer
// change of the same finding. When the bus refuses, Delivery releases its
// claim and the run fails. A later run in the same scope (the Lambda
// retry, or the next day's run) takes over every pending change it finds
// that is released or whose claim has run out, with a conditional write
// that only one run wins, and announces it once more, as it was decided
// and before the run's own changes. A run that sees a finding, resolves it
// or finds it resolved but pending reads its pending changes; a pending
// change of a standing finding the run neither saw nor could read waits
// for a run that does.
//
// Announcements are therefore at least once: a change is announced twice
// when the bus accepted it but the acknowledgement could not be written
// (the run logs that), or when a run stops after announcing and before
// acknowledging; it is never announced zero times. While the deciding run still holds its claim, other runs leave the change
// alone, so two runs at once still announce a NEW once.
//
// # Announcing
//
// Delivery is the step a posture function runs after its scan: with a
// store it reconciles the run and publishes one findings.Tracked per change
// (NEW, REOPENED, RESOLVED, a severity change), the changes still pending
// from earlier runs first, and the run's status metrics; without one
// (FINDINGS_TABLE_NAME unset) it publishes every finding NEW, as a run
// without memory must. The scopes of the engines'
// runs come from the engines: iamscan.StoreScope and fleet's
// Result.StoreScope.
//
// # Table layout
//
// One item per finding, keyed by its stable id (string partition key "id",
// no sort key):
//
//	id, check, severity, title, remediation, resource  the finding
//	account, region        from the resource ARN, else the run's scope
//	source                 the engine's source field
//	scanner, scope         the scope key "scanner|account|region" of the
//	                       run that last saw it
//	target                 the resource ARN, or the file of a file finding
//	openScope              the scope key, present while it stands or
//	                       while its resolution is pending
//	pending                the outbox: changes not yet acknowledged, a map
//	                       from "v<version of the deciding write>" to
//	                       kind, status, previousStatus, severity,
//	                       previousSeverity, changedAt and claimedUntil
//	status, previousStatus, statusChangedAt
//	firstSeen, lastSeen    UTC, "2006-01-02T15:04:05.000Z"
//	occurrences            runs that saw it
//	evidence               the latest evidence, JSON, at most 32 KiB
//	version                increases with each write; guards the next one
//	expiresAt              epoch seconds, the table's TTL attribute: 90
//	                       days after resolution, removed when seen again
//
// The global secondary index "openByScope" (partition openScope, sort
// target, projecting severity and status) lists the standing findings of a scope, or of one
// target in it. Because openScope is removed on resolution (or, when the
// resolution is pending, on its acknowledgement) the index is sparse: it
// holds what a run may have to resolve, and the resolved findings whose
// RESOLVED still has to be announced, which a run tells apart by the
// projected status.
package findingstore
