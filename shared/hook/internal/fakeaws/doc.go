// Package fakeaws holds httptest handlers that speak the wire formats of
// the AWS APIs the pre-traffic hook calls: CodeDeploy and EventBridge (AWS
// JSON 1.1, operation in X-Amz-Target) and Lambda's control plane (REST
// JSON). Tests point the real SDK clients at them, so serialisation,
// error decoding and retries really run; every handler records what it was
// sent and lets a test override any operation's answer.
package fakeaws
