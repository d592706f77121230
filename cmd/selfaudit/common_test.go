package main

import (
	"flag"
	"slices"
	"testing"
)

func TestFlagsFirst(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		args, want []string
	}{
		"flags before paths":       {[]string{"--fail-on", "medium", "a.yaml"}, []string{"--fail-on", "medium", "--", "a.yaml"}},
		"flags after paths":        {[]string{"a.yaml", "b.yaml", "--fail-on", "medium"}, []string{"--fail-on", "medium", "--", "a.yaml", "b.yaml"}},
		"value after equals":       {[]string{"a.yaml", "--format=json"}, []string{"--format=json", "--", "a.yaml"}},
		"boolean takes no value":   {[]string{"--new-only", "a.yaml"}, []string{"--new-only", "--", "a.yaml"}},
		"double dash ends flags":   {[]string{"a.yaml", "--", "--fail-on"}, []string{"--", "a.yaml", "--fail-on"}},
		"lone dash is a path":      {[]string{"-"}, []string{"--", "-"}},
		"unknown flag kept":        {[]string{"a.yaml", "--bogus"}, []string{"--bogus", "--", "a.yaml"}},
		"value missing at the end": {[]string{"a.yaml", "--format"}, []string{"--format", "--", "a.yaml"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("scan", flag.ContinueOnError)
			fs.String("fail-on", "high", "")
			fs.String("format", "text", "")
			fs.Bool("new-only", false, "")
			if got := flagsFirst(fs, tc.args); !slices.Equal(got, tc.want) {
				t.Errorf("flagsFirst(%q) = %q, want %q", tc.args, got, tc.want)
			}
		})
	}
}
