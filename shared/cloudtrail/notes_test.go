package cloudtrail

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestUnreadablePolicyIsANote: a resource policy that does not parse is
// not judged; the report says so in a note (the first 20, then a count),
// and no finding is made of it.
func TestUnreadablePolicyIsANote(t *testing.T) {
	t.Parallel()
	a := NewAnalyzer(Options{Workers: 1, Now: func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) }})
	for i := range 23 {
		rec := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},"eventTime":"2026-11-21T10:00:00Z","eventSource":"sqs.amazonaws.com","eventName":"SetQueueAttributes","awsRegion":"eu-west-1","requestParameters":{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/q%d","attributes":{"Policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\""}},"eventID":"e-%d","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`, i, i)
		if err := a.AddRecord(context.Background(), []byte(rec), "test"); err != nil {
			t.Fatal(err)
		}
	}
	fs, st, err := a.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Check == "CT003" {
			t.Errorf("unreadable policy became a finding: %+v", f)
		}
	}
	var policyNotes int
	var more string
	for _, n := range st.Notes {
		if strings.HasPrefix(n, "CT003: the SQS queue policy written by SetQueueAttributes") && strings.Contains(n, "could not be read") {
			policyNotes++
		}
		if strings.HasPrefix(n, "3 more records could not be judged") {
			more = n
		}
	}
	if policyNotes != maxRuleNotes || more == "" {
		t.Errorf("notes = %q; want %d policy notes and a count of 3 more", st.Notes, maxRuleNotes)
	}
}
