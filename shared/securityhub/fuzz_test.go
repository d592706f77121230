package securityhub_test

import (
	"testing"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/asff"
	"github.com/selfaudit/selfaudit/shared/securityhub"
)

// FuzzParseEvent: any queued body is either a finding event that converts
// or fails with a clear error naming it; nothing panics.
func FuzzParseEvent(f *testing.F) {
	f.Add(event(finding(1, findings.StatusNew), awsfake.Account))
	f.Add(event(finding(2, findings.StatusResolved), ""))
	f.Add([]byte(`{"source":"selfaudit","detail-type":"Selfaudit Finding","detail":{"id":"1","check":"IAM001"}}`))
	f.Add([]byte(`{"source":"selfaudit","detail-type":"Selfaudit Finding","detail":[]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := securityhub.ParseEvent(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if ev.Detail.Validate() != nil {
			t.Fatalf("accepted an invalid finding: %+v", ev.Detail)
		}
		_, _ = asff.Convert(ev.Detail, asff.Options{Account: ev.Account, Region: ev.Region})
	})
}
