package awsid

import "testing"

func TestIsAccountID(t *testing.T) {
	for s, want := range map[string]bool{
		"123456789012": true, "000000000000": true,
		"": false, "12345678901": false, "1234567890123": false, "12345678901a": false, " 23456789012": false, "１２３４５６７８９０１２": false,
	} {
		if got := IsAccountID(s); got != want {
			t.Errorf("IsAccountID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{
		"eu-west-1": "aws", "": "aws", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "us-east-1": "aws",
	} {
		if got := PartitionOf(region); got != want {
			t.Errorf("PartitionOf(%q) = %q, want %q", region, got, want)
		}
	}
}
