package asff

import (
	"encoding/json"
	"github.com/selfaudit/selfaudit/shared/awsid"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// FuzzConvert feeds Convert arbitrary resources (it parses ARNs), titles,
// remediations, evidence and options: it never panics, and what it returns
// keeps to ASFF's limits and encodes as JSON.
func FuzzConvert(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/app", "title", "fix", "k", "", "")
	f.Add("arn:aws:lambda:us-east-1:123456789012:function:x:1", "t", "", "", "123456789012", "eu-west-1")
	f.Add("template.yaml#/Resources/R", strings.Repeat("é", 300), strings.Repeat("x ", 400), "\xff", "123456789012", "us-east-1")
	f.Add("arn:::::", " ", "\x00", "", "", "")
	f.Add("arn:aws-cn:s3:::b/k", "🙂", "r", "v", "", "cn-north-1")
	f.Fuzz(func(t *testing.T, resource, title, remediation, evidence, account, region string) {
		tr := findings.Tracked{Finding: findings.Finding{
			ID: findings.StableID("IAM004", resource, ""), Check: "IAM004", Severity: findings.Medium, Title: title,
			Resource: resource, Evidence: map[string]any{"v": evidence}, Remediation: remediation, Source: "fuzz", ObservedAt: t0,
		}, Status: findings.StatusResolved}
		out, err := Convert(tr, Options{Account: account, Region: region})
		if err != nil {
			return
		}
		if utf8.RuneCountInString(out.Title) > MaxTitle || utf8.RuneCountInString(out.Description) > MaxDescription || blank(out.Title) || blank(out.Description) {
			t.Fatalf("limits broken: %q / %q", out.Title, out.Description)
		}
		if out.Remediation != nil && (utf8.RuneCountInString(out.Remediation.Recommendation.Text) > MaxRecommendation || blank(out.Remediation.Recommendation.Text)) {
			t.Fatalf("recommendation %q", out.Remediation.Recommendation.Text)
		}
		if !awsid.IsAccountID(out.AwsAccountID) || !strings.HasPrefix(out.ProductARN, "arn:aws") || len(out.Resources) != 1 || out.Resources[0].ID != resource {
			t.Fatalf("finding %+v", out)
		}
		if len(out.Resources[0].Region) > 16 || !utf8.ValidString(out.Title+out.Description) {
			t.Fatalf("resource %+v", out.Resources[0])
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatal(err)
		}
	})
}
