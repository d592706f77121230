package iampolicy

//go:generate go run ./internal/gencatalog -catalog ../../../shared/data/iam/action-catalog -paths ../../../shared/data/iam/privesc-paths -authz ../../../shared/data/iam/cloudsplaining -out data
