package rules

import (
	"strings"

	"github.com/selfaudit/selfaudit/shared/awsid"
	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// CT004 reports audit logging weakened: CloudTrail stopped, deleted or
// narrowed (the first thing an intruder does, and a mistake that leaves
// every other check blind), and the other logs and detectors an
// investigation relies on switched off (logging.go).
var CT004 = register(&Rule{
	Check: checks.Check{
		ID:          "CT004",
		Severity:    findings.High,
		Title:       "Audit logging weakened",
		Description: "Audit logging was stopped, deleted or narrowed: a trail or event data store (single region, no global events, no management events, no log file validation), VPC flow logs, Route 53 Resolver query logging, GuardDuty (detector deleted or disabled, findings publishing removed), Security Hub (disabled, standards disabled), AWS Config (recorder stopped or deleted, delivery channel deleted), a Lambda function's or the trail's CloudWatch Logs group deleted, or S3 access logging switched off (HIGH on the trail's bucket). The first move of an intruder, and a mistake that leaves every other check blind.",
		Remediation: "Restore what was switched off (StartLogging, the flow log, the query log association, the GuardDuty detector, Security Hub and its standards, the Config recorder and delivery channel, the log group, bucket logging), preferably by redeploying it from its template, and find out who changed it and why; deny these calls outside the security team with an SCP.",
		References: checks.References{Docs: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html",
			"https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
			"https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_suspend-disable.html",
			"https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html",
		}, SecurityHub: []string{"CloudTrail.1", "CloudWatch.5", "EC2.6", "GuardDuty.1", "Config.1"}},
		Techniques: []string{"T1562.008", "T1562.001", "T1070"},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		if r.Failed() {
			return nil
		}
		if r.EventSource != "cloudtrail.amazonaws.com" {
			return loggingWeakened(c, r)
		}
		p := params(r)
		name := strField(p, "name")
		if name == "" {
			name = strField(p, "trailName")
		}
		if name == "" {
			name = strField(p, "eventDataStore")
		}
		res := trailARN(r, name)
		hit := func(sev findings.Severity, what string) []Hit {
			return []Hit{{Resource: res, Severity: sev, Title: "CloudTrail logging stopped, deleted or narrowed",
				Evidence: map[string]any{"change": what, "trail": name, "log": "CloudTrail"}}}
		}
		switch r.Action() {
		case "StopLogging":
			return hit(findings.Critical, "logging stopped")
		case "DeleteTrail":
			return hit(findings.Critical, "trail deleted")
		case "DeleteEventDataStore":
			return hit(findings.High, "event data store deleted")
		case "StopEventDataStoreIngestion":
			return hit(findings.High, "event data store ingestion stopped")
		case "UpdateTrail":
			var what []string
			if v, ok := p["isMultiRegionTrail"].(bool); ok && !v {
				what = append(what, "no longer multi-region")
			}
			if v, ok := p["includeGlobalServiceEvents"].(bool); ok && !v {
				what = append(what, "global service events (IAM, STS) excluded")
			}
			if len(what) > 0 {
				return hit(findings.High, strings.Join(what, "; "))
			}
			if v, ok := p["enableLogFileValidation"].(bool); ok && !v {
				return hit(findings.Medium, "log file validation disabled")
			}
			if b := strField(p, "s3BucketName"); b != "" {
				return hit(findings.Medium, "log delivery moved to bucket "+b)
			}
		case "PutEventSelectors":
			sels, ok := p["eventSelectors"].([]any)
			if ok && len(sels) == 0 {
				return hit(findings.High, "all event selectors removed")
			}
			for _, s := range sels {
				m, _ := s.(map[string]any)
				if m == nil {
					continue
				}
				if v, ok := m["includeManagementEvents"].(bool); ok && !v {
					return hit(findings.High, "management events excluded")
				}
				if rw := strField(m, "readWriteType"); rw != "" && rw != "All" {
					return hit(findings.High, "only "+rw+" events logged")
				}
				if ex, ok := m["excludeManagementEventSources"].([]any); ok && len(ex) > 0 {
					return hit(findings.High, "management event sources excluded")
				}
			}
		case "PutAdvancedEventSelectors":
			sels, _ := p["advancedEventSelectors"].([]any)
			if !mentionsManagement(sels) {
				return hit(findings.High, "advanced event selectors without management events")
			}
		}
		return nil
	},
})

// mentionsManagement reports whether any advanced selector keeps the
// Management event category.
func mentionsManagement(sels []any) bool {
	for _, s := range sels {
		m, _ := s.(map[string]any)
		fs, _ := m["fieldSelectors"].([]any)
		for _, f := range fs {
			fm, _ := f.(map[string]any)
			if strField(fm, "field") != "eventCategory" {
				continue
			}
			eq, _ := fm["equals"].([]any)
			for _, v := range eq {
				if v == "Management" {
					return true
				}
			}
		}
	}
	return false
}

func trailARN(r *record.Record, name string) string {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	if name == "" {
		name = "*"
	}
	return "arn:" + awsid.PartitionOf(r.AWSRegion) + ":cloudtrail:" + r.AWSRegion + ":" + r.Account() + ":trail/" + name
}
