package cfntemplate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, every
// error must name the file on one line, and a loaded template's sources
// and lines must be computable.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Resources:\n  A:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies: !If [C, [{PolicyDocument: {Statement: []}}], !Ref AWS::NoValue]\n"))
	f.Add([]byte("Resources: {A: {Type: AWS::Lambda::Permission, Properties: {Principal: !Sub '${AWS::AccountId}'}}}"))
	f.Add([]byte("a: &x [*x]"))
	// The forms a policy document may take (policy.go).
	f.Add([]byte(`Resources: {P: {Type: AWS::IAM::Policy, Properties: {PolicyDocument: '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'}}}`))
	f.Add([]byte("Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: !Sub |\n        {\"Statement\": {\"Effect\": \"Allow\", \"Action\": ${A}, \"Resource\": \"arn:${AWS::Partition}:s3:::${B}\"}}\n"))
	f.Add([]byte(`Resources: {P: {Type: AWS::IAM::ManagedPolicy, Properties: {PolicyDocument: {"Fn::Sub": ['{"Statement": [{"Effect": "${E}", "Action": "${A}", "Resource": "*"}]}', {E: Allow, A: "*"}]}}}}`))
	f.Add([]byte(`Resources: {R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {"Fn::Join": ["", ['{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "', {Ref: X}, '"}, "Action": "sts:AssumeRole"}]}']]}}}}`))
	f.Add([]byte("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement: !If [C, [{Effect: Allow, Principal: !If [D, !Ref P, {Service: s}], NotPrincipal: !Ref AWS::NoValue, Action: [a, !Ref AWS::NoValue]}], !Ref AWS::NoValue]\n"))
	f.Add([]byte(`Resources: {P: {Type: AWS::Lambda::Permission, Properties: {Principal: {"Fn::If": [C, "210987654321", {Ref: "AWS::AccountId"}]}, FunctionName: f}}}`))
	f.Add([]byte(`{"Statement": {"Fn::If": [C, {"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Ref": "AWS::NoValue"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz/template.yaml"
		file, err := Load(name, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), name+": ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error not one line naming the file: %q", err)
			}
			return
		}
		_ = file.Value()
		check := func(p *Policy) {
			if p == nil {
				return
			}
			for _, st := range p.Statements {
				if st.Value == nil || st.Variants < 1 || !strings.HasPrefix(st.Pointer, "/Statement") {
					t.Fatalf("statement %+v", st)
				}
			}
			for _, pr := range p.Problems {
				if pr.Reason == "" {
					t.Fatalf("problem without a reason: %+v", pr)
				}
			}
		}
		if !file.IsTemplate() {
			check(file.Policy())
		}
		for _, s := range file.Sources() {
			_ = file.Line(s.Pointer + "/Statement/0")
			_ = file.Line(s.Pointer)
			check(s.Policy)
			if s.Variants < 1 {
				t.Fatalf("source %s has %d variants", s.Pointer, s.Variants)
			}
		}
	})
}
