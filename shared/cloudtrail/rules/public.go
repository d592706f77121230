package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// CT003 reports a resource made public: a resource policy written so that
// "*" or any AWS account may use the resource without a condition that
// narrows it, a snapshot or image shared with everyone, an S3 ACL granted
// to all users, or S3 Block Public Access turned off. A Lambda permission
// for a service principal with SourceArn, or for "*" narrowed by
// SourceAccount or PrincipalOrgID, is the normal way to wire a trigger and
// is not reported. A policy that cannot be read is a note in the report.
var CT003 = register(&Rule{
	Check: checks.Check{
		ID:          "CT003",
		Severity:    findings.Critical,
		Title:       "Resource made public",
		Description: "A resource policy was written that lets \"*\" or any AWS account use a function, layer, queue, topic, bucket, key, secret, repository, event bus or search domain without a condition (aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID, aws:SourceVpce, aws:SourceIp...) that narrows it; or a snapshot or image was shared with all accounts, a bucket ACL granted to AllUsers or AuthenticatedUsers, or S3 Block Public Access turned off (HIGH). Policies are judged with the IAM engine's condition rules; one that cannot be parsed is a note, not a finding.",
		Remediation: "Remove the statement or grant (lambda remove-permission, put the previous policy back, modify-snapshot-attribute --remove) unless the resource is meant to be public; grant the specific account, organisation or service instead, with aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID, and keep S3 Block Public Access on at the account level.",
		References: checks.References{Docs: []string{
			"https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies-cross-account-resource-access.html",
			"https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html",
			"https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
		}, SecurityHub: []string{"Lambda.1", "S3.2", "SQS.3", "EC2.1", "RDS.1"}},
		Techniques: []string{"T1537", "T1530", "T1098"},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		m := publicAPIs[r.EventSource]
		if m == nil || r.Failed() {
			return nil
		}
		fn := m[r.Action()]
		if fn == nil {
			return nil
		}
		return fn(r)
	},
})

// publicAPIs maps an event source and action to the function that reads
// what the call exposed. The two map lookups are all that CT003 costs on
// the records of every other API.
var publicAPIs = map[string]map[string]func(r *record.Record) []Hit{
	"lambda.amazonaws.com": {
		"AddPermission":             lambdaPermission,
		"AddLayerVersionPermission": layerPermission,
	},
	"sqs.amazonaws.com": {
		"SetQueueAttributes": sqsPolicy,
		"CreateQueue":        sqsPolicy,
	},
	"sns.amazonaws.com": {
		"SetTopicAttributes": snsPolicy,
		"CreateTopic":        snsPolicy,
		"AddPermission":      snsPermission,
	},
	"s3.amazonaws.com": {
		"PutBucketPolicy":                s3Policy,
		"PutBucketAcl":                   s3ACL,
		"CreateBucket":                   s3ACL,
		"DeleteBucketPublicAccessBlock":  s3BlockOff,
		"PutBucketPublicAccessBlock":     s3BlockOff,
		"DeleteAccountPublicAccessBlock": s3BlockOff,
		"PutAccountPublicAccessBlock":    s3BlockOff,
		"DeletePublicAccessBlock":        s3BlockOff,
		"PutPublicAccessBlock":           s3BlockOff,
	},
	"kms.amazonaws.com": {
		"PutKeyPolicy": kmsPolicy,
		"CreateKey":    kmsPolicy,
	},
	"secretsmanager.amazonaws.com": {
		"PutResourcePolicy": secretPolicy,
	},
	"ecr.amazonaws.com": {
		"SetRepositoryPolicy": ecrPolicy,
	},
	"events.amazonaws.com": {
		"PutPermission": eventBusPermission,
	},
	"es.amazonaws.com": {
		"CreateDomain":                    searchPolicy,
		"UpdateDomainConfig":              searchPolicy,
		"CreateElasticsearchDomain":       searchPolicy,
		"UpdateElasticsearchDomainConfig": searchPolicy,
	},
	"ec2.amazonaws.com": {
		"ModifySnapshotAttribute": ec2Sharing,
		"ModifyImageAttribute":    ec2Sharing,
	},
	"rds.amazonaws.com": {
		"ModifyDBSnapshotAttribute":        rdsSharing,
		"ModifyDBClusterSnapshotAttribute": rdsSharing,
	},
}

// arnIn builds an ARN of service in the record's partition, region and
// account: arnIn(r, "sqs", "orders") is arn:aws:sqs:eu-west-1:111122223333:orders.
func arnIn(r *record.Record, service, resource string) string {
	return "arn:" + awsid.PartitionOf(r.AWSRegion) + ":" + service + ":" + r.AWSRegion + ":" + r.Account() + ":" + resource
}

// pget returns member key of m, trying the spelling given first and then
// any spelling that differs only in case: CloudTrail writes most request
// parameters in lowerCamelCase, but S3 and a few others keep the API's.
func pget(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	for k, v := range m {
		for _, want := range keys {
			if strings.EqualFold(k, want) {
				return v
			}
		}
	}
	return nil
}

func pstr(m map[string]any, keys ...string) string {
	s, _ := pget(m, keys...).(string)
	return s
}

func pmap(m map[string]any, keys ...string) map[string]any {
	v, _ := pget(m, keys...).(map[string]any)
	return v
}

// policyBytes turns a policy as a request carries it (a JSON string or
// the decoded object) into bytes for JudgePolicy; nil when there is none.
func policyBytes(v any) []byte {
	switch p := v.(type) {
	case nil:
		return nil
	case string:
		if strings.TrimSpace(p) == "" {
			return nil
		}
		return []byte(p)
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return nil
		}
		return b
	}
}

// policyHits judges a resource policy written by r on resource and
// returns a CRITICAL hit when it is public, a note when it cannot be read,
// and nothing otherwise (no policy, or one that lets in only named or
// narrowed principals).
func policyHits(r *record.Record, resource, kind string, policy any) []Hit {
	doc := policyBytes(policy)
	if doc == nil {
		return nil
	}
	e, err := JudgePolicy(doc)
	if err != nil {
		if errors.Is(err, errNoPolicy) {
			return nil
		}
		return []Hit{{Resource: resource, Note: fmt.Sprintf("CT003: the %s policy written by %s (event %s) on %s could not be read and was not judged: %v",
			kind, r.Action(), r.EventID, resource, err)}}
	}
	if !e.Public() {
		return nil
	}
	ev := map[string]any{"api": r.Action(), "resourceType": kind, "openStatements": e.Open}
	if len(e.Narrowed) > 0 {
		ev["narrowedStatements"] = e.Narrowed
	}
	return []Hit{{Resource: resource, Title: kind + " made public by its resource policy", Evidence: ev}}
}

// lambdaPermission judges AddPermission: principal "*" (or any account)
// without sourceArn, sourceAccount or principalOrgID is public.
func lambdaPermission(r *record.Record) []Hit {
	p := params(r)
	principal := strings.TrimSpace(strField(p, "principal"))
	if !anyAccount(principal) {
		return nil
	}
	for _, k := range []string{"sourceArn", "sourceAccount", "principalOrgID", "eventSourceToken"} {
		if strField(p, k) != "" {
			return nil
		}
	}
	ev := map[string]any{
		"api": r.Action(), "resourceType": "Lambda function",
		"permissionPrincipal": principal, "action": strField(p, "action"), "statementId": strField(p, "statementId"),
	}
	title := "Lambda permission added for principal *"
	if a := strField(p, "functionUrlAuthType"); a != "" {
		ev["functionUrlAuthType"] = a
		if strings.EqualFold(a, "NONE") {
			title = "Lambda function URL opened to anyone"
		}
	}
	return []Hit{{Resource: FunctionARN(r), Title: title, Evidence: ev}}
}

// layerPermission judges AddLayerVersionPermission: principal "*" without
// organizationId lets every account use the layer version.
func layerPermission(r *record.Record) []Hit {
	p := params(r)
	principal := strings.TrimSpace(strField(p, "principal"))
	if !anyAccount(principal) || strField(p, "organizationId") != "" {
		return nil
	}
	layer := strField(p, "layerName")
	if !strings.HasPrefix(layer, "arn:") {
		layer = arnIn(r, "lambda", "layer:"+layer)
	}
	if v := pget(p, "versionNumber"); v != nil {
		layer += ":" + strings.Trim(fmt.Sprint(v), `"`)
	}
	return []Hit{{Resource: layer, Title: "Lambda layer version shared with every account", Evidence: map[string]any{
		"api": r.Action(), "resourceType": "Lambda layer", "permissionPrincipal": principal,
		"action": strField(p, "action"), "statementId": strField(p, "statementId"),
	}}}
}

// queueARN turns an SQS queue URL (https://sqs.eu-west-1.amazonaws.com/
// 111122223333/orders) into the queue's ARN.
func queueARN(r *record.Record, queueURL, name string) string {
	if u, err := url.Parse(queueURL); err == nil && u.Path != "" {
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(parts) == 2 {
			return "arn:" + awsid.PartitionOf(r.AWSRegion) + ":sqs:" + r.AWSRegion + ":" + parts[0] + ":" + parts[1]
		}
	}
	if name == "" {
		name = "*"
	}
	return arnIn(r, "sqs", name)
}

func sqsPolicy(r *record.Record) []Hit {
	if !bytes.Contains(r.RequestParameters, []byte(`"Policy"`)) {
		return nil
	}
	p := params(r)
	attrs := pmap(p, "attributes", "Attributes", "attribute")
	qurl := pstr(p, "queueUrl", "QueueUrl")
	if qurl == "" {
		qurl = pstr(response(r), "queueUrl", "QueueUrl")
	}
	return policyHits(r, queueARN(r, qurl, pstr(p, "queueName", "QueueName")), "SQS queue", pget(attrs, "Policy"))
}

func snsPolicy(r *record.Record) []Hit {
	p := params(r)
	topic := pstr(p, "topicArn", "TopicArn")
	if topic == "" {
		topic = pstr(response(r), "topicArn", "TopicArn")
	}
	if topic == "" {
		topic = arnIn(r, "sns", pstr(p, "name", "Name"))
	}
	if r.Action() == "CreateTopic" {
		return policyHits(r, topic, "SNS topic", pget(pmap(p, "attributes", "Attributes"), "Policy"))
	}
	if !strings.EqualFold(pstr(p, "attributeName", "AttributeName"), "Policy") {
		return nil
	}
	return policyHits(r, topic, "SNS topic", pget(p, "attributeValue", "AttributeValue"))
}

// snsPermission judges SNS AddPermission, whose account list may hold "*".
func snsPermission(r *record.Record) []Hit {
	p := params(r)
	accounts, _ := pget(p, "aWSAccountId", "AWSAccountId", "awsAccountId").([]any)
	for _, a := range accounts {
		if s, _ := a.(string); anyAccount(s) {
			return []Hit{{Resource: pstr(p, "topicArn", "TopicArn"), Title: "SNS topic made public by its resource policy", Evidence: map[string]any{
				"api": r.Action(), "resourceType": "SNS topic", "permissionPrincipal": s, "label": pstr(p, "label", "Label"),
				"actions": pget(p, "actionName", "ActionName"),
			}}}
		}
	}
	return nil
}

func bucketARN(r *record.Record) string {
	b := pstr(params(r), "bucketName", "BucketName")
	if b == "" {
		b = "*"
	}
	return "arn:" + awsid.PartitionOf(r.AWSRegion) + ":s3:::" + b
}

func s3Policy(r *record.Record) []Hit {
	p := params(r)
	pol := pget(p, "bucketPolicy", "BucketPolicy")
	if pol == nil {
		pol = pget(p, "policy")
		if l, ok := pol.([]any); ok && len(l) == 1 {
			pol = l[0] // some records carry ["{...}"]
		}
	}
	return policyHits(r, bucketARN(r), "S3 bucket", pol)
}

// publicGroups are the S3 ACL grantees that mean everyone.
var publicGroups = [][]byte{[]byte("acs.amazonaws.com/groups/global/AllUsers"), []byte("acs.amazonaws.com/groups/global/AuthenticatedUsers")}

// publicCannedACLs are canned ACLs that grant to one of publicGroups.
var publicCannedACLs = map[string]bool{"public-read": true, "public-read-write": true, "authenticated-read": true}

// s3ACL judges PutBucketAcl (and CreateBucket with an ACL): a grant to
// AllUsers or AuthenticatedUsers, in the XML body or an x-amz-grant-*
// header, or a public canned ACL.
func s3ACL(r *record.Record) []Hit {
	raw := r.RequestParameters
	var grantee string
	for _, g := range publicGroups {
		if bytes.Contains(raw, g) {
			grantee = string(g[bytes.LastIndexByte(g, '/')+1:])
			break
		}
	}
	if grantee == "" {
		var acl string
		switch v := pget(params(r), "x-amz-acl").(type) {
		case string:
			acl = v
		case []any:
			if len(v) > 0 {
				acl, _ = v[0].(string)
			}
		}
		if !publicCannedACLs[strings.ToLower(strings.TrimSpace(acl))] {
			return nil
		}
		grantee = "canned ACL " + acl
	}
	return []Hit{{Resource: bucketARN(r), Title: "S3 bucket ACL granted to everyone", Evidence: map[string]any{
		"api": r.Action(), "resourceType": "S3 bucket", "grantee": grantee,
	}}}
}

// blockSettings are the four S3 Block Public Access settings.
var blockSettings = []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}

// s3BlockOff reports S3 Block Public Access removed or with a setting
// turned off, on a bucket or the whole account: HIGH, since it opens the
// way rather than the bucket.
func s3BlockOff(r *record.Record) []Hit {
	res := bucketARN(r)
	account := strings.Contains(r.Action(), "Account") || !strings.Contains(r.Action(), "Bucket")
	if account {
		res = "arn:" + awsid.PartitionOf(r.AWSRegion) + ":s3:" + r.AWSRegion + ":" + r.Account() + ":account"
		if a := pstr(params(r), "accountId"); a != "" {
			res = "arn:" + awsid.PartitionOf(r.AWSRegion) + ":s3:" + r.AWSRegion + ":" + a + ":account"
		}
	}
	ev := map[string]any{"api": r.Action(), "resourceType": "S3 Block Public Access"}
	title := "S3 Block Public Access removed"
	if strings.HasPrefix(r.Action(), "Put") {
		cfg := pmap(params(r), "PublicAccessBlockConfiguration", "publicAccessBlockConfiguration")
		if cfg == nil {
			return nil
		}
		var off []string
		for _, k := range blockSettings {
			v := pget(cfg, k)
			if b, ok := v.(bool); (ok && !b) || v == "false" {
				off = append(off, k)
			}
		}
		if len(off) == 0 {
			return nil
		}
		ev["settingsOff"] = off
		title = "S3 Block Public Access turned off"
	}
	if account {
		title += " for the account"
	}
	return []Hit{{Resource: res, Severity: findings.High, Title: title, Evidence: ev}}
}

func kmsPolicy(r *record.Record) []Hit {
	p := params(r)
	pol := pget(p, "policy", "Policy")
	if pol == nil {
		return nil
	}
	key := pstr(pmap(response(r), "keyMetadata"), "arn")
	if key == "" {
		key = pstr(p, "keyId", "KeyId")
		if !strings.HasPrefix(key, "arn:") {
			key = arnIn(r, "kms", "key/"+key)
		}
	}
	return policyHits(r, key, "KMS key", pol)
}

func secretPolicy(r *record.Record) []Hit {
	p := params(r)
	id := pstr(p, "secretId", "SecretId")
	if !strings.HasPrefix(id, "arn:") {
		id = arnIn(r, "secretsmanager", "secret:"+id)
	}
	return policyHits(r, id, "Secrets Manager secret", pget(p, "resourcePolicy", "ResourcePolicy"))
}

func ecrPolicy(r *record.Record) []Hit {
	p := params(r)
	res := arnIn(r, "ecr", "repository/"+pstr(p, "repositoryName", "RepositoryName"))
	if reg := pstr(p, "registryId"); reg != "" && reg != r.Account() {
		res = "arn:" + awsid.PartitionOf(r.AWSRegion) + ":ecr:" + r.AWSRegion + ":" + reg + ":repository/" + pstr(p, "repositoryName", "RepositoryName")
	}
	return policyHits(r, res, "ECR repository", pget(p, "policyText", "PolicyText"))
}

// eventBusPermission judges EventBridge PutPermission: a whole policy, or
// principal "*" whose condition (only aws:PrincipalOrgID is accepted by
// the API) is absent.
func eventBusPermission(r *record.Record) []Hit {
	p := params(r)
	bus := pstr(p, "eventBusName", "EventBusName")
	if bus == "" {
		bus = "default"
	}
	if !strings.HasPrefix(bus, "arn:") {
		bus = arnIn(r, "events", "event-bus/"+bus)
	}
	if pol := pget(p, "policy", "Policy"); pol != nil {
		return policyHits(r, bus, "EventBridge event bus", pol)
	}
	principal := pstr(p, "principal", "Principal")
	if !anyAccount(principal) || pget(p, "condition", "Condition") != nil {
		return nil
	}
	return []Hit{{Resource: bus, Title: "EventBridge event bus made public by its resource policy", Evidence: map[string]any{
		"api": r.Action(), "resourceType": "EventBridge event bus", "permissionPrincipal": principal,
		"action": pstr(p, "action", "Action"), "statementId": pstr(p, "statementId", "StatementId"),
	}}}
}

func searchPolicy(r *record.Record) []Hit {
	if !bytes.Contains(bytes.ToLower(r.RequestParameters), []byte(`"accesspolicies"`)) {
		return nil
	}
	p := params(r)
	return policyHits(r, arnIn(r, "es", "domain/"+pstr(p, "domainName", "DomainName")), "OpenSearch domain", pget(p, "accessPolicies", "AccessPolicies"))
}

// ec2Sharing judges ModifySnapshotAttribute and ModifyImageAttribute: a
// createVolumePermission or launchPermission added for group "all".
func ec2Sharing(r *record.Record) []Hit {
	if !bytes.Contains(r.RequestParameters, []byte(`"all"`)) {
		return nil
	}
	p := params(r)
	var perm map[string]any
	var res, kind string
	if id := pstr(p, "snapshotId"); id != "" {
		perm, kind = pmap(p, "createVolumePermission"), "EBS snapshot"
		res = "arn:" + awsid.PartitionOf(r.AWSRegion) + ":ec2:" + r.AWSRegion + "::snapshot/" + id
	} else {
		perm, kind = pmap(p, "launchPermission"), "AMI"
		res = "arn:" + awsid.PartitionOf(r.AWSRegion) + ":ec2:" + r.AWSRegion + "::image/" + pstr(p, "imageId")
	}
	add := pmap(perm, "add")
	items, _ := pget(add, "items").([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		if strings.EqualFold(pstr(m, "group"), "all") {
			return []Hit{{Resource: res, Title: kind + " shared with every AWS account", Evidence: map[string]any{
				"api": r.Action(), "resourceType": kind, "group": "all",
			}}}
		}
	}
	return nil
}

// rdsSharing judges ModifyDB(Cluster)SnapshotAttribute: restore rights
// added for "all".
func rdsSharing(r *record.Record) []Hit {
	p := params(r)
	if !strings.EqualFold(pstr(p, "attributeName"), "restore") {
		return nil
	}
	vals, _ := pget(p, "valuesToAdd").([]any)
	for _, v := range vals {
		if s, _ := v.(string); strings.EqualFold(s, "all") {
			res, kind := arnIn(r, "rds", "snapshot:"+pstr(p, "dBSnapshotIdentifier")), "RDS snapshot"
			if id := pstr(p, "dBClusterSnapshotIdentifier"); id != "" {
				res, kind = arnIn(r, "rds", "cluster-snapshot:"+id), "RDS cluster snapshot"
			}
			return []Hit{{Resource: res, Title: kind + " shared with every AWS account", Evidence: map[string]any{
				"api": r.Action(), "resourceType": kind, "valuesToAdd": "all",
			}}}
		}
	}
	return nil
}
