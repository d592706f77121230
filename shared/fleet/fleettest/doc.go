// Package fleettest serves a made-up Lambda estate over the real wire
// protocols of the three APIs the fleet auditor calls, so tests and the
// benchmark run the real SDK clients (serialisation, pagination, errors)
// end to end:
//   - Lambda: the REST JSON API (ListFunctions, ListAliases,
//     ListEventSourceMappings, ListFunctionEventInvokeConfigs, GetPolicy);
//   - CloudWatch: Smithy RPC v2 CBOR, the protocol the current SDK's
//     CloudWatch client speaks (DescribeAlarms, GetMetricData);
//   - CloudWatch Logs: AWS JSON 1.1 (DescribeLogGroups, StartQuery,
//     GetQueryResults, FilterLogEvents);
//   - EventBridge: AWS JSON 1.1 PutEvents, to collect published findings.
//
// Each server counts the calls it answers per operation and enforces the
// real limits the auditor must respect (500 queries per GetMetricData, 50
// log groups per Insights query, page sizes), so a test can assert how
// the auditor batches its calls.
package fleettest
