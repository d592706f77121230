package awsfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LookupEvent is one event CloudTrail's LookupEvents returns.
type LookupEvent struct {
	EventId     string `json:",omitempty"`
	EventName   string `json:",omitempty"`
	EventSource string `json:",omitempty"`
	Username    string `json:",omitempty"`
	// EventTime is in seconds since the epoch.
	EventTime float64 `json:",omitempty"`
	// CloudTrailEvent is the event's record, a JSON document as a string
	// (or, to test a reader, anything else).
	CloudTrailEvent string
}

// LookupAttribute is one filter of a LookupEvents call.
type LookupAttribute struct{ AttributeKey, AttributeValue string }

// Lookup is one LookupEvents call the fake answered.
type Lookup struct {
	At         time.Time
	Attributes []LookupAttribute
	NextToken  string
}

// CloudTrail fakes CloudTrail's LookupEvents in AWS JSON 1.1 (X-Amz-Target
// CloudTrail_20131101.LookupEvents, or the fully qualified
// com.amazonaws.cloudtrail.v20131101 form the service also accepts):
// Events filtered by the call's lookup attribute (EventId, EventName,
// EventSource or Username; one at most, as CloudTrail allows) in pages of
// PageSize (default 50, CloudTrail's most), newest first as given.
type CloudTrail struct {
	base
	Events   []LookupEvent
	PageSize int

	mu      sync.Mutex
	lookups []Lookup
}

// NewCloudTrail serves events.
func NewCloudTrail(events ...LookupEvent) *CloudTrail { return &CloudTrail{Events: events} }

// Service implements Fake.
func (*CloudTrail) Service() string { return "CloudTrail" }

// EndpointVar implements Fake.
func (*CloudTrail) EndpointVar() string { return "AWS_ENDPOINT_URL_CLOUDTRAIL" }

// Lookups returns the LookupEvents calls answered, in order, with the
// time each arrived.
func (c *CloudTrail) Lookups() []Lookup {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Lookup(nil), c.lookups...)
}

func (c *CloudTrail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if !strings.HasSuffix(target, "CloudTrail_20131101.LookupEvents") {
		writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "UnknownOperationException", "the fake serves LookupEvents only, not "+target)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != ctJSON11 {
		writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "SerializationException", "content type "+ct+", want "+ctJSON11)
		return
	}
	at := time.Now()
	body, _ := io.ReadAll(r.Body)
	if !c.admit(w, Call{Op: "LookupEvents", Request: r, Body: body}, json11Error) {
		return
	}
	var in struct {
		NextToken        string
		MaxResults       int
		LookupAttributes []LookupAttribute
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if len(in.LookupAttributes) > 1 {
		writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
		return
	}
	c.mu.Lock()
	c.lookups = append(c.lookups, Lookup{At: at, Attributes: in.LookupAttributes, NextToken: in.NextToken})
	c.mu.Unlock()
	var match []LookupEvent
	for _, e := range c.Events {
		if len(in.LookupAttributes) == 0 || lookupMatches(e, in.LookupAttributes[0]) {
			match = append(match, e)
		}
	}
	size := c.PageSize
	if size <= 0 || size > 50 {
		size = 50
	}
	if in.MaxResults > 0 && in.MaxResults < size {
		size = in.MaxResults
	}
	if in.NextToken != "" {
		if _, err := strconv.Atoi(in.NextToken); err != nil {
			writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "InvalidNextTokenException", "invalid NextToken")
			return
		}
	}
	items, next := page(match, in.NextToken, size)
	writeAWSJSON(w, ctJSON11, map[string]any{"Events": items, "NextToken": nilIfEmpty(next)})
}

func lookupMatches(e LookupEvent, a LookupAttribute) bool {
	switch a.AttributeKey {
	case "EventId":
		return e.EventId == a.AttributeValue
	case "EventName":
		return e.EventName == a.AttributeValue
	case "EventSource":
		return e.EventSource == a.AttributeValue
	case "Username":
		return e.Username == a.AttributeValue
	}
	return false
}
