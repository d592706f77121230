package asff

import (
	"strings"
)

// arn is an Amazon Resource Name split into its six fields.
type arn struct {
	Partition, Service, Region, Account, Resource string
}

// parseARN splits s; ok is false for anything that is not an ARN (a
// template path such as "template.yaml#/Resources/Role").
func parseARN(s string) (arn, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return arn{}, false
	}
	return arn{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}

// resourceTypes maps a service and the start of an ARN's resource part to
// the ASFF resource type; the first match wins, "" matching any resource.
var resourceTypes = []struct{ service, prefix, typ string }{
	{"iam", "role/", "AwsIamRole"},
	{"iam", "policy/", "AwsIamPolicy"},
	{"iam", "user/", "AwsIamUser"},
	{"iam", "group/", "AwsIamGroup"},
	{"iam", "root", "AwsAccount"},
	{"lambda", "function:", "AwsLambdaFunction"},
	{"lambda", "layer:", "AwsLambdaLayerVersion"},
	{"cloudtrail", "trail/", "AwsCloudTrailTrail"},
	{"sqs", "", "AwsSqsQueue"},
	{"sns", "", "AwsSnsTopic"},
	{"dynamodb", "table/", "AwsDynamoDbTable"},
	{"events", "event-bus/", "AwsEventsEventbus"},
	{"kms", "key/", "AwsKmsKey"},
	{"cloudformation", "stack/", "AwsCloudFormationStack"},
	{"secretsmanager", "secret:", "AwsSecretsManagerSecret"},
}

// resourceType is the ASFF type of the resource an ARN names, or Other.
func resourceType(a arn) string {
	if a.Service == "s3" {
		if strings.Contains(a.Resource, "/") {
			return "AwsS3Object"
		}
		return "AwsS3Bucket"
	}
	for _, rt := range resourceTypes {
		if a.Service == rt.service && strings.HasPrefix(a.Resource, rt.prefix) {
			// A function ARN with a qualifier is still the function.
			return rt.typ
		}
	}
	return "Other"
}

// partitions are the values ASFF accepts for a resource's Partition.
var partitions = map[string]bool{"aws": true, "aws-cn": true, "aws-us-gov": true}

// validRegion reports whether s looks like a Region name: lower-case
// letters, digits and hyphens, at most 16 characters (ASFF's limit).
func validRegion(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
