package rules

import (
	"strings"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/findings"
)

// CT004 reports CloudTrail being stopped, deleted or narrowed: the first
// thing an intruder does, and a mistake that leaves every other check blind.
var CT004 = register(&Rule{
	Check: checks.Check{
		ID:          "CT004",
		Severity:    findings.High,
		Title:       "CloudTrail logging stopped, deleted or narrowed",
		Description: "A trail or event data store was stopped, deleted or narrowed (single region, no global events, no management events, no log file validation): the first move of an intruder, and a mistake that leaves every other CloudTrail check blind.",
		Remediation: "Restore the trail (StartLogging, or redeploy it from its template) with management events for all regions, and find out who changed it and why; deny cloudtrail:StopLogging, DeleteTrail and Put*EventSelectors outside the security team with an SCP.",
		References:  checks.References{Docs: []string{"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html", "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html"}, SecurityHub: []string{"CloudTrail.1", "CloudWatch.5"}},
	},
	Match: func(c *Config, r *record.Record) []Hit {
		if r.EventSource != "cloudtrail.amazonaws.com" || r.Failed() {
			return nil
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
			return []Hit{{Resource: res, Severity: sev, Evidence: map[string]any{"change": what, "trail": name}}}
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
	return "arn:" + partition(r.AWSRegion) + ":cloudtrail:" + r.AWSRegion + ":" + r.Account() + ":trail/" + name
}
