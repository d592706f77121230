// Package fleet audits every Lambda function of an account and region
// against an operations checklist (checks LMB101 onward; see
// docs/architecture.md, "Check registry"):
// failed events kept, alarms in place, tracing on, logs retained and not
// costing more than the compute, memory and timeout sized from what the
// function really does. README.md documents each check.
//
// The auditor reads everything it needs in as few calls as the APIs allow,
// because Lambda's control-plane quota (15 requests a second for most
// operations) is what bounds a run over thousands of functions:
//   - one paginated ListFunctions with FunctionVersion=ALL gives every
//     function and every published version;
//   - one paginated ListEventSourceMappings, DescribeAlarms and
//     DescribeLogGroups for the whole account;
//   - GetMetricData with up to 500 queries a call for all functions;
//   - one Logs Insights query per 50 log groups for the REPORT lines;
//   - per function only what has no account-wide form: GetPolicy (and
//     ListAliases with a GetPolicy per alias when it has published
//     versions), and ListFunctionEventInvokeConfigs when it is invoked
//     asynchronously without a dead-letter queue.
//
// The engine knows nothing of Lambda handlers or the CLI; it takes
// consumer-side interfaces of the SDK clients it calls, which the real
// clients satisfy and tests point at local servers.
package fleet
