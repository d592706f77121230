// Package awspage reads every page of a listing through the paginators of
// the AWS SDK for Go v2, so that the engines that list (functions, aliases,
// alarms, role policies...) do not each write the loop and its error path.
package awspage
