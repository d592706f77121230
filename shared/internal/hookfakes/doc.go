// Package hookfakes serves what the pre-traffic hook asks of AWS over HTTP
// in the services' real wire formats: CodeDeploy (AWS JSON 1.1), the Lambda
// REST control plane and EventBridge PutEvents. The hook's tests and
// `make invoke` point the real SDK clients (or the built hook under
// aws-lambda-rie) at these servers through AWS_ENDPOINT_URL_*. Each fake
// records its calls and can be told to fail or to delay an operation.
package hookfakes
