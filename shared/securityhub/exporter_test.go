package securityhub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/selfaudit/selfaudit/internal/awsfake"
	"github.com/selfaudit/selfaudit/shared/awsconfig"
	"github.com/selfaudit/selfaudit/shared/findings"
	"github.com/selfaudit/selfaudit/shared/securityhub"
)

// hub serves a Security Hub fake and returns it with an exporter whose
// client calls it (one SDK attempt a call unless sdkAttempts says more,
// no backoff to speak of).
func hub(t *testing.T, sdkAttempts int) (*awsfake.SecurityHub, *securityhub.Exporter) {
	t.Helper()
	fake := awsfake.NewSecurityHub()
	url := awsfake.Serve(t, fake).URL(fake)
	cfg := aws.Config{Region: awsfake.Region, Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(url),
		RetryMaxAttempts: max(1, sdkAttempts), HTTPClient: awsconfig.HTTPClient()}
	return fake, &securityhub.Exporter{Client: sh.NewFromConfig(cfg), BaseDelay: time.Millisecond}
}

var seen = time.Date(2026, 12, 1, 6, 15, 0, 0, time.UTC)

// finding is the n-th distinct IAM finding of the example account.
func finding(n int, status findings.Status) findings.Tracked {
	res := fmt.Sprintf("arn:aws:iam::%s:role/app-%03d", awsfake.Account, n)
	return findings.Tracked{Finding: findings.Finding{
		ID: findings.StableID("IAM004", res, ""), Check: "IAM004", Severity: findings.High, Title: "iam:PassRole allowed on every role",
		Resource: res, Evidence: map[string]any{"statement": n}, Remediation: "Limit iam:PassRole.", Source: "iam-wildcard-scanner", ObservedAt: seen,
	}, Status: status}
}

// event is the body EventBridge puts on the queue for t.
func event(t findings.Tracked, account string) []byte {
	detail, err := json.Marshal(t)
	if err != nil {
		panic(err)
	}
	return fmt.Appendf(nil, `{"version":"0","id":"e-%s","detail-type":"Selfaudit Finding","source":"selfaudit","account":%q,"time":"2026-12-01T06:15:00Z","region":%q,"resources":[],"detail":%s}`,
		t.ID, account, awsfake.Region, detail)
}

func messages(ts ...findings.Tracked) []securityhub.Message {
	out := make([]securityhub.Message, len(ts))
	for i, t := range ts {
		out[i] = securityhub.Message{Key: fmt.Sprintf("m-%d", i), Body: event(t, awsfake.Account)}
	}
	return out
}

// TestExportChunks: 250 findings go in calls of 100, 100 and 50, and all
// are held by Security Hub afterwards.
func TestExportChunks(t *testing.T) {
	fake, exp := hub(t, 1)
	var ts []findings.Tracked
	for i := range 250 {
		ts = append(ts, finding(i, findings.StatusNew))
	}
	rep := exp.Export(context.Background(), messages(ts...))
	if rep.Imported != 250 || len(rep.Failed) != 0 || rep.Calls != 3 {
		t.Fatalf("report = %+v", rep)
	}
	var sizes []int
	for _, c := range fake.ImportCalls() {
		sizes = append(sizes, len(c))
	}
	if fmt.Sprint(sizes) != "[100 100 50]" || len(fake.Findings()) != 250 {
		t.Fatalf("calls of %v, %d findings held", sizes, len(fake.Findings()))
	}
	f, ok := fake.Finding(ts[7].ID)
	if !ok || f.ResourceType != "AwsIamRole" || f.SeverityLabel != "HIGH" || f.RecordState != "ACTIVE" || f.GeneratorID != "IAM004" ||
		f.ProductArn != "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default" {
		t.Errorf("held finding = %+v", f)
	}
}

// TestExportRetriesPassingFailures: a finding refused for an internal
// error is sent again, alone, and imported; nothing is reported.
func TestExportRetriesPassingFailures(t *testing.T) {
	fake, exp := hub(t, 1)
	ts := []findings.Tracked{finding(1, findings.StatusNew), finding(2, findings.StatusNew), finding(3, findings.StatusNew)}
	var mu sync.Mutex
	failedOnce := map[string]bool{}
	fake.FailFinding = func(f awsfake.HubFinding) (string, string) {
		mu.Lock()
		defer mu.Unlock()
		if f.ID == ts[1].ID && !failedOnce[f.ID] {
			failedOnce[f.ID] = true
			return "InternalFailure", "try again"
		}
		return "", ""
	}
	rep := exp.Export(context.Background(), messages(ts...))
	if rep.Imported != 3 || rep.Retried != 1 || rep.Calls != 2 || len(rep.Failed) != 0 {
		t.Fatalf("report = %+v", rep)
	}
	if calls := fake.ImportCalls(); len(calls) != 2 || len(calls[1]) != 1 || calls[1][0] != ts[1].ID {
		t.Errorf("calls = %v", calls)
	}
}

// TestExportReportsRefusals: a finding Security Hub refuses for good is
// reported with its message's key at once (not retried), the others are
// imported; a finding that keeps failing for a passing reason is reported
// after the last attempt.
func TestExportReportsRefusals(t *testing.T) {
	fake, exp := hub(t, 1)
	ts := []findings.Tracked{finding(1, findings.StatusNew), finding(2, findings.StatusNew), finding(3, findings.StatusNew)}
	fake.FailFinding = func(f awsfake.HubFinding) (string, string) {
		switch f.ID {
		case ts[0].ID:
			return "InvalidInput", "Finding does not adhere to Amazon Finding Format."
		case ts[2].ID:
			return "ThrottlingException", "slow down"
		}
		return "", ""
	}
	rep := exp.Export(context.Background(), messages(ts...))
	if rep.Imported != 1 || len(rep.Failed) != 2 || rep.Calls != 4 {
		t.Fatalf("report = %+v", rep)
	}
	if rep.Failed[0].Key != "m-0" || !strings.Contains(rep.Failed[0].Reason, "InvalidInput") ||
		rep.Failed[1].Key != "m-2" || !strings.Contains(rep.Failed[1].Reason, "ThrottlingException") {
		t.Errorf("failed = %+v", rep.Failed)
	}
}

// TestExportThrottledCall: a whole call answered 429 is made again, by the
// SDK's retryer and then by the exporter.
func TestExportThrottledCall(t *testing.T) {
	fake, exp := hub(t, 2)
	fake.SetError("BatchImportFindings", &awsfake.APIError{Status: 429, Type: "LimitExceededException", Message: "Rate exceeded", Times: 3})
	rep := exp.Export(context.Background(), messages(finding(1, findings.StatusNew)))
	if rep.Imported != 1 || len(rep.Failed) != 0 || rep.Calls != 2 {
		t.Fatalf("report = %+v", rep)
	}
	// A refused call is not made again; its findings are all reported.
	fake.SetError("BatchImportFindings", &awsfake.APIError{Status: 401, Type: "InvalidAccessException", Message: "Security Hub is not enabled"})
	rep = exp.Export(context.Background(), messages(finding(2, findings.StatusNew), finding(3, findings.StatusNew)))
	if rep.Imported != 0 || len(rep.Failed) != 2 || rep.Calls != 1 || !strings.Contains(rep.Failed[0].Reason, "InvalidAccessException") {
		t.Fatalf("report = %+v", rep)
	}
}

// TestExportLosesNothing: in a batch of good findings, bodies that are not
// finding events, findings that cannot be converted, findings for another
// account, a finding resolved in the same batch that announced it, and
// refusals, every message is either held by Security Hub or reported.
func TestExportLosesNothing(t *testing.T) {
	fake, exp := hub(t, 1)
	var msgs []securityhub.Message
	add := func(body []byte) {
		msgs = append(msgs, securityhub.Message{Key: fmt.Sprintf("m-%03d", len(msgs)), Body: body})
	}
	want := map[string]string{} // key -> finding ID that must be held
	for i := range 180 {
		ft := finding(i, findings.StatusNew)
		add(event(ft, awsfake.Account))
		want[msgs[len(msgs)-1].Key] = ft.ID
	}
	resolved := finding(5, findings.StatusResolved)
	resolved.PreviousStatus = findings.StatusOpen
	resolved.StatusChangedAt = seen.Add(24 * time.Hour) // decided by the next day's run
	add(event(resolved, awsfake.Account))
	want[msgs[len(msgs)-1].Key] = resolved.ID
	bad := map[string]bool{}
	addBad := func(body []byte) { add(body); bad[msgs[len(msgs)-1].Key] = true }
	addBad([]byte(`not json`))
	addBad([]byte(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`))
	addBad([]byte(`{"source":"selfaudit","detail-type":"Selfaudit Finding","detail":{"id":"x"}}`))
	addBad(event(finding(900, findings.StatusNew), "999999999999")) // not this account's product
	tmpl := finding(901, findings.StatusNew)
	tmpl.Resource = "template.yaml#/Resources/Role"
	addBad(event(tmpl, "")) // no account anywhere
	refused := finding(902, findings.StatusNew)
	addBad(event(refused, awsfake.Account))
	fake.FailFinding = func(f awsfake.HubFinding) (string, string) {
		if f.ID == refused.ID {
			return "InvalidInput", "refused"
		}
		return "", ""
	}

	rep := exp.Export(context.Background(), msgs)
	reported := map[string]bool{}
	for _, f := range rep.Failed {
		reported[f.Key] = true
	}
	for _, m := range msgs {
		switch {
		case bad[m.Key]:
			if !reported[m.Key] {
				t.Errorf("%s (%.60s) was neither imported nor reported", m.Key, m.Body)
			}
		case reported[m.Key]:
			t.Errorf("%s was reported: %+v", m.Key, rep.Failed)
		default:
			if _, ok := fake.Finding(want[m.Key]); !ok {
				t.Errorf("%s: finding %s is not held", m.Key, want[m.Key])
			}
		}
	}
	if rep.Imported != 181 || len(rep.Failed) != len(bad) || rep.Archived != 1 {
		t.Errorf("report: imported %d, archived %d, failed %d (want 181, 1, %d)", rep.Imported, rep.Archived, len(rep.Failed), len(bad))
	}
	// The resolution came after the announcement, in a later call, so the
	// finding ends archived; its workflow stays what Security Hub holds.
	f, _ := fake.Finding(resolved.ID)
	if f.RecordState != "ARCHIVED" || f.ComplianceStatus != "PASSED" || f.Imports != 2 || f.WorkflowStatus != "NEW" {
		t.Errorf("resolved finding = %+v", f)
	}
	if calls := fake.ImportCalls(); len(calls) != 2 || len(calls[0]) != 100 {
		t.Errorf("calls of %d, %d findings", len(calls), len(calls[0]))
	}
}

// TestExportKeepsTheNewestChange: Security Hub ignores an import not newer
// than the finding it holds. A finding the store announced NEW and then
// resolved the next day, without a sighting in between, ends archived
// (the resolution's UpdatedAt is when it was decided, not the last
// sighting), and the NEW delivered again afterwards does not bring it
// back.
func TestExportKeepsTheNewestChange(t *testing.T) {
	fake, exp := hub(t, 1)
	day1, day2 := seen, seen.Add(24*time.Hour)
	announced := finding(7, findings.StatusNew)
	announced.FirstSeen, announced.LastSeen, announced.StatusChangedAt, announced.Occurrences = day1, day1, day1, 1
	resolved := announced
	resolved.Status, resolved.PreviousStatus, resolved.StatusChangedAt = findings.StatusResolved, findings.StatusNew, day2

	steps := []struct {
		name      string
		send      findings.Tracked
		wantState string
		ignored   int
	}{
		{"announced", announced, "ACTIVE", 0},
		{"resolved the next day", resolved, "ARCHIVED", 0},
		{"the announcement delivered again", announced, "ARCHIVED", 1},
		{"the resolution delivered again", resolved, "ARCHIVED", 2},
	}
	for _, st := range steps {
		rep := exp.Export(context.Background(), messages(st.send))
		if rep.Imported != 1 || len(rep.Failed) != 0 {
			t.Fatalf("%s: report %+v", st.name, rep)
		}
		f, ok := fake.Finding(announced.ID)
		if !ok || f.RecordState != st.wantState {
			t.Errorf("%s: held %v, record state %s, want %s", st.name, ok, f.RecordState, st.wantState)
		}
		if got := len(fake.Ignored()); got != st.ignored {
			t.Errorf("%s: %d imports ignored, want %d", st.name, got, st.ignored)
		}
	}
	if f, _ := fake.Finding(announced.ID); f.UpdatedAt != "2026-12-02T06:15:00.000Z" {
		t.Errorf("UpdatedAt %s, want the resolution's time", f.UpdatedAt)
	}
}

// TestExportMinSeverity: findings below the minimum are skipped, except a
// resolution, which archives what may have been imported before.
func TestExportMinSeverity(t *testing.T) {
	fake, exp := hub(t, 1)
	exp.MinSeverity = findings.Critical
	resolved := finding(2, findings.StatusResolved)
	rep := exp.Export(context.Background(), messages(finding(1, findings.StatusNew), resolved))
	if rep.Skipped != 1 || rep.Imported != 1 || len(fake.Findings()) != 1 {
		t.Fatalf("report = %+v", rep)
	}
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	good := event(finding(1, findings.StatusOpen), awsfake.Account)
	ev, err := securityhub.ParseEvent(good)
	if err != nil || ev.Account != awsfake.Account || ev.Region != awsfake.Region || ev.Detail.Status != findings.StatusOpen {
		t.Fatalf("ParseEvent = %+v, %v", ev, err)
	}
	for body, want := range map[string]string{
		``:   "not an EventBridge event",
		`{}`: "no source or detail-type",
		`{"source":"selfaudit","detail-type":"Selfaudit Finding"}`:                                "without a detail",
		`{"source":"selfaudit","detail-type":"Selfaudit Finding","detail":null}`:                  "without a detail",
		`{"source":"x","detail-type":"Selfaudit Finding","detail":{}}`:                            "not a finding event",
		`{"source":"selfaudit","detail-type":"Selfaudit Finding","detail":{"id":"1"}}`:            "empty check",
		`{"source":"selfaudit","detail-type":"Selfaudit Finding","detail":{"severity":"URGENT"}}`: "severity",
		string(good) + `{}`: "data after the event",
		strings.Replace(string(good), `"status":"OPEN"`, `"status":"CLOSED"`, 1): "CLOSED",
	} {
		if _, err := securityhub.ParseEvent([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseEvent(%.50q) = %v, want an error containing %q", body, err, want)
		}
	}
}

// anonymousFailure answers its first call with a failure that names no
// finding, then accepts everything.
type anonymousFailure struct{ calls int }

func (a *anonymousFailure) BatchImportFindings(_ context.Context, in *sh.BatchImportFindingsInput, _ ...func(*sh.Options)) (*sh.BatchImportFindingsOutput, error) {
	a.calls++
	if a.calls == 1 {
		return &sh.BatchImportFindingsOutput{FailedCount: aws.Int32(1), SuccessCount: aws.Int32(int32(len(in.Findings) - 1)),
			FailedFindings: []shtypes.ImportFindingsError{{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("?")}}}, nil
	}
	return &sh.BatchImportFindingsOutput{FailedCount: aws.Int32(0), SuccessCount: aws.Int32(int32(len(in.Findings)))}, nil
}

// TestExportUnplacedFailure: a failure that names no finding of the call
// sends the whole call again instead of counting every finding imported.
func TestExportUnplacedFailure(t *testing.T) {
	t.Parallel()
	c := &anonymousFailure{}
	exp := &securityhub.Exporter{Client: c, BaseDelay: time.Millisecond}
	rep := exp.Export(context.Background(), messages(finding(1, findings.StatusNew), finding(2, findings.StatusNew)))
	if c.calls != 2 || rep.Imported != 2 || len(rep.Failed) != 0 {
		t.Fatalf("calls %d, report %+v", c.calls, rep)
	}
	// When it never clears, every finding of the call is reported.
	exp.Attempts = 2
	var always alwaysAnonymous
	exp.Client = &always
	rep = exp.Export(context.Background(), messages(finding(1, findings.StatusNew), finding(2, findings.StatusNew)))
	if rep.Imported != 0 || len(rep.Failed) != 2 || always != 2 {
		t.Fatalf("calls %d, report %+v", always, rep)
	}
}

type alwaysAnonymous int

func (a *alwaysAnonymous) BatchImportFindings(_ context.Context, in *sh.BatchImportFindingsInput, _ ...func(*sh.Options)) (*sh.BatchImportFindingsOutput, error) {
	*a++
	return &sh.BatchImportFindingsOutput{FailedCount: aws.Int32(1)}, nil
}
