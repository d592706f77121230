package cloudtrail

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/rules"
)

// TestStackRoutesWatchedAPIs holds the stack's EventBridge rules to the
// calls the checks judge: every call of rules.WatchedAPIs reaches the
// function, through the rule of whole services (ApiCalls) or the rule of
// named calls (WatchedApiCalls); otherwise a check would see it only in
// the trail's log files, minutes later, or never without a trail bucket.
func TestStackRoutesWatchedAPIs(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Short-form intrinsics (!GetAtt, !Ref...) are custom tags to yaml.v3;
	// decoding into yaml.Node keeps them without resolving anything.
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	var tmpl struct {
		Resources map[string]struct {
			Properties struct {
				Events map[string]struct {
					Type       string `yaml:"Type"`
					Properties struct {
						Pattern struct {
							Source     []string `yaml:"source" json:"source"`
							DetailType []string `yaml:"detail-type" json:"detail-type"`
							Detail     struct {
								EventName []string `yaml:"eventName" json:"eventName"`
							} `yaml:"detail" json:"detail"`
						} `yaml:"Pattern"`
					} `yaml:"Properties"`
				} `yaml:"Events"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := doc.Decode(&tmpl); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	fn, ok := tmpl.Resources["CloudTrailAnomalyChecker"]
	if !ok {
		for name, r := range tmpl.Resources {
			if _, has := r.Properties.Events["ApiCalls"]; has {
				fn, ok = r, true
				t.Logf("checker function is %s", name)
			}
		}
	}
	if !ok {
		t.Fatal("template.yaml: no function with the ApiCalls event")
	}
	whole := fn.Properties.Events["ApiCalls"].Properties.Pattern
	named := fn.Properties.Events["WatchedApiCalls"].Properties.Pattern
	// EventBridge refuses a pattern over 2,048 characters unless the
	// account's quota was raised; a longer list needs a second rule.
	if b, err := json.Marshal(named); err != nil || len(b) > 2048 {
		t.Errorf("WatchedApiCalls pattern is %d characters (%v); EventBridge's default limit is 2048", len(b), err)
	}
	for src, names := range rules.WatchedAPIs() {
		eb := "aws." + strings.TrimSuffix(src, ".amazonaws.com")
		if slices.Contains(whole.Source, eb) {
			continue
		}
		if !slices.Contains(named.Source, eb) {
			t.Errorf("WatchedApiCalls does not route source %s", eb)
			continue
		}
		for _, n := range names {
			if !slices.Contains(named.Detail.EventName, n) {
				t.Errorf("WatchedApiCalls does not route %s %s", eb, n)
			}
		}
	}
}
