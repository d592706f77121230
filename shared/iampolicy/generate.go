package iampolicy

// The catalog and the escalation paths are generated from upstream data
// that is not kept in the repository: set SELFAUDIT_IAM_CATALOG and
// SELFAUDIT_PRIVESC_PATHS to its folders (data/README.md says which commits).
// The AWS managed policies come from the example account in
// shared/iamscan/testdata/cloudsplaining.
//go:generate go run ./internal/gencatalog -catalog=$SELFAUDIT_IAM_CATALOG -paths=$SELFAUDIT_PRIVESC_PATHS -authz=../iamscan/testdata/cloudsplaining -out=data
