package findingstore

import (
	"testing"

	"github.com/selfaudit/selfaudit/shared/findings"
)

func TestTargetOf(t *testing.T) {
	t.Parallel()
	tests := []struct{ resource, want string }{
		{"arn:aws:iam::123456789012:role/app", "arn:aws:iam::123456789012:role/app"},
		{"arn:aws:lambda:eu-west-1:123456789012:function:f", "arn:aws:lambda:eu-west-1:123456789012:function:f"},
		{"template.yaml#/Resources/Role/Properties/Policies/0", "template.yaml"},
		{"dir/policy.json#/Statement/1", "dir/policy.json"},
		{"#/Statement/1", "#/Statement/1"},
		{"account", "account"},
	}
	for _, tt := range tests {
		if got := TargetOf(findings.Finding{Resource: tt.resource}); got != tt.want {
			t.Errorf("TargetOf(%q) = %q, want %q", tt.resource, got, tt.want)
		}
	}
}

func TestPlaceOf(t *testing.T) {
	t.Parallel()
	scope := Scope{Scanner: "s", Account: "111111111111", Region: "us-east-1"}
	tests := []struct{ resource, account, region string }{
		{"arn:aws:iam::222222222222:role/app", "222222222222", "us-east-1"},
		{"arn:aws:lambda:eu-west-1:222222222222:function:f", "222222222222", "eu-west-1"},
		{"arn:aws:s3:::bucket", "111111111111", "us-east-1"},
		{"template.yaml#/Resources/X", "111111111111", "us-east-1"},
	}
	for _, tt := range tests {
		a, r := placeOf(findings.Finding{Resource: tt.resource}, scope)
		if a != tt.account || r != tt.region {
			t.Errorf("placeOf(%q) = %q, %q; want %q, %q", tt.resource, a, r, tt.account, tt.region)
		}
	}
}

func TestScopeGap(t *testing.T) {
	t.Parallel()
	fnPrefix := "arn:aws:lambda:us-east-1:123456789012:function:"
	s := Scope{Scanner: "s", Account: "123456789012", Region: "us-east-1",
		Unreadable: []Gap{{Target: "arn:aws:iam::123456789012:role/locked"}, {Target: fnPrefix, Prefix: true}}}
	tests := []struct {
		target string
		gap    bool
	}{
		{"arn:aws:iam::123456789012:role/locked", true},
		{"arn:aws:iam::123456789012:role/locked-too", false},
		{fnPrefix + "f", true},
		{"arn:aws:iam::123456789012:role/open", false},
	}
	for _, tt := range tests {
		if _, got := s.gap(tt.target); got != tt.gap {
			t.Errorf("gap(%q) = %v, want %v", tt.target, got, tt.gap)
		}
	}
	all := Scope{Scanner: "s", Unreadable: []Gap{{Prefix: true}}}
	if _, ok := all.gap("anything"); !ok {
		t.Error("an empty prefix gap does not cover the whole scope")
	}
}

func TestScopeValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		scope Scope
		ok    bool
	}{
		{"full", Scope{Scanner: "iam-wildcard-scanner", Account: "123456789012", Region: "us-east-1"}, true},
		{"files", Scope{Scanner: "selfaudit-scan", Targets: []string{"template.yaml"}}, true},
		{"no scanner", Scope{Account: "1"}, false},
		{"separator", Scope{Scanner: "a|b"}, false},
		{"empty target", Scope{Scanner: "s", Targets: []string{""}}, false},
		{"empty gap", Scope{Scanner: "s", Unreadable: []Gap{{}}}, false},
		{"whole scope unreadable", Scope{Scanner: "s", Unreadable: []Gap{{Prefix: true}}}, true},
	}
	for _, tt := range tests {
		if err := tt.scope.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	if k := (Scope{Scanner: "s", Account: "1", Region: "r"}).Key(); k != "s|1|r" {
		t.Errorf("Key() = %q", k)
	}
}
