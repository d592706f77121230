package iamscan

// The wire-format fixtures of the live scan tests: the cloudsplaining
// example account as IAM's GetAccountAuthorizationDetails XML pages.
//go:generate go run ./internal/gengaad -in testdata/cloudsplaining/example-authz-details.json -out testdata/gaad -page 20

// The same account at 5 items a page, so tests can show that API calls
// follow the number of pages.
//go:generate go run ./internal/gengaad -in testdata/cloudsplaining/example-authz-details.json -out testdata/gaad-5 -page 5
