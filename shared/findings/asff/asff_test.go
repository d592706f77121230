package asff

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/selfaudit/selfaudit/shared/checks"
	"github.com/selfaudit/selfaudit/shared/findings"
)

var (
	t0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	t1 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
)

// tracked is a valid finding of check on resource, NEW.
func tracked(check, resource string) findings.Tracked {
	return findings.Tracked{Finding: findings.Finding{
		ID: findings.StableID(check, resource, ""), Check: check, Severity: findings.High, Title: "a title",
		Resource: resource, Evidence: map[string]any{"action": "iam:PassRole"}, Remediation: "fix it",
		Source: "test", ObservedAt: t0,
	}, Status: findings.StatusNew}
}

func TestConvertResourceTypes(t *testing.T) {
	t.Parallel()
	opts := Options{Account: "111122223333", Region: "eu-west-1"}
	tests := []struct {
		resource, typ, partition, region string
	}{
		{"arn:aws:iam::123456789012:role/service-role/app", "AwsIamRole", "aws", "eu-west-1"},
		{"arn:aws:iam::123456789012:policy/admin", "AwsIamPolicy", "aws", "eu-west-1"},
		{"arn:aws:iam::aws:policy/AdministratorAccess", "AwsIamPolicy", "aws", "eu-west-1"},
		{"arn:aws:iam::123456789012:user/alice", "AwsIamUser", "aws", "eu-west-1"},
		{"arn:aws:iam::123456789012:group/ops", "AwsIamGroup", "aws", "eu-west-1"},
		{"arn:aws:iam::123456789012:root", "AwsAccount", "aws", "eu-west-1"},
		{"arn:aws:lambda:us-east-1:123456789012:function:app", "AwsLambdaFunction", "aws", "us-east-1"},
		{"arn:aws:lambda:us-east-1:123456789012:function:app:live", "AwsLambdaFunction", "aws", "us-east-1"},
		{"arn:aws:lambda:us-east-1:999999999999:layer:shared:3", "AwsLambdaLayerVersion", "aws", "us-east-1"},
		{"arn:aws:cloudtrail:us-east-1:123456789012:trail/main", "AwsCloudTrailTrail", "aws", "us-east-1"},
		{"arn:aws:sqs:us-east-1:123456789012:dlq", "AwsSqsQueue", "aws", "us-east-1"},
		{"arn:aws:sns:us-east-1:123456789012:alerts", "AwsSnsTopic", "aws", "us-east-1"},
		{"arn:aws:s3:::trail-bucket", "AwsS3Bucket", "aws", "eu-west-1"},
		{"arn:aws:s3:::trail-bucket/AWSLogs/x.json.gz", "AwsS3Object", "aws", "eu-west-1"},
		{"arn:aws:dynamodb:us-east-1:123456789012:table/findings", "AwsDynamoDbTable", "aws", "us-east-1"},
		{"arn:aws:events:us-east-1:123456789012:event-bus/findings", "AwsEventsEventbus", "aws", "us-east-1"},
		{"arn:aws:kms:us-east-1:123456789012:key/1234", "AwsKmsKey", "aws", "us-east-1"},
		{"arn:aws:cloudformation:us-east-1:123456789012:stack/s/1", "AwsCloudFormationStack", "aws", "us-east-1"},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCd", "AwsSecretsManagerSecret", "aws", "us-east-1"},
		{"arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:app/group", "Other", "aws", "us-east-1"},
		{"arn:aws:sts::123456789012:assumed-role/app/session", "Other", "aws", "eu-west-1"},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:function:app", "AwsLambdaFunction", "aws-cn", "cn-north-1"},
		{"template.yaml#/Resources/Role/Properties/Policies/0", "Other", "aws", "eu-west-1"},
		{"policies/admin.json#/Statement/0", "Other", "aws", "eu-west-1"},
	}
	for _, tc := range tests {
		t.Run(tc.resource, func(t *testing.T) {
			f, err := Convert(tracked("IAM004", tc.resource), opts)
			if err != nil {
				t.Fatal(err)
			}
			want := Resource{Type: tc.typ, ID: tc.resource, Partition: tc.partition, Region: tc.region}
			if len(f.Resources) != 1 || f.Resources[0] != want {
				t.Errorf("resources = %+v, want [%+v]", f.Resources, want)
			}
		})
	}
}

func TestConvertStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status                       findings.Status
		workflow, record, compliance string
	}{
		{findings.StatusNew, WorkflowNew, RecordActive, ComplianceFailed},
		{findings.StatusReopened, WorkflowNew, RecordActive, ComplianceFailed},
		{findings.StatusOpen, WorkflowNotified, RecordActive, ComplianceFailed},
		{findings.StatusBaseline, WorkflowNotified, RecordActive, ComplianceFailed},
		{findings.StatusSuppressed, WorkflowSuppressed, RecordActive, ComplianceFailed},
		{findings.StatusResolved, WorkflowResolved, RecordArchived, CompliancePassed},
		{"", WorkflowNew, RecordActive, ComplianceFailed},
	}
	for _, tc := range tests {
		t.Run(string(tc.status), func(t *testing.T) {
			tr := tracked("IAM004", "arn:aws:iam::123456789012:role/app")
			tr.Status = tc.status
			f, err := Convert(tr, Options{Region: "us-east-1"})
			if err != nil {
				t.Fatal(err)
			}
			if f.Workflow.Status != tc.workflow || f.RecordState != tc.record || f.Compliance.Status != tc.compliance {
				t.Errorf("workflow %s, record %s, compliance %s; want %s, %s, %s",
					f.Workflow.Status, f.RecordState, f.Compliance.Status, tc.workflow, tc.record, tc.compliance)
			}
			if f.ProductFields["selfaudit/status"] != string(tc.status) {
				t.Errorf("ProductFields status = %q", f.ProductFields["selfaudit/status"])
			}
		})
	}
}

// TestConvertVerdictPasses: an INFO verdict without remediation (HOOK000,
// "passed") is a passed check, not a failed one.
func TestConvertVerdictPasses(t *testing.T) {
	t.Parallel()
	tr := tracked("HOOK000", "arn:aws:lambda:us-east-1:123456789012:function:app:7")
	tr.Severity, tr.Remediation = findings.Info, ""
	f, err := Convert(tr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Compliance.Status != CompliancePassed || f.Severity.Label != "INFORMATIONAL" || f.Severity.Original != "INFO" || f.Remediation != nil {
		t.Errorf("verdict = %+v", f)
	}
}

func TestConvertMissingAccountOrRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, resource string
		opts           Options
		want           string
	}{
		{"template path, no account", "template.yaml#/Resources/Role", Options{Region: "us-east-1"}, "no AWS account"},
		{"template path, no region", "template.yaml#/Resources/Role", Options{Account: "123456789012"}, "no AWS Region"},
		{"AWS managed policy", "arn:aws:iam::aws:policy/AdministratorAccess", Options{Region: "us-east-1"}, `account "aws" is not a 12-digit`},
		{"global IAM role", "arn:aws:iam::123456789012:role/app", Options{}, "no AWS Region"},
		{"bad account option", "arn:aws:iam::123456789012:role/app", Options{Account: "12345", Region: "us-east-1"}, "not a 12-digit"},
		{"bad region option", "arn:aws:iam::123456789012:role/app", Options{Region: "US East"}, "not a Region name"},
		{"bad partition option", "arn:aws:iam::123456789012:role/app", Options{Region: "us-east-1", Partition: "mars"}, "partition"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Convert(tracked("IAM004", tc.resource), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "IAM004") {
				t.Fatalf("error = %v, want one naming IAM004 and %q", err, tc.want)
			}
		})
	}
	// The finding's own ARN is enough when it names both.
	f, err := Convert(tracked("LMB001", "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:app"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.ProductARN != "arn:aws-us-gov:securityhub:us-gov-west-1:123456789012:product/123456789012/default" || f.AwsAccountID != "123456789012" {
		t.Errorf("product %s, account %s", f.ProductARN, f.AwsAccountID)
	}
	// An invalid finding is refused before anything else.
	bad := tracked("IAM004", "arn:aws:iam::123456789012:role/app")
	bad.Title = ""
	if _, err := Convert(bad, Options{Region: "us-east-1"}); err == nil || !strings.Contains(err.Error(), "empty title") {
		t.Errorf("error = %v", err)
	}
	bad.Title = " \t "
	if _, err := Convert(bad, Options{Region: "us-east-1"}); err == nil || !strings.Contains(err.Error(), "title") {
		t.Errorf("error = %v", err)
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"one two three four", 10, "one two…"},
		{"ééééééééééé", 5, "éééé…"},
		{"🙂🙂🙂🙂", 3, "🙂🙂…"},
		{"bad \xff byte", 20, "bad \uFFFD byte"},
		{"ab", 1, "a"},
	}
	for _, tc := range tests {
		if got := Truncate(tc.in, tc.max); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestConvertTruncates(t *testing.T) {
	t.Parallel()
	tr := tracked("IAM006", "arn:aws:iam::123456789012:role/app")
	tr.Title = strings.Repeat("Ünïcödé title ", 40)
	tr.Remediation = strings.Repeat("do this; ", 100)
	tr.Evidence = map[string]any{"actions": strings.Repeat("s3:PutObject,", 200)}
	tr.Suppression = &findings.Suppression{Reason: strings.Repeat("r", 3000), Source: "selfaudit.yaml:4"}
	f, err := Convert(tr, Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		s   string
		max int
	}{
		"Title": {f.Title, MaxTitle}, "Description": {f.Description, MaxDescription},
		"Recommendation":    {f.Remediation.Recommendation.Text, MaxRecommendation},
		"suppressionReason": {f.ProductFields["selfaudit/suppressionReason"], MaxProductFieldVal},
	} {
		if n := utf8.RuneCountInString(c.s); n > c.max || n < c.max-wordWindow || !utf8.ValidString(c.s) || !strings.HasSuffix(c.s, "…") {
			t.Errorf("%s: %d runes (want at most %d), ends %q", name, n, c.max, c.s[max(0, len(c.s)-10):])
		}
	}
	if !strings.Contains(f.Description, "Resource: arn:aws:iam::123456789012:role/app. Evidence: {") {
		t.Errorf("description = %q", f.Description)
	}
}

// TestConvertUsesTheRegistry: a check the registry knows brings its
// description, documentation link and Security Hub control.
func TestConvertUsesTheRegistry(t *testing.T) {
	t.Parallel()
	c, ok := checks.Lookup("IAM001")
	if !ok {
		t.Fatal("IAM001 is not registered")
	}
	f, err := Convert(tracked("IAM001", "arn:aws:iam::123456789012:policy/admin"), Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.Description, c.Description) || f.Remediation.Recommendation.URL != c.HelpURI() ||
		f.Compliance.SecurityControlID != "IAM.1" || strings.Join(f.Compliance.RelatedRequirements, ",") != "IAM.1" {
		t.Errorf("finding = %+v", f)
	}
	if f.GeneratorID != "IAM001" || f.Types[0] != typeBestPractice || f.FindingProviderFields.Types[0] != typeBestPractice {
		t.Errorf("generator %s, types %v", f.GeneratorID, f.Types)
	}
	// A check no registry knows still converts, described by its title.
	g, err := Convert(tracked("CT999", "arn:aws:iam::123456789012:role/app"), Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(g.Description, "a title. Resource: ") || g.Types[0] != "TTPs" || g.Compliance.SecurityControlID != "" || g.Remediation.Recommendation.URL != "" {
		t.Errorf("unknown check = %+v", g)
	}
}

// TestTypesAreValid: every registered check maps to types in a namespace
// ASFF defines, and the per-check table names only registered checks.
func TestTypesAreValid(t *testing.T) {
	t.Parallel()
	namespaces := []string{"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"}
	for _, c := range checks.All() {
		info, ok := lookup(c.ID)
		for _, typ := range findingTypes(c.ID, engineOf(c.ID, info, ok)) {
			ns, _, _ := strings.Cut(typ, "/")
			valid := false
			for _, n := range namespaces {
				valid = valid || n == ns
			}
			if !valid || strings.Count(typ, "/") > 2 {
				t.Errorf("%s: type %q", c.ID, typ)
			}
		}
		if engineOf(c.ID, checkInfo{}, false) != string(c.Engine) {
			t.Errorf("%s: the ID's family says engine %s, the registry %s", c.ID, engineOf(c.ID, checkInfo{}, false), c.Engine)
		}
	}
	for id := range checkTypes {
		if _, ok := checks.Lookup(id); !ok {
			t.Errorf("checkTypes names %s, which is not registered", id)
		}
	}
}

// TestTimes: CreatedAt is the first sighting, UpdatedAt Options.Now or the
// latest of the last sighting and the status change.
func TestTimes(t *testing.T) {
	t.Parallel()
	tr := tracked("IAM004", "arn:aws:iam::123456789012:role/app")
	tr.FirstSeen, tr.LastSeen, tr.ObservedAt = t0, t1, t1
	f, err := Convert(tr, Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if f.CreatedAt != "2026-11-30T08:00:00.000Z" || f.FirstObservedAt != f.CreatedAt || f.LastObservedAt != "2026-12-01T08:00:00.000Z" || f.UpdatedAt != f.LastObservedAt {
		t.Errorf("times %s %s %s %s", f.CreatedAt, f.FirstObservedAt, f.LastObservedAt, f.UpdatedAt)
	}
	// A resolution decided after the last sighting is newer than it.
	resolved := tr
	resolved.Status, resolved.StatusChangedAt = findings.StatusResolved, t1.Add(time.Hour)
	if f, _ := Convert(resolved, Options{Region: "us-east-1"}); f.UpdatedAt != "2026-12-01T09:00:00.000Z" || f.LastObservedAt != "2026-12-01T08:00:00.000Z" {
		t.Errorf("resolution: UpdatedAt %s, LastObservedAt %s", f.UpdatedAt, f.LastObservedAt)
	}
	now := time.Date(2026, 12, 2, 9, 30, 0, 123456789, time.FixedZone("CET", 3600))
	f, _ = Convert(tr, Options{Region: "us-east-1", Now: now})
	if f.UpdatedAt != "2026-12-02T08:30:00.123Z" {
		t.Errorf("UpdatedAt = %s", f.UpdatedAt)
	}
	for _, s := range []string{f.CreatedAt, f.UpdatedAt} {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}

// TestWriteGolden pins the JSON of Write for a small set of findings:
// a resolved IAM finding, a suppressed one from a template, a CloudTrail
// finding. Run with -update to rewrite it.
func TestWriteGolden(t *testing.T) {
	t.Parallel()
	resolved := tracked("IAM001", "arn:aws:iam::123456789012:policy/admin")
	resolved.Severity, resolved.Status, resolved.PreviousStatus = findings.Critical, findings.StatusResolved, findings.StatusOpen
	resolved.FirstSeen, resolved.LastSeen, resolved.Occurrences = t0, t1, 2
	suppressed := tracked("IAM006", "template.yaml#/Resources/AppRole/Properties/Policies/0/PolicyDocument/Statement/1")
	suppressed.Severity, suppressed.Status = findings.Medium, findings.StatusSuppressed
	suppressed.Suppression = &findings.Suppression{Reason: "SEC-42: vendor integration", Expires: "2027-03-31", Source: "selfaudit.yaml:3"}
	trail := tracked("CT004", "arn:aws:cloudtrail:us-east-1:123456789012:trail/main")
	trail.Evidence = map[string]any{"eventName": "StopLogging", "principal": "arn:aws:iam::123456789012:user/mallory"}
	var b bytes.Buffer
	if err := Write(&b, []findings.Tracked{resolved, suppressed, trail}, Options{Account: "123456789012", Region: "us-east-1", Now: t1}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "write.golden.json")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("Write differs from %s (run with -update after checking):\n%s", path, b.String())
	}
	var back []map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back) != 3 {
		t.Fatalf("not a JSON array of 3: %v", err)
	}
	// No findings is an empty array, not null.
	b.Reset()
	if err := Write(&b, nil, Options{}); err != nil || strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("empty Write = %q, %v", b.String(), err)
	}
	// A finding that cannot be converted writes nothing.
	b.Reset()
	if err := Write(&b, []findings.Tracked{trail, tracked("IAM004", "template.yaml#/x")}, Options{Region: "us-east-1"}); err == nil || b.Len() != 0 {
		t.Errorf("Write with a bad finding: %v, wrote %q", err, b.String())
	}
}
