package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rs/zerolog"

	"github.com/selfaudit/selfaudit/shared/securityhub"
)

// stub is an exporter that fails the messages whose body contains "bad".
type stub struct{ got []securityhub.Message }

func (s *stub) Export(_ context.Context, msgs []securityhub.Message) securityhub.Report {
	s.got = append(s.got, msgs...)
	rep := securityhub.Report{Messages: len(msgs)}
	for _, m := range msgs {
		if strings.Contains(string(m.Body), "bad") {
			rep.Failed = append(rep.Failed, securityhub.Failure{Key: m.Key, Reason: "refused"})
		} else {
			rep.Imported++
		}
	}
	return rep
}

func ctx() context.Context { return zerolog.Nop().WithContext(context.Background()) }

func TestHandleSQSBatch(t *testing.T) {
	t.Parallel()
	s := &stub{}
	h := &handler{exporter: s}
	batch := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "a", Body: `{"ok":1}`}, {MessageId: "b", Body: `bad`}, {MessageId: "c", Body: `{}`}}}
	raw, _ := json.Marshal(batch)
	resp, err := h.Handle(ctx(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "b" || len(s.got) != 3 || s.got[0].Key != "a" {
		t.Fatalf("response %+v, exported %+v", resp, s.got)
	}
	// The answer is the shape Lambda reads for ReportBatchItemFailures.
	out, _ := json.Marshal(resp)
	if string(out) != `{"batchItemFailures":[{"itemIdentifier":"b"}]}` {
		t.Errorf("response JSON = %s", out)
	}
	// A record without an ID cannot be reported alone: the batch fails.
	raw, _ = json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{Body: "x"}}})
	if _, err := h.Handle(ctx(), raw); err == nil {
		t.Error("a record without a messageId was accepted")
	}
}

func TestHandleDirectEvent(t *testing.T) {
	t.Parallel()
	event, err := os.ReadFile("../../events/securityhub-exporter/finding-event.json")
	if err != nil {
		t.Fatal(err)
	}
	s := &stub{}
	h := &handler{exporter: s}
	if _, err := h.Handle(ctx(), event); err != nil || len(s.got) != 1 || string(s.got[0].Body) != string(event) {
		t.Fatalf("direct event: %v, exported %d", err, len(s.got))
	}
	if _, err := h.Handle(ctx(), json.RawMessage(`"bad"`)); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("a refused direct event: %v", err)
	}
}

// TestSampleBatch: the sample event is an SQS batch of finding events the
// engine parses.
func TestSampleBatch(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../events/securityhub-exporter/sqs-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	var batch events.SQSEvent
	if err := json.Unmarshal(raw, &batch); err != nil || len(batch.Records) != 3 {
		t.Fatalf("sample: %v", err)
	}
	for _, r := range batch.Records {
		if _, err := securityhub.ParseEvent([]byte(r.Body)); err != nil {
			t.Errorf("record %s: %v", r.MessageId, err)
		}
	}
}
