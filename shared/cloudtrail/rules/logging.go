package rules

import (
	"bytes"
	"slices"
	"strings"

	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// This file is CT004 beyond CloudTrail itself (trail.go): the other logs
// and detectors an investigation relies on, switched off.

// loggingAPIs maps an event source and action to the function that tells
// what the call switched off; two map lookups are all that CT004 costs on
// every other record.
var loggingAPIs = map[string]map[string]func(c *Config, r *record.Record) []Hit{
	"ec2.amazonaws.com": {"DeleteFlowLogs": flowLogsDeleted},
	"route53resolver.amazonaws.com": {
		"DeleteResolverQueryLogConfig":       resolverLogging,
		"DisassociateResolverQueryLogConfig": resolverLogging,
	},
	"guardduty.amazonaws.com": {
		"DeleteDetector":                       guardDuty,
		"UpdateDetector":                       guardDuty,
		"DeletePublishingDestination":          guardDuty,
		"DisassociateFromMasterAccount":        guardDuty,
		"DisassociateFromAdministratorAccount": guardDuty,
	},
	"securityhub.amazonaws.com": {
		"DisableSecurityHub":                   securityHub,
		"BatchDisableStandards":                securityHub,
		"DisassociateFromMasterAccount":        securityHub,
		"DisassociateFromAdministratorAccount": securityHub,
	},
	"config.amazonaws.com": {
		"StopConfigurationRecorder":   awsConfig,
		"DeleteConfigurationRecorder": awsConfig,
		"DeleteDeliveryChannel":       awsConfig,
	},
	"logs.amazonaws.com":    {"DeleteLogGroup": logGroupDeleted},
	"s3.amazonaws.com":      {"PutBucketLogging": bucketLoggingOff},
	"bedrock.amazonaws.com": {"DeleteModelInvocationLoggingConfiguration": bedrockLogging},
	"wafv2.amazonaws.com":   {"DeleteLoggingConfiguration": wafLogging},
}

// loggingWeakened is CT004 for records of other services than CloudTrail.
func loggingWeakened(c *Config, r *record.Record) []Hit {
	m := loggingAPIs[r.EventSource]
	if m == nil {
		return nil
	}
	fn := m[r.Action()]
	if fn == nil {
		return nil
	}
	return fn(c, r)
}

// logHit is one CT004 hit: the log that was weakened and how.
func logHit(r *record.Record, res string, sev findings.Severity, log, what string) []Hit {
	return []Hit{{Resource: res, Severity: sev, Title: log + " " + what,
		Evidence: map[string]any{"api": r.Action(), "log": log, "change": what}}}
}

// flowLogsDeleted reads the flow log IDs wherever the record keeps them
// (flowLogIds, FlowLogId, or the DeleteFlowLogsRequest wrapper some
// records carry) by their "fl-" prefix.
func flowLogsDeleted(_ *Config, r *record.Record) []Hit {
	var ids []string
	raw := r.RequestParameters
	for {
		i := bytes.Index(raw, []byte(`"fl-`))
		if i < 0 {
			break
		}
		raw = raw[i+1:]
		j := bytes.IndexByte(raw, '"')
		if j < 0 {
			break
		}
		if id := string(raw[:j]); !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
		raw = raw[j:]
	}
	res := arnIn(r, "ec2", "vpc-flow-log/*")
	if len(ids) > 0 {
		res = arnIn(r, "ec2", "vpc-flow-log/"+ids[0])
	}
	h := logHit(r, res, findings.High, "VPC flow logs", "deleted")
	if len(ids) > 0 {
		h[0].Evidence["flowLogIds"] = ids
	}
	return h
}

func resolverLogging(_ *Config, r *record.Record) []Hit {
	p := params(r)
	id := pstr(p, "resolverQueryLogConfigId", "ResolverQueryLogConfigId")
	what := "configuration deleted"
	if r.Action() == "DisassociateResolverQueryLogConfig" {
		what = "removed from a VPC"
	}
	h := logHit(r, arnIn(r, "route53resolver", "resolver-query-log-config/"+id), findings.High, "Route 53 Resolver query logging", what)
	if vpc := pstr(p, "resourceId", "ResourceId"); vpc != "" {
		h[0].Evidence["vpc"] = vpc
	}
	return h
}

func guardDuty(_ *Config, r *record.Record) []Hit {
	p := params(r)
	res := arnIn(r, "guardduty", "detector/"+pstr(p, "detectorId", "DetectorId"))
	switch r.Action() {
	case "DeleteDetector":
		return logHit(r, res, findings.High, "GuardDuty detector", "deleted")
	case "UpdateDetector":
		if v, ok := pget(p, "enable", "Enable").(bool); ok && !v {
			return logHit(r, res, findings.High, "GuardDuty detector", "disabled")
		}
		if off := guardDutyProtectionsOff(p); len(off) > 0 {
			h := logHit(r, res, findings.Medium, "GuardDuty protection", "disabled")
			h[0].Evidence["protections"] = off
			return h
		}
		return nil
	case "DeletePublishingDestination":
		return logHit(r, res, findings.High, "GuardDuty findings", "publishing destination removed")
	}
	return logHit(r, res, findings.High, "GuardDuty", "disassociated from the administrator account")
}

// guardDutyProtectionsOff lists the protection plans an UpdateDetector
// call turns off: features with status DISABLED (the current API) or data
// sources with enable false (the older one).
func guardDutyProtectionsOff(p map[string]any) []string {
	var off []string
	features, _ := pget(p, "features", "Features").([]any)
	for _, f := range features {
		m, _ := f.(map[string]any)
		if strings.EqualFold(pstr(m, "status", "Status"), "DISABLED") {
			off = append(off, pstr(m, "name", "Name"))
		}
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			switch x := v.(type) {
			case map[string]any:
				walk(prefix+k+".", x)
			case bool:
				if strings.EqualFold(k, "enable") && !x {
					off = append(off, strings.TrimSuffix(prefix, "."))
				}
			}
		}
	}
	walk("", pmap(p, "dataSources", "DataSources"))
	slices.Sort(off)
	return off
}

func securityHub(_ *Config, r *record.Record) []Hit {
	res := arnIn(r, "securityhub", "hub/default")
	switch r.Action() {
	case "DisableSecurityHub":
		return logHit(r, res, findings.High, "Security Hub", "disabled")
	case "BatchDisableStandards":
		h := logHit(r, res, findings.High, "Security Hub", "standards disabled")
		if v := pget(params(r), "standardsSubscriptionArns", "StandardsSubscriptionArns"); v != nil {
			h[0].Evidence["standards"] = v
		}
		return h
	}
	return logHit(r, res, findings.High, "Security Hub", "disassociated from the administrator account")
}

func awsConfig(_ *Config, r *record.Record) []Hit {
	p := params(r)
	switch r.Action() {
	case "DeleteDeliveryChannel":
		name := pstr(p, "deliveryChannelName", "DeliveryChannelName", "configurationRecorderName")
		return logHit(r, arnIn(r, "config", "delivery-channel/"+name), findings.High, "AWS Config delivery channel", "deleted")
	case "StopConfigurationRecorder":
		return logHit(r, arnIn(r, "config", "configuration-recorder/"+pstr(p, "configurationRecorderName", "ConfigurationRecorderName")), findings.High, "AWS Config recorder", "stopped")
	}
	return logHit(r, arnIn(r, "config", "configuration-recorder/"+pstr(p, "configurationRecorderName", "ConfigurationRecorderName")), findings.High, "AWS Config recorder", "deleted")
}

// logGroupDeleted reports a deleted log group that holds a function's
// logs (/aws/lambda/...) or a trail's (a name with "cloudtrail" in it);
// other log groups come and go with their stacks.
func logGroupDeleted(_ *Config, r *record.Record) []Hit {
	name := pstr(params(r), "logGroupName", "LogGroupName")
	var log string
	switch {
	case strings.HasPrefix(name, "/aws/lambda/"):
		log = "Lambda function log group"
	case strings.Contains(strings.ToLower(name), "cloudtrail"):
		log = "CloudTrail log group"
	default:
		return nil
	}
	h := logHit(r, arnIn(r, "logs", "log-group:"+name), findings.High, log, "deleted")
	h[0].Evidence["logGroup"] = name
	return h
}

// bucketLoggingOff reports PutBucketLogging with a BucketLoggingStatus
// that has no LoggingEnabled: access logging switched off. HIGH on the
// trail's bucket (Config.TrailBuckets, or a name with "cloudtrail" in it),
// whose access log is how a read of the trail is seen; MEDIUM elsewhere.
func bucketLoggingOff(c *Config, r *record.Record) []Hit {
	p := params(r)
	status := pmap(p, "BucketLoggingStatus", "bucketLoggingStatus")
	if status == nil || pget(status, "LoggingEnabled", "loggingEnabled") != nil {
		return nil
	}
	bucket := pstr(p, "bucketName", "BucketName")
	sev, log := findings.Medium, "S3 access logging"
	if slices.Contains(c.TrailBuckets, bucket) || strings.Contains(strings.ToLower(bucket), "cloudtrail") {
		sev, log = findings.High, "S3 access logging of the trail's bucket"
	}
	h := logHit(r, "arn:"+awsid.PartitionOf(r.AWSRegion)+":s3:::"+bucket, sev, log, "switched off")
	h[0].Evidence["bucket"] = bucket
	return h
}

func bedrockLogging(_ *Config, r *record.Record) []Hit {
	return logHit(r, arnIn(r, "bedrock", "model-invocation-logging-configuration"), findings.Medium, "Bedrock model invocation logging", "deleted")
}

func wafLogging(_ *Config, r *record.Record) []Hit {
	res := pstr(params(r), "resourceArn", "ResourceArn")
	if res == "" {
		res = arnIn(r, "wafv2", "webacl/*")
	}
	return logHit(r, res, findings.Medium, "WAF web ACL logging", "deleted")
}
