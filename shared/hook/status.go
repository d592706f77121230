package hook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/rs/zerolog"
)

// reportStatus calls PutLifecycleEventHookExecutionStatus, retrying transient
// failures with backoff while ctx allows. "Already completed" counts as
// reported: it means an earlier attempt whose response was lost got
// through, or an earlier delivery of the same event already answered.
func (h *Hook) reportStatus(ctx context.Context, ev Event, status cdtypes.LifecycleEventStatus) error {
	attempts := h.Config.ReportAttempts
	if attempts < 1 {
		attempts = 1
	}
	delay := 200 * time.Millisecond
	in := &codedeploy.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId:                  aws.String(ev.DeploymentID),
		LifecycleEventHookExecutionId: aws.String(ev.LifecycleEventHookExecutionID),
		Status:                        status,
	}
	var err error
	for i := 1; ; i++ {
		_, err = h.CodeDeploy.PutLifecycleEventHookExecutionStatus(ctx, in)
		var done *cdtypes.LifecycleEventAlreadyCompletedException
		if err == nil || errors.As(err, &done) {
			if err != nil {
				zerolog.Ctx(ctx).Warn().Err(err).Msg("lifecycle event was already completed")
			}
			return nil
		}
		if i >= attempts || !transient(err) {
			break
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("report %s for deployment %s: %w (last error: %w)", status, ev.DeploymentID, ctx.Err(), err)
		case <-t.C:
		}
		delay = min(2*delay, 2*time.Second)
	}
	return fmt.Errorf("report %s for deployment %s: %w", status, ev.DeploymentID, err)
}
