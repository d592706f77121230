package securityhub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"

	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/findings/asff"
)

// BatchImportFindings limits (see package asff's documentation for the
// source): findings and bytes a call.
const (
	MaxFindingsPerCall = 100
	MaxBytesPerCall    = 6 * 1024 * 1024
)

// ImportAPI is the one Security Hub call the exporter makes.
type ImportAPI interface {
	BatchImportFindings(ctx context.Context, in *sh.BatchImportFindingsInput, optFns ...func(*sh.Options)) (*sh.BatchImportFindingsOutput, error)
}

// Exporter imports findings into Security Hub.
type Exporter struct {
	Client ImportAPI
	// MinSeverity leaves out findings below it (a RESOLVED one is always
	// imported, so that Security Hub archives it); 0 imports every finding.
	MinSeverity findings.Severity
	// Region is the Region of the product ARN when an event names none
	// (the function's own AWS_REGION).
	Region string
	// Attempts is how often a finding that failed for a passing reason is
	// tried; 0 means 4. Backoff doubles from BaseDelay (default 200ms).
	Attempts  int
	BaseDelay time.Duration
}

// Message is one queued finding event: the key its queue knows it by (an
// SQS message ID) and its body.
type Message struct {
	Key  string
	Body []byte
}

// Failure is a message that must be delivered again.
type Failure struct {
	Key    string `json:"key"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// Report is what Export did with a batch of messages.
type Report struct {
	Messages int       `json:"messages"`
	Imported int       `json:"imported"`
	Archived int       `json:"archived"`
	Skipped  int       `json:"skipped"`
	Calls    int       `json:"calls"`
	Retried  int       `json:"retried"`
	Failed   []Failure `json:"failed,omitempty"`
}

// Export parses, converts and imports the findings of msgs and reports
// every message whose finding Security Hub did not accept.
func (e *Exporter) Export(ctx context.Context, msgs []Message) Report {
	rep := Report{Messages: len(msgs)}
	var items []item
	for _, m := range msgs {
		ev, err := ParseEvent(m.Body)
		if err != nil {
			rep.Failed = append(rep.Failed, Failure{Key: m.Key, Reason: err.Error()})
			continue
		}
		t := ev.Detail
		if e.MinSeverity > 0 && t.Severity < e.MinSeverity && t.Status != findings.StatusResolved {
			rep.Skipped++
			continue
		}
		region := ev.Region
		if region == "" {
			region = e.Region
		}
		f, err := asff.Convert(t, asff.Options{Account: ev.Account, Region: region})
		if err != nil {
			rep.Failed = append(rep.Failed, Failure{Key: m.Key, ID: t.ID, Reason: err.Error()})
			continue
		}
		items = append(items, item{key: m.Key, finding: f})
	}
	res := e.importItems(ctx, items)
	rep.Imported, rep.Calls, rep.Retried = res.Imported, res.Calls, res.Retried
	rep.Archived = res.Archived
	rep.Failed = append(rep.Failed, res.Failed...)
	return rep
}

// item is one finding to import and the message it came in.
type item struct {
	key     string
	finding asff.Finding
	sdk     types.AwsSecurityFinding
	size    int
}

// ImportResult is what Import did.
type ImportResult struct {
	Imported, Archived, Calls, Retried int
	Failed                             []Failure
}

// ImportFindings imports findings whose keys are their Ids; a convenience
// for callers without messages, such as a command-line import.
func (e *Exporter) ImportFindings(ctx context.Context, fs []asff.Finding) ImportResult {
	items := make([]item, len(fs))
	for i, f := range fs {
		items[i] = item{key: f.ID, finding: f}
	}
	return e.importItems(ctx, items)
}

// importItems sends items in calls of at most 100 findings and 6 MB, each
// finding Id once a call, in order; failures that may pass are sent again.
func (e *Exporter) importItems(ctx context.Context, items []item) ImportResult {
	var res ImportResult
	for i := range items {
		items[i].sdk = toSDK(items[i].finding)
		b, _ := json.Marshal(items[i].finding)
		items[i].size = len(b)
	}
	for _, chunk := range chunks(items) {
		e.importChunk(ctx, chunk, &res)
	}
	return res
}

// chunks splits items into calls: at most 100 findings and 6 MB a call,
// and a second event of one finding waits for the next call.
func chunks(items []item) [][]item {
	var out [][]item
	var cur []item
	ids := map[string]bool{}
	size := 0
	for _, it := range items {
		// 1 KB of headroom for the request's own JSON.
		if len(cur) == MaxFindingsPerCall || ids[it.finding.ID] || (len(cur) > 0 && size+it.size > MaxBytesPerCall-1024) {
			out = append(out, cur)
			cur, size, ids = nil, 0, map[string]bool{}
		}
		cur = append(cur, it)
		ids[it.finding.ID] = true
		size += it.size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func (e *Exporter) importChunk(ctx context.Context, chunk []item, res *ImportResult) {
	attempts := e.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	delay := e.BaseDelay
	if delay <= 0 {
		delay = 200 * time.Millisecond
	}
	pending := chunk
	reasons := map[string]string{}
	for attempt := 1; attempt <= attempts && len(pending) > 0; attempt++ {
		if attempt > 1 {
			if !sleep(ctx, delay) {
				for _, it := range pending {
					reasons[it.key] = "not imported before the deadline: " + ctx.Err().Error()
				}
				break
			}
			delay *= 2
			res.Retried += len(pending)
		}
		in := &sh.BatchImportFindingsInput{Findings: make([]types.AwsSecurityFinding, len(pending))}
		for i, it := range pending {
			in.Findings[i] = it.sdk
		}
		res.Calls++
		out, err := e.Client.BatchImportFindings(ctx, in)
		if err != nil {
			for _, it := range pending {
				reasons[it.key] = "BatchImportFindings: " + err.Error()
			}
			if !retryableCall(err) || ctx.Err() != nil {
				break
			}
			continue
		}
		failed := map[string]types.ImportFindingsError{}
		for _, ff := range out.FailedFindings {
			failed[aws.ToString(ff.Id)] = ff
		}
		matched := 0
		for _, it := range pending {
			if _, bad := failed[it.finding.ID]; bad {
				matched++
			}
		}
		if n := max(len(out.FailedFindings), int(aws.ToInt32(out.FailedCount))); matched < n {
			// A failure that names no finding of the call cannot be
			// placed: send the whole call again rather than count a
			// failed finding as imported.
			for _, it := range pending {
				reasons[it.key] = fmt.Sprintf("Security Hub reported %d failures for %d findings it named", n, matched)
			}
			continue
		}
		var retry []item
		for _, it := range pending {
			ff, bad := failed[it.finding.ID]
			if !bad {
				res.Imported++
				if it.finding.RecordState == asff.RecordArchived {
					res.Archived++
				}
				delete(reasons, it.key)
				continue
			}
			code := aws.ToString(ff.ErrorCode)
			reasons[it.key] = fmt.Sprintf("Security Hub refused finding %s: %s: %s", it.finding.ID, code, aws.ToString(ff.ErrorMessage))
			if Retryable(code) {
				retry = append(retry, it)
			}
		}
		pending = retry
	}
	for _, it := range chunk {
		if r, ok := reasons[it.key]; ok {
			res.Failed = append(res.Failed, Failure{Key: it.key, ID: it.finding.ID, Reason: r})
		}
	}
}

// sleep waits d unless ctx ends first, and reports whether it waited.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Retryable reports whether a FailedFindings error code may pass when the
// finding is sent again: throttling, limits and the service's own errors.
// InvalidInput and access errors will not.
func Retryable(code string) bool {
	c := strings.ToLower(code)
	for _, s := range []string{"throttl", "toomanyrequests", "limitexceeded", "internal", "unavailable", "timeout"} {
		if strings.Contains(c, s) {
			return true
		}
	}
	return false
}

// retryableCall reports whether a failed call may pass when made again
// (the SDK has already retried it): a server fault, throttling, or no
// answer at all. A refused request will not pass.
func retryableCall(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorFault() == smithy.FaultServer || Retryable(ae.ErrorCode())
	}
	return true
}

// toSDK is the SDK's form of an ASFF finding.
func toSDK(f asff.Finding) types.AwsSecurityFinding {
	s := func(v string) *string {
		if v == "" {
			return nil
		}
		return aws.String(v)
	}
	sev := func(v asff.Severity) *types.Severity {
		return &types.Severity{Label: types.SeverityLabel(v.Label), Original: s(v.Original)}
	}
	out := types.AwsSecurityFinding{
		SchemaVersion:   s(f.SchemaVersion),
		Id:              s(f.ID),
		ProductArn:      s(f.ProductARN),
		ProductName:     s(f.ProductName),
		CompanyName:     s(f.CompanyName),
		GeneratorId:     s(f.GeneratorID),
		AwsAccountId:    s(f.AwsAccountID),
		Types:           append([]string(nil), f.Types...),
		CreatedAt:       s(f.CreatedAt),
		UpdatedAt:       s(f.UpdatedAt),
		FirstObservedAt: s(f.FirstObservedAt),
		LastObservedAt:  s(f.LastObservedAt),
		Severity:        sev(f.Severity),
		Title:           s(f.Title),
		Description:     s(f.Description),
		ProductFields:   f.ProductFields,
		Workflow:        &types.Workflow{Status: types.WorkflowStatus(f.Workflow.Status)},
		RecordState:     types.RecordState(f.RecordState),
		Compliance: &types.Compliance{Status: types.ComplianceStatus(f.Compliance.Status), SecurityControlId: s(f.Compliance.SecurityControlID),
			RelatedRequirements: f.Compliance.RelatedRequirements},
	}
	if f.Remediation != nil {
		out.Remediation = &types.Remediation{Recommendation: &types.Recommendation{Text: s(f.Remediation.Recommendation.Text), Url: s(f.Remediation.Recommendation.URL)}}
	}
	for _, r := range f.Resources {
		out.Resources = append(out.Resources, types.Resource{Type: s(r.Type), Id: s(r.ID), Partition: types.Partition(r.Partition), Region: s(r.Region)})
	}
	if p := f.FindingProviderFields; p != nil {
		out.FindingProviderFields = &types.FindingProviderFields{Severity: &types.FindingProviderSeverity{Label: types.SeverityLabel(p.Severity.Label), Original: s(p.Severity.Original)},
			Types: append([]string(nil), p.Types...)}
	}
	return out
}
