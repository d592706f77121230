package cfntemplate

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func load(t *testing.T, name string) *File {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Load("testdata/"+name, data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// describe renders a Source compactly for comparison.
func describe(s Source) string {
	d := fmt.Sprintf("%s %s@%d", s.Kind, s.Pointer, s.Line)
	switch s.Kind {
	case ManagedPolicy:
		d += " ref=" + s.Ref
	case SAMPolicyTemplate:
		d += fmt.Sprintf(" template=%s params=%v", s.Template, s.Params)
	case LambdaPermission:
		d += fmt.Sprintf(" principal=%v", s.Permission["Principal"])
	}
	return d
}

func TestSources(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		file string
		want []string
	}{
		"SAM short form": {file: "sam-shortform.yaml", want: []string{
			"SAM policy template /Resources/Api/Properties/Policies/0/SQSPollerPolicy@22 template=SQSPollerPolicy params=map[QueueName:map[Fn::GetAtt:[Queue QueueName]]]",
			"managed policy /Resources/Api/Properties/Policies/1@24 ref=AWSLambdaBasicExecutionRole",
			"managed policy /Resources/Api/Properties/Policies/2@25 ref=arn:aws:iam::aws:policy/AdministratorAccess",
			"policy /Resources/Api/Properties/Policies/3@26",
			"policy /Resources/Api/Properties/Policies/4/Fn::If/2@36",
			"Lambda permission /Resources/Api/Properties/FunctionUrlConfig@41 principal=*",
			"trust policy /Resources/FnRole/Properties/AssumeRolePolicyDocument@54",
			"policy /Resources/FnRole/Properties/Policies/0/PolicyDocument@66",
			"managed policy /Resources/FnRole/Properties/ManagedPolicyArns/0@61 ref=arn:aws:iam::aws:policy/ReadOnlyAccess",
			"managed policy /Resources/FnRole/Properties/ManagedPolicyArns/1@62 ref=",
			"policy /Resources/CustomPolicy/Properties/PolicyDocument@75",
			"Lambda permission /Resources/Perm/Properties@82 principal=s3.amazonaws.com",
			"Lambda permission /Resources/ScopedPerm/Properties@88 principal=events.amazonaws.com",
		}},
		"JSON": {file: "iam-json.json", want: []string{
			"policy /Resources/Admins/Properties/Policies/0/PolicyDocument@7",
			"trust policy /Resources/Open/Properties/AssumeRolePolicyDocument@13",
			"Lambda permission /Resources/Public/Properties@18 principal=*",
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := load(t, tc.file)
			if !f.IsTemplate() {
				t.Fatal("not recognised as a template")
			}
			var got []string
			for _, s := range f.Sources() {
				got = append(got, describe(s))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("sources:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestShortFormBecomesLongForm: the documents handed to the checks carry
// long-form intrinsics whatever the author typed.
func TestShortFormBecomesLongForm(t *testing.T) {
	t.Parallel()
	f := load(t, "sam-shortform.yaml")
	for _, s := range f.Sources() {
		if s.Pointer != "/Resources/Api/Properties/Policies/3" {
			continue
		}
		got := fmt.Sprint(s.Policy.Statements[0].Value)
		if !strings.Contains(got, "Fn::Sub:arn:aws:s3:::${Stage}-bucket/*") {
			t.Errorf("statement = %s", got)
		}
		return
	}
	t.Fatal("inline SAM statement not found")
}

func TestLine(t *testing.T) {
	t.Parallel()
	f := load(t, "sam-shortform.yaml")
	tests := map[string]int{
		"/Resources/Api/Properties/Policies/3/Statement/1":                         30,
		"/Resources/FnRole/Properties/Policies/0/PolicyDocument/Statement/0":       68,
		"/Resources/Api/Properties/Policies/4/Fn::If/2/Statement":                  37,
		"/Resources/Api/Properties/Policies/99":                                    22,
		"/Resources/CustomPolicy/Properties/PolicyDocument/Statement":              76,
		"/Resources/Api/Properties/Policies/0/SQSPollerPolicy/QueueName":           23,
		"/Resources/Api/Properties/Policies/3/Statement/0/Resource":                29,
		"/Resources/FnRole/Properties/ManagedPolicyArns/0":                         61,
		"/Resources/Api/Properties/Policies/4/Fn::If/2/Statement/NotAction":        38,
		"/Resources/Api/Properties/Policies/3/Statement/1/Action":                  31,
		"/Resources/FnRole/Properties/AssumeRolePolicyDocument/Statement/0":        56,
		"/Resources/FnRole/Properties/AssumeRolePolicyDocument/Statement/0/Action": 59,
	}
	for ptr, want := range tests {
		if got := f.Line(ptr); got != want {
			t.Errorf("Line(%s) = %d, want %d", ptr, got, want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		data    string
		wantErr string // empty: no error
		tmpl    bool
	}{
		"malformed YAML":     {data: mustRead(t, "malformed.yaml"), wantErr: "line"},
		"resource no Type":   {data: mustRead(t, "no-type.yaml"), wantErr: `resource "Thing" has no Type`},
		"Resources a list":   {data: "Resources: [a, b]", wantErr: "Resources must be a mapping"},
		"resource a scalar":  {data: "Resources:\n  A: 1\n", wantErr: `resource "A" must be a mapping`},
		"not a template":     {data: mustRead(t, "not-a-template.yaml")},
		"empty":              {data: ""},
		"JSON array":         {data: "[1, 2]"},
		"bad GetAtt":         {data: "Resources:\n  A:\n    Type: X\n    Properties:\n      P: !GetAtt nodot\n", wantErr: "GetAtt"},
		"explicit bad float": {data: "Resources:\n  A:\n    Type: X\n    Properties:\n      P: !!float ''\n", wantErr: "malformed"},
		"tabs in JSON":       {data: "{\n\t\"Resources\": {\n\t\t\"A\": {\"Type\": \"X\"}\n\t}\n}", tmpl: true},
		"alias":              {data: "Resources:\n  A: &a\n    Type: AWS::IAM::Policy\n  B: *a\n", tmpl: true},
		"alias bomb":         {data: aliasBomb(40), wantErr: "aliases expand the document beyond"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, err := Load("in/"+name+".yaml", []byte(tc.data))
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("no error")
				}
				if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "in/"+name+".yaml: ") {
					t.Errorf("err = %v, want ErrSyntax naming the file and %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error spans lines: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.IsTemplate() != tc.tmpl {
				t.Errorf("IsTemplate = %v, want %v", f.IsTemplate(), tc.tmpl)
			}
		})
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPointerEscaping(t *testing.T) {
	t.Parallel()
	if got := Pointer("", "a/b", "c~d"); got != "/a~1b/c~0d" {
		t.Errorf("Pointer = %q", got)
	}
	if got := splitPointer("/a~1b/c~0d"); len(got) != 2 || got[0] != "a/b" || got[1] != "c~d" {
		t.Errorf("splitPointer = %q", got)
	}
}

func ExampleFile_Sources() {
	tmpl := `Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - SQSPollerPolicy: {QueueName: !Ref Queue}
        - Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]
`
	f, err := Load("template.yaml", []byte(tmpl))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range f.Sources() {
		fmt.Println(s.Kind, s.Pointer, "line", s.Line)
	}
	// Output:
	// SAM policy template /Resources/Fn/Properties/Policies/0/SQSPollerPolicy line 6
	// policy /Resources/Fn/Properties/Policies/1 line 7
}

// aliasBomb is a template whose aliases double the tree at each of n
// levels, ending in a policy statement list.
func aliasBomb(n int) string {
	var b strings.Builder
	b.WriteString("Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      X:\n")
	b.WriteString("        a0: &a0 {Fn::If: [C, {Effect: Allow, Action: '*', Resource: '*'}, {Ref: AWS::NoValue}]}\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "        a%d: &a%d {Fn::If: [C%d, *a%d, *a%d]}\n", i, i, i, i-1, i-1)
	}
	fmt.Fprintf(&b, "      PolicyDocument:\n        Statement: [{Effect: Allow, Action: *a%d, Resource: '*'}]\n", n-1)
	return b.String()
}
