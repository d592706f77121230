package cloudtrail

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/time/rate"

	"github.com/selfaudit/selfaudit/shared/cloudtrail/record"
	"github.com/selfaudit/selfaudit/shared/progress"
)

// GetObjectAPI is the S3 call that reads a log file.
type GetObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// LookupEventsAPI is the CloudTrail call behind the LookupEvents sweep; the
// SDK's paginator takes it.
type LookupEventsAPI interface {
	LookupEvents(ctx context.Context, in *ct.LookupEventsInput, optFns ...func(*ct.Options)) (*ct.LookupEventsOutput, error)
}

var (
	_ GetObjectAPI             = (*s3.Client)(nil)
	_ LookupEventsAPI          = (*ct.Client)(nil)
	_ ct.LookupEventsAPIClient = LookupEventsAPI(nil)
)

// ReadS3Object streams one CloudTrail log object from S3 into the analyzer
// without holding it in memory.
func (a *Analyzer) ReadS3Object(ctx context.Context, c GetObjectAPI, bucket, key string) error {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	return a.Read(ctx, out.Body, "s3://"+bucket+"/"+key)
}

// LookupRate is LookupEvents' documented quota: two calls per second per
// account and region.
const LookupRate = 2

// LookupOptions select what a LookupEvents sweep reads.
type LookupOptions struct {
	Start, End time.Time
	// EventSources limits the sweep to these sources (one lookup each,
	// LookupEvents takes one attribute); empty means every management
	// event.
	EventSources []string
	// Limiter paces the calls; nil means LookupRate per second. Share one
	// limiter between sweeps of one account and region.
	Limiter *rate.Limiter
	// Progress hears how much of the window each sweep has covered, in
	// seconds (events come newest first), after every page; the stage
	// names the event source when there are several.
	Progress progress.Func
}

// Lookup reads management events through LookupEvents, paced by the
// limiter, into the analyzer. It is the fallback sweep for events the
// EventBridge rule missed, and the live mode of `selfaudit trail --lookup`.
func (a *Analyzer) Lookup(ctx context.Context, c LookupEventsAPI, o LookupOptions) error {
	lim := o.Limiter
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(LookupRate), 1)
	}
	var attrs [][]cttypes.LookupAttribute
	for _, s := range o.EventSources {
		attrs = append(attrs, []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventSource, AttributeValue: aws.String(s)}})
	}
	if len(attrs) == 0 {
		attrs = append(attrs, nil)
	}
	window := int64(o.End.Sub(o.Start).Seconds())
	for i, la := range attrs {
		stage := ""
		if len(o.EventSources) > 1 {
			stage = o.EventSources[i]
		}
		read := 0
		report := func(covered int64) {
			o.Progress.Report(progress.Update{Stage: stage, Done: min(window, max(0, covered)), Total: window, Unit: "seconds",
				Detail: fmt.Sprintf("%d events", read)})
		}
		in := &ct.LookupEventsInput{StartTime: aws.Time(o.Start), EndTime: aws.Time(o.End), LookupAttributes: la, MaxResults: aws.Int32(50)}
		p := ct.NewLookupEventsPaginator(c, in)
		for p.HasMorePages() {
			if err := lim.Wait(ctx); err != nil {
				return fmt.Errorf("look up CloudTrail events: %w", err)
			}
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("look up CloudTrail events from %s to %s: %w", o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339), err)
			}
			oldest := o.End
			for _, ev := range page.Events {
				if err := a.addLookupEvent(ctx, ev); err != nil {
					return err
				}
				if ev.EventTime != nil && ev.EventTime.Before(oldest) {
					oldest = *ev.EventTime
				}
			}
			read += len(page.Events)
			if p.HasMorePages() {
				report(int64(o.End.Sub(oldest).Seconds()))
			}
		}
		report(window)
	}
	return nil
}

func (a *Analyzer) addLookupEvent(ctx context.Context, ev cttypes.Event) error {
	var rec record.Record
	st := Stats{}
	text := aws.ToString(ev.CloudTrailEvent)
	err := record.ParseInto(&rec, []byte(text))
	switch {
	case err == record.ErrNotRecord:
		st.Unknown = 1
	case err != nil:
		st.Malformed = 1
		st.Problems = []string{"LookupEvents event " + aws.ToString(ev.EventId) + ": " + err.Error()}
	default:
		st.Records = 1
	}
	a.mu.Lock()
	a.stats.Add(st)
	a.mu.Unlock()
	if st.Records == 0 {
		return nil
	}
	return a.Handle(ctx, &rec)
}
