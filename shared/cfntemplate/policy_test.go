package cfntemplate

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// render describes a Policy compactly: each statement variant as
// "pointer@line [when] {json}", each problem as "! pointer@line: reason".
func render(p *Policy) string {
	var out []string
	for _, st := range p.Statements {
		v, _ := json.Marshal(st.Value)
		w := Choices(append(append([]Choice(nil), st.Branch...), st.When...))
		out = append(out, fmt.Sprintf("%s@%d [%s] %d %s", st.Pointer, st.Line, w, st.Variants, v))
	}
	for _, pr := range p.Problems {
		out = append(out, fmt.Sprintf("! %s@%d [%s]: %s", pr.Pointer, pr.Line, Choices(pr.Branch), pr.Reason))
	}
	return strings.Join(out, "\n")
}

// TestPolicyForms pins how each form of policy document becomes plain
// statements: what is substituted, what is dropped, which variants exist.
func TestPolicyForms(t *testing.T) {
	t.Parallel()
	const head = "Parameters:\n  Any: {Type: String, Default: '*'}\n  Acct: {Type: String}\nResources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: "
	tests := map[string]struct {
		doc  string
		want []string
	}{
		"JSON string": {doc: `'{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'`, want: []string{
			`/Statement@8 [] 1 {"Action":"s3:*","Effect":"Allow","Resource":"*"}`}},
		"Sub inside and outside strings": {doc: `!Sub '{"Statement": [{"Effect": "Allow", "Action": ${Acts}, "Resource": "arn:${AWS::Partition}:s3:::${Bucket}/${!Key}"}]}'`, want: []string{
			`/Statement/0@8 [] 1 {"Action":"${Acts}","Effect":"Allow","Resource":"arn:aws:s3:::${Bucket}/${Key}"}`}},
		"Sub with variables": {doc: "\n        Fn::Sub:\n          - '{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": ${A}, \"Resource\": \"${R}\", \"Sid\": \"${Q}\"}]}'\n          - {A: '[\"s3:GetObject\", \"s3:PutObject\"]', R: !Ref Thing, Q: 'say \"hi\"'}", want: []string{
			`/Statement/0@10 [] 1 {"Action":["s3:GetObject","s3:PutObject"],"Effect":"Allow","Resource":"${Thing}","Sid":"say \"hi\""}`}},
		"Join": {doc: `{"Fn::Join": ["", ['{"Statement": [{"Effect": "Allow", "Action": "', {Ref: Act}, '", "Resource": "*"}]}']]}`, want: []string{
			`/Statement/0@8 [] 1 {"Action":"${Act}","Effect":"Allow","Resource":"*"}`}},
		"NoValue dropped": {doc: `{Statement: [{Effect: Allow, Sid: !Ref AWS::NoValue, Action: [a:b, !Ref AWS::NoValue], Resource: "*"}, !Ref AWS::NoValue]}`, want: []string{
			`/Statement/0@8 [] 1 {"Action":["a:b"],"Effect":"Allow","Resource":"*"}`}},
		"value If, one condition twice": {doc: `{Statement: {Effect: Allow, Action: !If [C, "*", a:b], Resource: !If [C, "*", "arn:x"]}}`, want: []string{
			`/Statement@8 [not C] 2 {"Action":"a:b","Effect":"Allow","Resource":"arn:x"}`,
			`/Statement@8 [C] 2 {"Action":"*","Effect":"Allow","Resource":"*"}`}},
		"nested If, variants only for consulted conditions": {doc: `{Statement: {Effect: Allow, Action: !If [C, !If [D, "*", a:b], a:c], Resource: "*"}}`, want: []string{
			`/Statement@8 [not C] 3 {"Action":"a:c","Effect":"Allow","Resource":"*"}`,
			`/Statement@8 [C and not D] 3 {"Action":"a:b","Effect":"Allow","Resource":"*"}`,
			`/Statement@8 [C and D] 3 {"Action":"*","Effect":"Allow","Resource":"*"}`}},
		"Statement behind If, missing in one branch": {doc: `{Statement: !If [C, [{Effect: Allow, Action: a:b, Resource: "*"}], !Ref AWS::NoValue]}`, want: []string{
			`/Statement/Fn::If/1/0@8 [C] 1 {"Action":"a:b","Effect":"Allow","Resource":"*"}`}},
		"principal from a parameter default": {doc: `{Statement: [{Effect: Allow, Principal: !Ref Any, Action: a:b}, {Effect: Allow, Principal: !Ref Acct, Action: a:b}]}`, want: []string{
			`/Statement/0@8 [] 1 {"Action":"a:b","Effect":"Allow","Principal":"*"}`,
			`/Statement/1@8 [] 1 {"Action":"a:b","Effect":"Allow","Principal":{"Ref":"Acct"}}`}},
		"no Statement":       {doc: `{Effect: Allow, Action: "*"}`, want: []string{`! @8 []: no Statement element (the document is written like a single statement: put it under Statement)`}},
		"not JSON":           {doc: `'{"Statement": ['`, want: []string{`! @8 []: the policy document string is not JSON: line 1: did not find expected node content`}},
		"a JSON list":        {doc: `'[1]'`, want: []string{`! @8 []: the policy document string is not a JSON object`}},
		"deploy time":        {doc: `!GetAtt X.Doc`, want: []string{`! @8 []: the policy document is given by Fn::GetAtt and only known at deploy time`}},
		"statement a string": {doc: `{Statement: [oops]}`, want: []string{`! /Statement/0@8 []: a statement must be an object, got a string`}},
		"too many conditions": {doc: `{Statement: {Effect: Allow, Action: [!If [A, a, b], !If [B, a, b], !If [C, a, b], !If [D, a, b], !If [E, a, b], !If [F, a, b], !If [G, a, b]], Resource: "*"}}`, want: []string{
			`! /Statement@8 []: combines 7 Fn::If conditions (A, B, C, D, E, F, G); at most 6 are judged`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, err := Load("t.yaml", []byte(head+tc.doc+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			srcs := f.Sources()
			if len(srcs) != 1 || srcs[0].Policy == nil {
				t.Fatalf("sources %+v", srcs)
			}
			if got, want := render(srcs[0].Policy), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestPolicyBlockLines: statements of a JSON document in a literal block
// keep their own lines, in a string and in a Fn::Sub.
func TestPolicyBlockLines(t *testing.T) {
	t.Parallel()
	f := load(t, "forms-sub.yaml")
	for _, s := range f.Sources() {
		if s.LogicalID != "SubString" {
			continue
		}
		var lines []int
		for _, st := range s.Policy.Statements {
			lines = append(lines, st.Line)
		}
		if fmt.Sprint(lines) != "[16 17 18]" {
			t.Errorf("lines %v, want [16 17 18]", lines)
		}
		return
	}
	t.Fatal("SubString not found")
}

// TestPermissionVariants: a Lambda permission with Fn::If in its
// properties is one Source per branch, each saying which.
func TestPermissionVariants(t *testing.T) {
	t.Parallel()
	f, err := Load("t.yaml", []byte("Resources:\n  P:\n    Type: AWS::Lambda::Permission\n    Properties:\n      Principal: !If [C, '111122223333', !Ref AWS::AccountId]\n      SourceAccount: !Ref AWS::NoValue\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range f.Sources() {
		got = append(got, fmt.Sprintf("%s %d %v", Choices(s.When), s.Variants, s.Permission))
	}
	want := "not C 2 map[Principal:map[Ref:AWS::AccountId]]\nC 2 map[Principal:111122223333]"
	if strings.Join(got, "\n") != want {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}
