package tracing

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestFromEnvironment(t *testing.T) {
	tests := map[string]struct {
		fn, switch_ string
		want        string
		options     int
	}{
		"cli":         {want: "none"},
		"lambda":      {fn: "f", want: "xray", options: 2},
		"forced off":  {fn: "f", switch_: "off", want: "none"},
		"forced xray": {switch_: "xray", want: "xray", options: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("AWS_LAMBDA_FUNCTION_NAME", tc.fn)
			t.Setenv("SELFAUDIT_TRACING", tc.switch_)
			tr := FromEnvironment()
			if tr.Name() != tc.want {
				t.Fatalf("tracer = %s, want %s", tr.Name(), tc.want)
			}
			var cfg aws.Config
			tr.InstrumentAWS(&cfg)
			if len(cfg.APIOptions) != tc.options {
				t.Fatalf("%d API options added, want %d", len(cfg.APIOptions), tc.options)
			}
		})
	}
}
