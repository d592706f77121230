package fleet

import (
	"testing"

	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// TestStoreScope: only a function invoked in the window whose REPORT lines
// were not read is a part of the scope the audit could not read.
func TestStoreScope(t *testing.T) {
	t.Parallel()
	group := &logtypes.LogGroup{}
	tests := map[string]struct {
		fn     Function
		unread bool
	}{
		"reports read":     {Function{LogGroup: group, Metrics: Metrics{Invocations: 10}, Reports: &ReportSummary{Count: 10}}, false},
		"reports not read": {Function{LogGroup: group, Metrics: Metrics{Invocations: 10}}, true},
		"no REPORT line":   {Function{LogGroup: group, Metrics: Metrics{Invocations: 10}, Reports: &ReportSummary{}}, true},
		"not invoked":      {Function{LogGroup: group}, false},
		"no log group":     {Function{Metrics: Metrics{Invocations: 10}}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn := tc.fn
			fn.ARN = "arn:aws:lambda:eu-west-1:123456789012:function:f"
			s := (&Result{Inventory: []*Function{&fn}}).StoreScope("123456789012", "eu-west-1")
			if s.Scanner != StoreScanner || s.Account != "123456789012" || s.Region != "eu-west-1" || s.Validate() != nil {
				t.Fatalf("scope %+v", s)
			}
			if got := len(s.Unreadable) == 1 && s.Unreadable[0].Target == fn.ARN; got != tc.unread || len(s.Unreadable) > 1 {
				t.Errorf("unreadable %+v, want unread=%v", s.Unreadable, tc.unread)
			}
		})
	}
}
