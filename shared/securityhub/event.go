package securityhub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/selfaudit/selfaudit/shared/findings"
)

// Event is a finding event of the findings bus as EventBridge delivers it
// to a queue or a function: the envelope and the tracked finding.
type Event struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	// Account and Region are the bus's, where the findings are imported.
	Account string           `json:"account"`
	Region  string           `json:"region"`
	Detail  findings.Tracked `json:"detail"`
}

// ParseEvent reads one finding event and checks it: the source and detail
// type of finding events (findings.EventSource, findings.EventDetailType)
// and a finding that keeps to the schema. The error says what is wrong.
func ParseEvent(body []byte) (Event, error) {
	var probe struct {
		Source     *string         `json:"source"`
		DetailType *string         `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&probe); err != nil {
		return Event{}, fmt.Errorf("not an EventBridge event: %w", err)
	}
	if dec.More() {
		return Event{}, errors.New("not an EventBridge event: data after the event")
	}
	if probe.Source == nil || probe.DetailType == nil {
		return Event{}, errors.New("not an EventBridge event: no source or detail-type")
	}
	if *probe.Source != findings.EventSource || *probe.DetailType != findings.EventDetailType {
		return Event{}, fmt.Errorf("event %q from %q is not a finding event (want %q from %q)", *probe.DetailType, *probe.Source, findings.EventDetailType, findings.EventSource)
	}
	if len(bytes.TrimSpace(probe.Detail)) == 0 || bytes.Equal(bytes.TrimSpace(probe.Detail), []byte("null")) {
		return Event{}, errors.New("finding event without a detail")
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return Event{}, fmt.Errorf("finding event: %w", err)
	}
	if err := ev.Detail.Validate(); err != nil {
		return Event{}, fmt.Errorf("finding event: %w", err)
	}
	if ev.Detail.Status != "" {
		if _, err := findings.ParseStatus(string(ev.Detail.Status)); err != nil && ev.Detail.Status != findings.StatusBaseline {
			return Event{}, fmt.Errorf("finding event of %s: %w", ev.Detail.ID, err)
		}
	}
	ev.Account, ev.Region = strings.TrimSpace(ev.Account), strings.TrimSpace(ev.Region)
	return ev, nil
}
