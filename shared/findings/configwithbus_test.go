package findings

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestConfigWithBus: the engine's configuration and the bus are both read, so
// one error names every bad variable, and no publisher stands in for a
// bus that is not set.
func TestConfigWithBus(t *testing.T) {
	t.Parallel()
	load := func(getenv func(string) string) (string, error) {
		v := getenv("MODE")
		if v == "" {
			return "", errors.New("environment variable MODE is not set")
		}
		return v, nil
	}
	tests := map[string]struct {
		vars    map[string]string
		wantCfg string
		wantPub bool
		wantErr []string // the variables the error names
	}{
		"both set":     {vars: map[string]string{"MODE": "m", "FINDINGS_BUS_NAME": "bus"}, wantCfg: "m", wantPub: true},
		"bus missing":  {vars: map[string]string{"MODE": "m"}, wantCfg: "m", wantErr: []string{"FINDINGS_BUS_NAME"}},
		"mode missing": {vars: map[string]string{"FINDINGS_BUS_NAME": "bus"}, wantPub: true, wantErr: []string{"MODE"}},
		"both missing": {wantErr: []string{"MODE", "FINDINGS_BUS_NAME"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, pub, err := ConfigWithBus(aws.Config{Region: "us-east-1"}, func(k string) string { return tc.vars[k] }, load)
			if cfg != tc.wantCfg {
				t.Errorf("configuration = %q, want %q", cfg, tc.wantCfg)
			}
			if (pub != nil) != tc.wantPub {
				t.Errorf("publisher = %v, want one: %v", pub, tc.wantPub)
			}
			if (err != nil) != (len(tc.wantErr) > 0) {
				t.Fatalf("error = %v, want one naming %v", err, tc.wantErr)
			}
			for _, v := range tc.wantErr {
				if !strings.Contains(err.Error(), v) {
					t.Errorf("error %q does not name %s", err, v)
				}
			}
		})
	}
}
