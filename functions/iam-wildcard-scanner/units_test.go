package main

import (
	"context"
	"errors"
	"testing"

	"github.com/selfaudit/selfaudit/shared/findings/findingstest"
	"github.com/selfaudit/selfaudit/shared/iamscan"
	"github.com/selfaudit/selfaudit/shared/orgaudit"
)

// TestSQSEventOutsideOrganizationMode: units arrive only in organisation
// mode; elsewhere an SQS event fails the invocation instead of being taken
// for a scan of the account.
func TestSQSEventOutsideOrganizationMode(t *testing.T) {
	t.Parallel()
	eng := &fakeScanner{res: &iamscan.Result{}}
	h := &handler{scanner: eng, publisher: &findingstest.Recorder{}}
	ev := []byte(`{"Records":[{"messageId":"m1","eventSource":"aws:sqs","body":"{}"}]}`)
	if _, err := h.Handle(context.Background(), ev); !errors.Is(err, orgaudit.ErrOrganizationModeOff) {
		t.Errorf("SQS event: %v, want ErrOrganizationModeOff", err)
	}
}
