package iampolicy

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseShapes(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		policy string
		check  func(t *testing.T, d *Document)
	}{
		"statement object": {`{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"a","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
			func(t *testing.T, d *Document) {
				s := d.Statements[0]
				if len(d.Statements) != 1 || s.Index != 0 || s.Pointer != "/Statement" || d.Version != "2012-10-17" || d.ID != "x" || s.Sid != "a" {
					t.Errorf("got %+v", d)
				}
				if !reflect.DeepEqual(s.Action, []string{"s3:GetObject"}) || !reflect.DeepEqual(s.Resource, []string{"*"}) {
					t.Errorf("action %v resource %v", s.Action, s.Resource)
				}
				if s.NotAction != nil || s.NotResource != nil || s.Principal != nil || s.Condition != nil {
					t.Errorf("absent elements not nil: %+v", s)
				}
			}},
		"statement list": {stmt(`{"Effect":"Deny","Action":["a:b"],"Resource":"*"},{"Effect":"Allow","NotAction":["a:b","c:d"],"NotResource":"x"}`),
			func(t *testing.T, d *Document) {
				if len(d.Statements) != 2 || d.Statements[1].Pointer != "/Statement/1" || d.Statements[1].Index != 1 {
					t.Fatalf("got %+v", d.Statements)
				}
				if s := d.Statements[1]; len(s.NotAction) != 2 || s.NotResource[0] != "x" || s.Action != nil {
					t.Errorf("got %+v", s)
				}
			}},
		"empty statement list": {`{"Statement":[]}`, func(t *testing.T, d *Document) {
			if len(d.Statements) != 0 {
				t.Errorf("got %+v", d.Statements)
			}
		}},
		"principal star": {stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`), func(t *testing.T, d *Document) {
			if p := d.Statements[0].Principal; p == nil || !p.Wildcard {
				t.Errorf("principal %+v", p)
			}
		}},
		"principal map": {stmt(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root"],"Service":"lambda.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"abc"},"Action":"sts:AssumeRole"}`),
			func(t *testing.T, d *Document) {
				p := d.Statements[0].Principal
				want := map[string][]string{"AWS": {"arn:aws:iam::111122223333:root"}, "Service": {"lambda.amazonaws.com"}, "Federated": {"cognito-identity.amazonaws.com"}, "CanonicalUser": {"abc"}}
				if p.Wildcard || !reflect.DeepEqual(p.Values, want) {
					t.Errorf("principal %+v", p)
				}
			}},
		"principal AWS star": {stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`), func(t *testing.T, d *Document) {
			if p := d.Statements[0].Principal; !p.Wildcard || p.Values["AWS"][0] != "*" {
				t.Errorf("principal %+v", p)
			}
		}},
		"not principal": {stmt(`{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}`), func(t *testing.T, d *Document) {
			if s := d.Statements[0]; s.Principal != nil || s.NotPrincipal == nil || s.NotPrincipal.Values["AWS"][0] != "111122223333" {
				t.Errorf("got %+v", s)
			}
		}},
		"condition scalars": {stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":10.5},"StringEquals":{"aws:SourceAccount":["1","2"]}}}`),
			func(t *testing.T, d *Document) {
				want := map[string]map[string][]string{
					"Bool":            {"aws:SecureTransport": {"true"}},
					"NumericLessThan": {"s3:max-keys": {"10.5"}},
					"StringEquals":    {"aws:SourceAccount": {"1", "2"}},
				}
				if got := d.Statements[0].Condition; !reflect.DeepEqual(got, want) {
					t.Errorf("condition %v", got)
				}
			}},
		"raw kept": {stmt(`{"Sid":"keep","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), func(t *testing.T, d *Document) {
			if m, ok := d.Statements[0].Raw.(map[string]any); !ok || m["Sid"] != "keep" {
				t.Errorf("raw %v", d.Statements[0].Raw)
			}
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, err := Parse([]byte(tc.policy))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tc.check(t, d)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		policy string
		want   string
	}{
		"not JSON":           {`{"Statement":`, "not JSON"},
		"trailing data":      {`{"Statement":[]} {}`, "trailing data"},
		"array":              {`[]`, "policy must be a JSON object, got a list"},
		"no statement":       {`{"Version":"2012-10-17"}`, "no Statement element"},
		"statement string":   {`{"Statement":"x"}`, "Statement must be an object or a list, got a string"},
		"statement not obj":  {`{"Statement":[{"Effect":"Allow","Action":"a:b"},3]}`, "statement 1 (/Statement/1): must be an object, got a number"},
		"version object":     {`{"Version":{},"Statement":[]}`, "Version: want a string, got an object"},
		"no effect":          {stmt(`{"Action":"a:b"}`), "statement 0 (/Statement/0): no Effect"},
		"bad effect":         {stmt(`{"Effect":"Allow","Action":"a:b"},{"Effect":"Allow","Action":"a:b"},{"Effect":"Permit","Action":"a:b"}`), `statement 2 (/Statement/2): Effect must be Allow or Deny, got "Permit"`},
		"effect not string":  {stmt(`{"Effect":true,"Action":"a:b"}`), "Effect must be Allow or Deny, got a boolean"},
		"action and not":     {stmt(`{"Effect":"Allow","Action":"a:b","NotAction":"c:d"}`), "has both Action and NotAction"},
		"no action":          {stmt(`{"Effect":"Allow","Resource":"*"}`), "needs Action or NotAction"},
		"resource and not":   {stmt(`{"Effect":"Allow","Action":"a:b","Resource":"*","NotResource":"x"}`), "has both Resource and NotResource"},
		"action null":        {stmt(`{"Effect":"Allow","Action":null}`), "Action: want a string, got null"},
		"action object":      {stmt(`{"Effect":"Allow","Action":{"a":"b"}}`), "Action: want a string or a list of strings, got an object"},
		"principal string":   {stmt(`{"Effect":"Allow","Principal":"root","Action":"a:b"}`), `Principal: a string principal must be "*"`},
		"principal list":     {stmt(`{"Effect":"Allow","Principal":["*"],"Action":"a:b"}`), "Principal: must be \"*\" or an object, got a list"},
		"principal value":    {stmt(`{"Effect":"Allow","Principal":{"AWS":{"x":1}},"Action":"a:b"}`), "Principal: AWS: want a string or a list"},
		"condition list":     {stmt(`{"Effect":"Allow","Action":"a:b","Condition":[]}`), "Condition: must be an object, got a list"},
		"condition operator": {stmt(`{"Effect":"Allow","Action":"a:b","Condition":{"StringEquals":"x"}}`), "Condition: StringEquals: must be an object of condition keys"},
		"sid list":           {stmt(`{"Sid":[1],"Effect":"Allow","Action":"a:b"}`), "Sid must be a string"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, err := Parse([]byte(tc.policy))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", d)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
}

// decode turns JSON (a template fragment after intrinsics were converted to
// long form) into the tree FromValue takes.
func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFromValueIntrinsics(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		resource string // JSON value of the Resource element
		want     []string
	}{
		"Sub string":      {`{"Fn::Sub":"arn:aws:s3:::${Bucket}/*"}`, []string{"arn:aws:s3:::${Bucket}/*"}},
		"Sub with vars":   {`{"Fn::Sub":["arn:aws:s3:::${B}/*",{"B":{"Ref":"Bucket"}}]}`, []string{"arn:aws:s3:::${B}/*"}},
		"Ref":             {`{"Ref":"Bucket"}`, []string{"{intrinsic:Ref}"}},
		"GetAtt":          {`{"Fn::GetAtt":["Queue","Arn"]}`, []string{"{intrinsic:Fn::GetAtt}"}},
		"ImportValue":     {`{"Fn::ImportValue":"x"}`, []string{"{intrinsic:Fn::ImportValue}"}},
		"Join":            {`{"Fn::Join":["",["arn:aws:s3:::",{"Ref":"B"},"/*"]]}`, []string{"arn:aws:s3:::{intrinsic:Ref}/*"}},
		"Join of If":      {`{"Fn::Join":["",["a",{"Fn::If":["c","x","y"]}]]}`, []string{"{intrinsic:Fn::Join}"}},
		"If both":         {`{"Fn::If":["c","*",{"Fn::GetAtt":["T","Arn"]}]}`, []string{"*", "{intrinsic:Fn::GetAtt}"}},
		"If NoValue":      {`{"Fn::If":["c",{"Ref":"AWS::NoValue"},"arn:aws:sqs:::q"]}`, []string{"arn:aws:sqs:::q"}},
		"list with mixed": {`["*",{"Fn::GetAtt":["T","Arn"]},{"Fn::If":["c","a","a"]}]`, []string{"*", "{intrinsic:Fn::GetAtt}", "a"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := decode(t, `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":`+tc.resource+`}]}`)
			d, err := FromValue(v)
			if err != nil {
				t.Fatalf("FromValue: %v", err)
			}
			if got := d.Statements[0].Resource; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Resource = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFromValueStatementIf(t *testing.T) {
	t.Parallel()
	v := decode(t, `{"Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
		{"Fn::If":["IsProd",{"Effect":"Allow","Action":"*","Resource":"*"},{"Ref":"AWS::NoValue"}]},
		{"Ref":"AWS::NoValue"},
		{"Fn::If":["X",{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*"}]}]}`)
	d, err := FromValue(v)
	if err != nil {
		t.Fatal(err)
	}
	var ptrs []string
	for _, s := range d.Statements {
		ptrs = append(ptrs, s.Pointer)
	}
	want := []string{"/Statement/0", "/Statement/1/Fn::If/1", "/Statement/3/Fn::If/1", "/Statement/3/Fn::If/2"}
	if !reflect.DeepEqual(ptrs, want) {
		t.Fatalf("pointers = %v, want %v", ptrs, want)
	}
	var got []string
	for _, is := range Evaluate(d, Identity, Options{}) {
		got = append(got, is.Check+"@"+is.Pointer)
	}
	if want := []string{"IAM001@/Statement/1/Fn::If/1", "IAM006@/Statement/3/Fn::If/1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("issues = %v, want %v", got, want)
	}
}

// TestFromValueIntrinsicNeverWildcard: a resource built from intrinsics is
// a specific resource, so write actions on it are not findings.
func TestFromValueIntrinsicNeverWildcard(t *testing.T) {
	t.Parallel()
	v := decode(t, `{"Statement":{"Effect":"Allow","Action":["s3:PutObject","iam:PassRole"],"Resource":[{"Fn::GetAtt":["Role","Arn"]},{"Ref":"Bucket"},{"Fn::Sub":"arn:aws:s3:::${B}/*"}]}}`)
	d, err := FromValue(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := Evaluate(d, Identity, Options{}); len(got) != 0 {
		t.Errorf("issues = %+v", got)
	}
}

func TestFromValueDecodedTypes(t *testing.T) {
	t.Parallel()
	v := map[string]any{"Statement": []any{map[string]any{
		"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
		"Condition": map[string]any{"NumericLessThan": map[string]any{"k": float64(3)}, "Bool": map[string]any{"b": false}, "StringEquals": map[string]any{"n": json.Number("12")}},
	}}}
	d, err := FromValue(v)
	if err != nil {
		t.Fatal(err)
	}
	c := d.Statements[0].Condition
	if c["NumericLessThan"]["k"][0] != "3" || c["Bool"]["b"][0] != "false" || c["StringEquals"]["n"][0] != "12" {
		t.Errorf("condition %v", c)
	}
	yamlDate := map[string]any{"Version": time.Date(2012, 10, 17, 0, 0, 0, 0, time.UTC), "Statement": map[string]any{
		"Effect": "Allow", "Action": "s3:GetObject", "Condition": map[string]any{"NumericEquals": map[string]any{"k": uint64(7), "i": 5}},
	}}
	d, err = FromValue(yamlDate)
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != "2012-10-17" || d.Statements[0].Condition["NumericEquals"]["k"][0] != "7" || d.Statements[0].Condition["NumericEquals"]["i"][0] != "5" {
		t.Errorf("YAML-decoded values: %+v", d)
	}
	for name, bad := range map[string]any{
		"nil": nil, "string": "x", "deep": deepIf(200), "wide": deepIf(40),
		"If arity": map[string]any{"Statement": map[string]any{"Fn::If": []any{"c"}}},
		"Sub bad":  map[string]any{"Statement": map[string]any{"Effect": "Allow", "Action": map[string]any{"Fn::Sub": 3}}},
	} {
		if _, err := FromValue(bad); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

// deepIf nests Fn::If n levels deep inside an Action element.
func deepIf(n int) any {
	var v any = "s3:GetObject"
	for range n {
		v = map[string]any{"Fn::If": []any{"c", v, v}}
	}
	return map[string]any{"Statement": map[string]any{"Effect": "Allow", "Action": v}}
}
