// Package baseline keeps each principal's history in DynamoDB and raises
// CT009 (a source never seen before) and CT010 (a call-rate or error-rate
// anomaly) against it. The same table also holds CT005's burst windows and
// the findings already published, so one table with a TTL serves the whole
// checker.
//
// Every write is a single atomic UpdateItem (ADD for counters, if_not_exists
// for first sightings) or a conditional PutItem, so any number of concurrent
// invocations can update one principal without losing a count or reporting
// one new source twice.
//
// # Anomaly method
//
// For each (principal, API, hour) the table holds the number of calls and
// of errors. When an hour's count reaches a floor (MinCalls calls or
// MinErrors errors) it is compared with the same principal's counts for
// that API over the previous 14 days, hours without calls counting as zero:
// with m the median and MAD the median absolute deviation, the robust
// z-score is (x - m) / max(1.4826 * MAD, 1). The hour is anomalous when
// z >= ZThreshold (6 by default) and x is above every earlier hour. The
// median and MAD ignore a few busy hours, so one earlier spike does not
// hide the next; the "above every earlier hour" guard keeps a nightly batch
// job from being reported every night.
//
// A principal is learning for LearningPeriod (7 days by default) after its
// first event, and while it has fewer than 24 hours of history: its sources
// and rates are recorded but not reported, so a new role or person is not
// anomalous merely for being new.
package baseline
