// Command org-coordinator is the Lambda function that starts an
// organisation audit run on the audit schedule (organisation mode, the
// stack's OrganizationMode parameter): it lists the organisation's active
// accounts, records the run in the runs table and sends one message per
// unit (account × region × scanner) to the units queues of the IAM scanner
// and of the fleet auditor, which audit them through the member role. The
// engine is package shared/orgaudit/coordinator; main.go only wires
// (lambdamain runs the start-up) and handler.go starts the run and
// reports. README.md documents its configuration and permissions.
package main
