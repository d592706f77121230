// Package cost is selfaudit's one model of what a Lambda function costs:
// compute (GB-seconds by architecture), requests, and CloudWatch Logs
// ingestion, with the prices kept as data in prices.json together with the
// date they were read.
//
// Every figure selfaudit reports in dollars comes from here: the `selfaudit
// cost` command, and the fleet auditor's right-sizing deltas and log-cost
// comparisons. Keeping one model means a saving quoted in a finding can be
// reproduced by hand with `selfaudit cost` and the same inputs.
package cost
