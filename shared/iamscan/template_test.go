package iamscan

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// templateFixtures holds the template and policy files that both the
// template parser (package cfntemplate) and this scanner are tested on.
var templateFixtures = filepath.Join("..", "cfntemplate", "testdata")

func scanner() *FileScanner {
	return &FileScanner{Now: func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }}
}

// TestScanTemplates pins, per file, which checks fire where (resource and
// line), including the traps: a scoped SAM policy template, a permission
// scoped by SourceArn, a function whose Policies SAM ignores because it has a
// Role, and Fn::If branches.
func TestScanTemplates(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		file      string
		want      []string // "CHECK resource-suffix@line"
		wantNotes []string
	}{
		"SAM short form": {file: "sam-shortform.yaml", want: []string{
			"IAM001 #/Resources/Api/Properties/Policies/2@25",
			"IAM001 #/Resources/Api/Properties/Policies/3/Statement/1@30",
			"IAM003 #/Resources/Api/Properties/Policies/4/Fn::If/2/Statement@37 when=not IsProd",
			"IAM004 #/Resources/FnRole/Properties/Policies/0/PolicyDocument/Statement/0@68",
			"IAM005 #/Resources/CustomPolicy/Properties/PolicyDocument/Statement@76",
			"IAM006 #/Resources/Api/Properties/Policies/1@24",
			"LMB001 #/Resources/Api/Properties/FunctionUrlConfig@41",
			"LMB003 #/Resources/Perm/Properties@82",
		}, wantNotes: []string{"ReadOnlyAccess is not in the embedded set", "ManagedPolicyArns/1 (line 62): managed policy of FnRole is only known at deploy time"}},
		"JSON template": {file: "iam-json.json", want: []string{
			"IAM001 #/Resources/Admins/Properties/Policies/0/PolicyDocument/Statement/0@7",
			"IAM008 #/Resources/Open/Properties/AssumeRolePolicyDocument/Statement/0@13",
			"LMB001 #/Resources/Public/Properties@18",
		}},
		"identity policy file": {file: "policy-identity.json", want: []string{
			"IAM002 #/Statement/1@5",
			"IAM006 #/Statement/0@4",
		}},
		"trust policy file": {file: "policy-trust.json", want: []string{"IAM008 #/Statement@3"}},
		// Every form CloudFormation accepts for a document is judged, and
		// a document that cannot be read is IAM000 beside the others.
		"JSON string documents": {file: "forms-json-string.yaml", want: []string{
			"IAM000 #/Resources/Broken/Properties/PolicyDocument@24",
			"IAM001 #/Resources/Flow/Properties/PolicyDocument/Statement/0@8",
			"IAM003 #/Resources/Block/Properties/PolicyDocument/Statement/1@18",
			"IAM004 #/Resources/Later/Properties/PolicyDocument/Statement@31",
		}},
		"Fn::Sub and Fn::Join documents": {file: "forms-sub.yaml", want: []string{
			"IAM000 #/Resources/Imported/Properties/PolicyDocument@45",
			"IAM000 #/Resources/NotJSON/Properties/PolicyDocument@41",
			"IAM001 #/Resources/SubList/Properties/PolicyDocument/Statement@26",
			"IAM005 #/Resources/SubString/Properties/PolicyDocument/Statement/2@18",
			"IAM008 #/Resources/Joined/Properties/AssumeRolePolicyDocument/Statement/1@34",
		}},
		"Fn::If, AWS::NoValue and NotPrincipal": {file: "forms-if.yaml", want: []string{
			"IAM001 #/Resources/ProdOnly/Properties/PolicyDocument/Statement@73 when=IsProd and Open",
			"IAM001 #/Resources/Value/Properties/PolicyDocument/Statement@50 when=Open",
			"IAM001 #/Resources/WholeList/Properties/Policies/Fn::If/1/0/PolicyDocument/Statement/0@23 when=IsProd",
			"IAM004 #/Resources/OneStatement/Properties/PolicyDocument/Statement/1/Fn::If/1@44 when=IsProd",
			"IAM007 #/Resources/StatementList/Properties/PolicyDocument/Statement/Fn::If/1/0@32 when=IsProd",
			"IAM008 #/Resources/Trust/Properties/AssumeRolePolicyDocument/Statement/0@60 when=Open",
			"IAM008 #/Resources/Trust/Properties/AssumeRolePolicyDocument/Statement/1@63",
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(templateFixtures, tc.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := scanner().ScanFile(path, data)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				if err := f.Validate(); err != nil {
					t.Error(err)
				}
				if !strings.HasPrefix(f.Resource, path+"#/") || f.Location == nil || f.Location.File != path {
					t.Errorf("resource %q location %+v", f.Resource, f.Location)
				}
				g := f.Check + " " + strings.TrimPrefix(f.Resource, path) + "@" + strconv.Itoa(f.Location.Line)
				if w, ok := f.Evidence["when"].([]string); ok {
					g += " when=" + strings.Join(w, " | ")
				}
				got = append(got, g)
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			notes := strings.Join(rep.Notes, "\n")
			for _, n := range tc.wantNotes {
				if !strings.Contains(notes, n) {
					t.Errorf("notes %q lack %q", notes, n)
				}
			}
		})
	}
}

// TestScanIDsStable: two scans of one file give the same IDs, and every ID
// is distinct.
func TestScanIDsStable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(templateFixtures, "sam-shortform.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := scanner().ScanFile(path, data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := (&FileScanner{}).ScanFile(path, data)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := range a.Findings {
		if a.Findings[i].ID != b.Findings[i].ID {
			t.Errorf("finding %d: IDs differ between runs", i)
		}
		if seen[a.Findings[i].ID] {
			t.Errorf("duplicate ID %s", a.Findings[i].ID)
		}
		seen[a.Findings[i].ID] = true
	}
}

func TestScanPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("ok.yaml", "Resources:\n  P:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyDocument:\n        Statement: [{Effect: Allow, Action: '*', Resource: '*'}]\n")
	write("config.json", `{"name": "not a template"}`)
	write("notes.txt", "ignored by extension")
	write(".aws-sam/build/template.yaml", "Resources:\n  P:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyDocument:\n        Statement: [{Effect: Allow, Action: '*', Resource: '*'}]\n")
	write("node_modules/x/t.yaml", "Resources: [broken")
	rep, err := scanner().ScanPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 1 || rep.Skipped != 1 || len(rep.Findings) != 1 {
		t.Errorf("files %d skipped %d findings %d; want 1, 1, 1", rep.Files, rep.Skipped, len(rep.Findings))
	}

	tests := map[string]struct {
		path    string
		wantErr string
	}{
		"explicit non-template": {path: filepath.Join(dir, "config.json"), wantErr: "neither a CloudFormation/SAM template nor an IAM policy document"},
		"missing file":          {path: filepath.Join(dir, "nope.yaml"), wantErr: "no such file"},
		"malformed":             {path: write("bad/broken.yaml", "Resources:\n  A: [\n"), wantErr: "broken.yaml"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := scanner().ScanPaths([]string{tc.path})
			if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want ErrInput mentioning %q", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), tc.path) {
				t.Errorf("error does not start with the file name: %v", err)
			}
		})
	}
	// A policy file with a statement IAM would reject is a policy: the
	// statement is IAM000 and the others are judged.
	rep, err = scanner().ScanPaths([]string{write("badpol.json", `{"Statement": [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}, {"Effect": "Allow", "Action": "*", "Resource": "*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	var checks []string
	for _, f := range rep.Findings {
		checks = append(checks, f.Check+" "+f.Resource[strings.Index(f.Resource, "#"):])
	}
	sort.Strings(checks)
	if got := strings.Join(checks, ","); got != "IAM000 #/Statement/0,IAM001 #/Statement/1" {
		t.Errorf("bad policy file: findings %s", got)
	}
	// A malformed file inside a walked folder is still an error: a template
	// that cannot be read cannot be vouched for.
	if _, err := scanner().ScanPaths([]string{dir}); err == nil {
		t.Error("folder with a malformed template scanned without error")
	}
}

// TestSAMPolicyTemplates: scoped templates are no finding, broad ones are
// judged by what they grant, unknown ones are noted.
func TestSAMPolicyTemplates(t *testing.T) {
	t.Parallel()
	tmpl := `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - SQSPollerPolicy: {QueueName: !GetAtt Q.QueueName}
        - DynamoDBCrudPolicy: {TableName: !Ref T}
        - S3ReadPolicy: {BucketName: my-bucket}
        - EventBridgePutEventsPolicy: {EventBusName: findings}
        - LambdaInvokePolicy: {FunctionName: !Ref Other}
        - SSMParameterReadPolicy: {ParameterName: app/config}
        - EC2DescribePolicy: {}
        - TextractPolicy: {}
        - MadeUpPolicy: {X: y}
`
	rep, err := scanner().ScanFile("t.yaml", []byte(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Check+" "+f.Evidence["policyTemplate"].(string))
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "IAM002 TextractPolicy" {
		t.Errorf("findings = %v, want only IAM002 for TextractPolicy (textract:* on *)", got)
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "MadeUpPolicy") {
		t.Errorf("notes = %v", rep.Notes)
	}
}

// TestLambdaPermissions covers the permission shapes LMB001 to LMB003 judge
// (docs/architecture.md, "Check registry").
func TestLambdaPermissions(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		props string
		want  string
	}{
		"public":                 {props: "Principal: '*'", want: "LMB001"},
		"public with source ARN": {props: "Principal: '*'\n      SourceArn: arn:aws:sns:us-east-1:123456789012:t", want: ""},
		"public with org":        {props: "Principal: '*'\n      PrincipalOrgID: o-abc123", want: ""},
		"service no source":      {props: "Principal: sns.amazonaws.com", want: "LMB003"},
		"service with account":   {props: "Principal: s3.amazonaws.com\n      SourceAccount: !Ref AWS::AccountId", want: ""},
		"service with source":    {props: "Principal: apigateway.amazonaws.com\n      SourceArn: !Sub arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*", want: ""},
		"same account by ref":    {props: "Principal: !Ref AWS::AccountId", want: ""},
		"URL auth NONE":          {props: "Action: lambda:InvokeFunctionUrl\n      Principal: '*'\n      FunctionUrlAuthType: NONE", want: "LMB001"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tmpl := "Resources:\n  P:\n    Type: AWS::Lambda::Permission\n    Properties:\n      FunctionName: !Ref Fn\n      " + tc.props + "\n"
			if !strings.Contains(tc.props, "Action:") {
				tmpl += "      Action: lambda:InvokeFunction\n"
			}
			rep, err := scanner().ScanFile("p.yaml", []byte(tmpl))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				got = append(got, f.Check)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("findings = %v, want %q", got, tc.want)
			}
		})
	}
}

// TestOfflineAccountFile: the AWS CLI's JSON is accepted by the file
// scanner too.
func TestOfflineAccountFile(t *testing.T) {
	t.Parallel()
	rep, err := scanner().ScanPaths([]string{detailsJSON})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) == 0 || !findings.AtOrAbove(rep.Findings, findings.High) {
		t.Errorf("findings = %d", len(rep.Findings))
	}
}
