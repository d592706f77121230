package iampolicy

import (
	"slices"
	"strings"
	"testing"
)

// issueCodes evaluates a JSON policy and returns "CHECK:SEVERITY" per issue.
func issueCodes(t *testing.T, kind Kind, policy string, opts Options) []string {
	t.Helper()
	doc, err := Parse([]byte(policy))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var out []string
	for _, is := range Evaluate(doc, kind, opts) {
		out = append(out, is.Check+":"+is.Severity.String())
	}
	return out
}

func stmt(body string) string {
	return `{"Version":"2012-10-17","Statement":[` + body + `]}`
}

func TestEvaluateIdentity(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		policy string
		want   []string
	}{
		"admin":                         {stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`), []string{"IAM001:CRITICAL"}},
		"admin as *:*":                  {stmt(`{"Effect":"Allow","Action":["*:*"],"Resource":["*"]}`), []string{"IAM001:CRITICAL"}},
		"admin as all-wildcard ARN":     {stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:*:*:*:*"}`), []string{"IAM001:CRITICAL"}},
		"admin lowered by SourceIp":     {stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`), []string{"IAM001:HIGH"}},
		"admin not lowered by TLS":      {stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`), []string{"IAM001:CRITICAL"}},
		"admin not lowered by IfExists": {stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:SourceAccount":"111122223333"}}}`), []string{"IAM001:CRITICAL"}},
		"admin not lowered by negation": {stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc"}}}`), []string{"IAM001:CRITICAL"}},
		"admin not lowered by * value":  {stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:SourceArn":"*"}}}`), []string{"IAM001:CRITICAL"}},
		"deny admin":                    {stmt(`{"Effect":"Deny","Action":"*","Resource":"*"}`), nil},
		"deny NotAction":                {stmt(`{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}`), nil},
		"star on scoped resource":       {stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::my-bucket/*"}`), []string{"IAM002:MEDIUM"}},
		"statement object, string action, lower case": {
			`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, []string{"IAM002:HIGH"}},
		"whole service on scoped":            {stmt(`{"Effect":"Allow","Action":["dynamodb:*"],"Resource":"arn:aws:dynamodb:eu-west-1:111122223333:table/Orders"}`), []string{"IAM002:MEDIUM"}},
		"whole service on every bucket":      {stmt(`{"Effect":"Allow","Action":"S3:*","Resource":"arn:aws:s3:::*"}`), []string{"IAM002:HIGH"}},
		"unknown service wildcard":           {stmt(`{"Effect":"Allow","Action":"notaservice:*","Resource":"*"}`), []string{"IAM002:HIGH"}},
		"two services":                       {stmt(`{"Effect":"Allow","Action":["sqs:*","sns:*"],"Resource":"*"}`), []string{"IAM002:HIGH", "IAM002:HIGH"}},
		"iam:* is IAM002 only":               {stmt(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`), []string{"IAM002:HIGH"}},
		"service wildcard covers its action": {stmt(`{"Effect":"Allow","Action":["s3:*","s3:PutObject"],"Resource":"*"}`), []string{"IAM002:HIGH"}},
		"NotAction allow":                    {stmt(`{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}`), []string{"IAM003:HIGH"}},
		"NotAction allow with org condition": {stmt(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}`), []string{"IAM003:MEDIUM"}},
		"PassRole on *":                      {stmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}`), []string{"IAM004:HIGH"}},
		"PassRole upper case":                {stmt(`{"Effect":"Allow","Action":"IAM:PASSROLE","Resource":"*"}`), []string{"IAM004:HIGH"}},
		"PassRole via iam:Pass*":             {stmt(`{"Effect":"Allow","Action":"iam:Pass*","Resource":"*"}`), []string{"IAM004:HIGH"}},
		"PassRole on every role ARN":         {stmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/*"}`), []string{"IAM004:HIGH"}},
		"PassRole on one role":               {stmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/app"}`), nil},
		"PassRole limited to a service":      {stmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}`), []string{"IAM004:MEDIUM"}},
		"Put*Policy":                         {stmt(`{"Effect":"Allow","Action":"iam:Put*Policy","Resource":"*"}`), []string{"IAM005:HIGH"}},
		"Attach*Policy and CreateAccessKey":  {stmt(`{"Effect":"Allow","Action":["iam:Attach*Policy","iam:CreateAccessKey"],"Resource":"*"}`), []string{"IAM005:HIGH"}},
		"AssumeRole on *":                    {stmt(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`), []string{"IAM005:HIGH"}},
		"UpdateFunctionCode on *":            {stmt(`{"Effect":"Allow","Action":"lambda:updatefunctioncode","Resource":"*"}`), []string{"IAM005:HIGH"}},
		"SetDefaultPolicyVersion on *":       {stmt(`{"Effect":"Allow","Action":"iam:SetDefaultPolicyVersion","Resource":"*"}`), []string{"IAM005:HIGH"}},
		"permissions management level":       {stmt(`{"Effect":"Allow","Action":"s3:PutBucketPolicy","Resource":"*"}`), []string{"IAM005:HIGH"}},
		"escalation on one role":             {stmt(`{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"arn:aws:iam::111122223333:role/app"}`), nil},
		"CreateFunction with PassRole": {stmt(`{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}`),
			[]string{"IAM004:HIGH", "IAM005:HIGH"}},
		"CreateFunction with PassRole in another statement": {stmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"},{"Effect":"Allow","Action":["lambda:CreateFunction","lambda:CreateEventSourceMapping"],"Resource":"*"}`),
			[]string{"IAM004:HIGH", "IAM005:HIGH"}},
		"CreateFunction with conditioned PassRole": {stmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"dax.amazonaws.com"}}},{"Effect":"Allow","Action":["lambda:CreateFunction","lambda:CreateEventSourceMapping"],"Resource":"*"}`),
			[]string{"IAM004:MEDIUM", "IAM006:MEDIUM"}},
		"CreateFunction alone":            {stmt(`{"Effect":"Allow","Action":"lambda:CreateFunction","Resource":"*"}`), []string{"IAM006:MEDIUM"}},
		"read-only on *":                  {stmt(`{"Effect":"Allow","Action":["s3:GetObject","ec2:Describe*","s3:List*","logs:DescribeLogGroups"],"Resource":"*"}`), nil},
		"read-named permissions actions":  {stmt(`{"Effect":"Allow","Action":["glue:GetStage","fsx:GetResourcePolicy"],"Resource":"*"}`), nil},
		"no resource-level permissions":   {stmt(`{"Effect":"Allow","Action":["xray:PutTraceSegments","xray:PutTelemetryRecords"],"Resource":"*"}`), nil},
		"write on *":                      {stmt(`{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}`), []string{"IAM006:MEDIUM"}},
		"write on every bucket":           {stmt(`{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::*/*"}`), []string{"IAM006:MEDIUM"}},
		"write on one bucket":             {stmt(`{"Effect":"Allow","Action":"s3:Put*","Resource":"arn:aws:s3:::my-bucket/*"}`), nil},
		"write on another service's ARN":  {stmt(`{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:sqs:*:*:*"}`), nil},
		"log writes on *":                 {stmt(`{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}`), []string{"IAM006:MEDIUM"}},
		"write lowered by resource tag":   {stmt(`{"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Team":"a"}}}`), []string{"IAM006:LOW"}},
		"unknown literal action":          {stmt(`{"Effect":"Allow","Action":"foo:Bar","Resource":"*"}`), nil},
		"NotResource with reads":          {stmt(`{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}`), []string{"IAM007:MEDIUM"}},
		"NotResource with writes":         {stmt(`{"Effect":"Allow","Action":"s3:PutObject","NotResource":"arn:aws:s3:::secret/*"}`), []string{"IAM006:MEDIUM", "IAM007:MEDIUM"}},
		"admin with NotResource":          {stmt(`{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::secret"}`), []string{"IAM001:CRITICAL", "IAM007:MEDIUM"}},
		"NotAction and NotResource":       {stmt(`{"Effect":"Allow","NotAction":"s3:*","NotResource":"arn:aws:s3:::x"}`), []string{"IAM003:HIGH", "IAM007:MEDIUM"}},
		"deny NotResource":                {stmt(`{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::x"}`), nil},
		"statements keep order":           {stmt(`{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}`), []string{"IAM006:MEDIUM", "IAM001:CRITICAL"}},
		"principal ignored in identity":   {stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), nil},
		"trust policy judged as identity": {stmt(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`), nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := issueCodes(t, Identity, tc.policy, Options{})
			if !slices.Equal(got, tc.want) {
				t.Errorf("issues = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvaluateTrust(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		policy string
		want   []string
	}{
		"star":               {stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`), []string{"IAM008:CRITICAL"}},
		"AWS star":           {stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`), []string{"IAM008:CRITICAL"}},
		"star in AWS list":   {stmt(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","*"]},"Action":"sts:AssumeRole"}`), []string{"IAM008:CRITICAL"}},
		"object statement":   {`{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}`, []string{"IAM008:CRITICAL"}},
		"NotPrincipal allow": {stmt(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}`), []string{"IAM008:CRITICAL"}},
		"org bound":          {stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`), nil},
		"account bound":      {stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}`), nil},
		"external id lowers": {stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}}`), []string{"IAM008:HIGH"}},
		"negated org":        {stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`), []string{"IAM008:CRITICAL"}},
		"IfExists org":       {stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc123"}}}`), []string{"IAM008:CRITICAL"}},
		"MFA only":           {stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`), []string{"IAM008:CRITICAL"}},
		"service principal":  {stmt(`{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}`), nil},
		"account principal":  {stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}`), nil},
		"deny star":          {stmt(`{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}`), nil},
		"every STS action":   {stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"*"}`), []string{"IAM002:MEDIUM"}},
		"sts star":           {stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","STS:*"]}`), []string{"IAM002:MEDIUM"}},
		"NotAction trust":    {stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"NotAction":"sts:AssumeRole"}`), []string{"IAM003:HIGH"}},
		"open and NotAction": {stmt(`{"Effect":"Allow","Principal":"*","NotAction":"sts:TagSession"}`), []string{"IAM003:HIGH", "IAM008:CRITICAL"}},
		"deny NotAction":     {stmt(`{"Effect":"Deny","Principal":"*","NotAction":"sts:AssumeRole"}`), nil},
		"resource words off": {stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}`), nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := issueCodes(t, Trust, tc.policy, Options{})
			if !slices.Equal(got, tc.want) {
				t.Errorf("issues = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvaluateLambdaResource(t *testing.T) {
	t.Parallel()
	const own = "111122223333"
	perm := func(principal, cond string) string {
		s := `{"Sid":"p","Effect":"Allow","Principal":` + principal + `,"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:eu-west-1:111122223333:function:f"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return stmt(s + "}")
	}
	tests := map[string]struct {
		policy  string
		account string
		want    []string
	}{
		"public":                       {perm(`"*"`, ""), own, []string{"LMB001:CRITICAL"}},
		"public AWS star":              {perm(`{"AWS":"*"}`, ""), own, []string{"LMB001:CRITICAL"}},
		"public with SourceArn":        {perm(`"*"`, `{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::b"}}`), own, nil},
		"public with SourceAccount":    {perm(`"*"`, `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`), own, nil},
		"public with org":              {perm(`"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}`), own, nil},
		"public with SourceIp":         {perm(`"*"`, `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`), own, []string{"LMB001:HIGH"}},
		"public URL":                   {perm(`"*"`, `{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}`), own, []string{"LMB001:CRITICAL"}},
		"public deny":                  {stmt(`{"Effect":"Deny","Principal":"*","Action":"lambda:InvokeFunction","Resource":"*"}`), own, nil},
		"other account root":           {perm(`{"AWS":"arn:aws:iam::444455556666:root"}`, ""), own, []string{"LMB002:MEDIUM"}},
		"other account bare id":        {perm(`{"AWS":"444455556666"}`, ""), own, []string{"LMB002:MEDIUM"}},
		"two other accounts":           {perm(`{"AWS":["444455556666","arn:aws:iam::777788889999:role/x"]}`, ""), own, []string{"LMB002:MEDIUM", "LMB002:MEDIUM"}},
		"own account":                  {perm(`{"AWS":"arn:aws:iam::111122223333:root"}`, ""), own, nil},
		"other account, owner unknown": {perm(`{"AWS":"444455556666"}`, ""), "", nil},
		"account placeholder":          {perm(`{"AWS":"arn:aws:iam::${AWS::AccountId}:root"}`, ""), own, nil},
		"service without source":       {perm(`{"Service":"s3.amazonaws.com"}`, ""), own, []string{"LMB003:MEDIUM"}},
		"service with SourceArn":       {perm(`{"Service":"events.amazonaws.com"}`, `{"ArnLike":{"AWS:SourceArn":"arn:aws:events:eu-west-1:111122223333:rule/r"}}`), own, nil},
		"service with SourceAccount":   {perm(`{"Service":"sns.amazonaws.com"}`, `{"StringEquals":{"AWS:SourceAccount":"111122223333"}}`), own, nil},
		"service with IfExists":        {perm(`{"Service":"s3.amazonaws.com"}`, `{"ArnLikeIfExists":{"AWS:SourceArn":"arn:aws:s3:::b"}}`), own, []string{"LMB003:MEDIUM"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := issueCodes(t, LambdaResource, tc.policy, Options{AccountID: tc.account})
			if !slices.Equal(got, tc.want) {
				t.Errorf("issues = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestIssueFields checks what scanners rely on: the catalog's text, the
// statement pointer, a stable key and the statement in the evidence.
func TestIssueFields(t *testing.T) {
	t.Parallel()
	doc, err := Parse([]byte(stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"Two","Effect":"Allow","Action":["s3:*","sqs:*"],"Resource":"*"}`)))
	if err != nil {
		t.Fatal(err)
	}
	a := Evaluate(doc, Identity, Options{})
	b := Evaluate(doc, Identity, Options{})
	if len(a) != 2 {
		t.Fatalf("got %d issues, want 2", len(a))
	}
	keys := map[string]bool{}
	for i, is := range a {
		if is.Pointer != "/Statement/1" {
			t.Errorf("issue %d pointer = %q", i, is.Pointer)
		}
		if is.Title == "" || is.Remediation == "" {
			t.Errorf("issue %d: empty title or remediation", i)
		}
		if is.Key == "" || keys[is.Key] {
			t.Errorf("issue %d: key %q empty or repeated", i, is.Key)
		}
		keys[is.Key] = true
		if is.Key != b[i].Key {
			t.Errorf("issue %d: key not deterministic: %q vs %q", i, is.Key, b[i].Key)
		}
		st, ok := is.Evidence["statement"].(map[string]any)
		if !ok || st["Sid"] != "Two" {
			t.Errorf("issue %d: evidence statement = %v", i, is.Evidence["statement"])
		}
		if !strings.HasPrefix(is.Key, is.Pointer) {
			t.Errorf("issue %d: key %q does not start with the pointer", i, is.Key)
		}
	}
	if a[0].Evidence["service"] != "s3" || a[1].Evidence["service"] != "sqs" {
		t.Errorf("services = %v, %v", a[0].Evidence["service"], a[1].Evidence["service"])
	}
}

func TestEvaluateEvidenceFigures(t *testing.T) {
	t.Parallel()
	doc, err := Parse([]byte(stmt(`{"Effect":"Allow","Action":["iam:Put*Policy","iam:PassRole"],"Resource":"*"}`)))
	if err != nil {
		t.Fatal(err)
	}
	issues := Evaluate(doc, Identity, Options{})
	if len(issues) != 2 || issues[0].Check != "IAM004" || issues[1].Check != "IAM005" {
		t.Fatalf("issues = %+v", issues)
	}
	acts, _ := issues[1].Evidence["actions"].([]string)
	for _, want := range []string{"iam:PutRolePolicy", "iam:PutUserPolicy", "iam:PutGroupPolicy"} {
		if !slices.Contains(acts, want) {
			t.Errorf("IAM005 actions %v lack %s", acts, want)
		}
	}
	if n, _ := issues[1].Evidence["expandsTo"].(int); n != len(acts) {
		t.Errorf("expandsTo = %v, want %d", issues[1].Evidence["expandsTo"], len(acts))
	}
	if m, _ := issues[0].Evidence["matchedBy"].([]string); !slices.Equal(m, []string{"iam:PassRole"}) {
		t.Errorf("IAM004 matchedBy = %v", m)
	}
}

func TestEvaluateNil(t *testing.T) {
	t.Parallel()
	if got := Evaluate(nil, Identity, Options{}); got != nil {
		t.Errorf("Evaluate(nil) = %v", got)
	}
	if got := Evaluate(&Document{}, Kind(99), Options{}); got != nil {
		t.Errorf("unknown kind = %v", got)
	}
}

func TestChecksCatalog(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range Checks() {
		if seen[c.ID] {
			t.Errorf("duplicate check %s", c.ID)
		}
		seen[c.ID] = true
		if c.Title == "" || c.Remediation == "" || c.Severity == 0 {
			t.Errorf("check %s incomplete: %+v", c.ID, c)
		}
	}
	for _, id := range []string{"IAM001", "IAM002", "IAM003", "IAM004", "IAM005", "IAM006", "IAM007", "IAM008", "LMB001", "LMB002", "LMB003"} {
		if !seen[id] {
			t.Errorf("catalog lacks %s", id)
		}
	}
	c := Checks()
	c[0].ID = "changed"
	if Checks()[0].ID == "changed" {
		t.Error("Checks returns the package's own slice")
	}
}
