// Package awsfake is the one set of AWS fakes of selfaudit's tests: HTTP
// handlers that answer the real SDK clients (or a built function under
// aws-lambda-rie, through AWS_ENDPOINT_URL_*) in each service's wire
// format, with its limits and its error shapes, record what they were
// sent, and take per-operation faults.
//
// The fakes, each a Fake (Serve runs them behind loopback servers):
//   - EventBridge: PutEvents in AWS JSON 1.1. Enforces the target, the
//     content type, 1 to 10 entries and 256 KB a call (EntrySize), and
//     records each batch once even when the SDK resends it after a lost
//     answer. FailEntry fails single entries inside a 200 answer.
//   - Lambda: the REST JSON control plane over an Estate (ListFunctions,
//     GetFunctionConfiguration, GetPolicy, ListAliases,
//     ListEventSourceMappings, GetFunctionEventInvokeConfig,
//     ListFunctionEventInvokeConfigs) and Invoke through a function the
//     test gives (testenv.Invoker runs functions under aws-lambda-rie).
//     Errors carry X-Amzn-ErrorType. Write operations
//     other than Invoke are not served.
//   - IAM: the Query protocol with XML answers and URL-encoded policy
//     documents; GetAccountAuthorizationDetails from pre-generated pages,
//     and the per-role read operations from the CLI JSON of the account.
//   - CodeDeploy: GetDeployment, GetApplicationRevision and
//     PutLifecycleEventHookExecutionStatus in AWS JSON 1.1; a second report
//     of an accepted execution answers
//     LifecycleEventAlreadyCompletedException, as CodeDeploy does.
//   - CloudWatch: DescribeAlarms and GetMetricData in Smithy RPC v2 CBOR
//     over the Estate's alarms and metrics (500 queries a call at most).
//   - Logs (CloudWatch Logs): DescribeLogGroups, StartQuery (the fleet
//     auditor's REPORT query only, 50 groups at most), GetQueryResults and
//     FilterLogEvents in AWS JSON 1.1 over the Estate's REPORT lines.
//   - CloudTrail: LookupEvents in AWS JSON 1.1, filtered by one lookup
//     attribute and paged (50 events a page at most), recording when each
//     call arrived, to test rate limits.
//   - STS: GetCallerIdentity in the Query protocol.
//   - SSM: GetParameter (String parameters) in AWS JSON 1.1.
//   - Security Hub: BatchImportFindings in REST JSON (POST
//     /findings/import). Refuses a call of no finding, more than 100 or
//     more than 6 MB (InvalidInputException); lists in FailedFindings each
//     finding that lacks a required attribute, breaks a string or list
//     limit (Title 256, Description 1,024, ...), weighs more than 240 KB or
//     is not for the default product of the fake's account and Region;
//     holds the others by Id. FailFinding fails chosen findings inside a
//     200 answer.
//
// Every fake counts its calls per operation with a CallCounter, which
// keeps the SDK's retries of a call (IsSDKRetry) apart so that call-count
// assertions hold on a loaded machine, and embeds Faults: SetError,
// Override and SetDelay inject an error or a delay per operation. Each
// answer carries X-Amzn-RequestId req-N, N counting the fake's requests.
//
// What the fakes are not: no authentication or signature check, no
// persistence beyond the test, only the operations listed, and only the
// request fields selfaudit sends are looked at.
package awsfake
