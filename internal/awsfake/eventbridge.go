package awsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// EventBridge limits of PutEvents.
const (
	// MaxPutEntries is the most entries one PutEvents call may carry.
	MaxPutEntries = 10
	// MaxPutBytes is the most the entries of one call may weigh, counted
	// as EventBridge counts them (see EntrySize).
	MaxPutBytes = 256 * 1024
)

// Entry is one PutEvents entry as received.
type Entry struct {
	Source       string   `json:"Source"`
	DetailType   string   `json:"DetailType"`
	Detail       string   `json:"Detail"`
	EventBusName string   `json:"EventBusName"`
	Resources    []string `json:"Resources"`
	Time         *float64 `json:"Time,omitempty"`
}

// EntrySize is an entry's size as EventBridge computes it against the
// 256 KB limit: 14 bytes for a Time, then the UTF-8 bytes of Source,
// DetailType, Detail and every resource.
func EntrySize(e Entry) int {
	n := len(e.Source) + len(e.DetailType) + len(e.Detail)
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// EventBridge fakes PutEvents (AWS JSON 1.1, X-Amz-Target
// AWSEvents.PutEvents) with its limits: 1 to 10 entries and 256 KB a
// call, else ValidationException. It records each call's entries once: a
// batch the SDK sends again after its answer was lost (Resends) is
// answered but not recorded again. FailEntry fails single entries the way
// EventBridge does, inside a 200 answer.
type EventBridge struct {
	base
	// FailEntry, when set, decides per entry: a non-empty code fails the
	// entry with that ErrorCode and message.
	FailEntry func(Entry) (code, message string)

	mu       sync.Mutex
	batches  [][]Entry
	rejected []string
	resends  Resends
}

// NewEventBridge returns a bus that accepts every entry.
func NewEventBridge() *EventBridge { return &EventBridge{} }

// Service implements Fake.
func (*EventBridge) Service() string { return "EventBridge" }

// EndpointVar implements Fake.
func (*EventBridge) EndpointVar() string { return "AWS_ENDPOINT_URL_EVENTBRIDGE" }

// Batches returns the entries of each recorded PutEvents call, in order.
func (e *EventBridge) Batches() [][]Entry {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][]Entry(nil), e.batches...)
}

// Entries returns every recorded entry, failed ones included.
func (e *EventBridge) Entries() []Entry {
	var out []Entry
	for _, b := range e.Batches() {
		out = append(out, b...)
	}
	return out
}

// Details returns the decoded Detail of every recorded entry: for
// selfaudit, the findings.
func (e *EventBridge) Details() []map[string]any {
	var out []map[string]any
	for _, en := range e.Entries() {
		var d map[string]any
		if json.Unmarshal([]byte(en.Detail), &d) == nil {
			out = append(out, d)
		}
	}
	return out
}

// Rejected lists the requests refused before any entry was looked at:
// another target or content type, a body that is not JSON, a limit
// broken.
func (e *EventBridge) Rejected() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.rejected...)
}

func (e *EventBridge) reject(w http.ResponseWriter, typ, msg string) {
	e.mu.Lock()
	e.rejected = append(e.rejected, typ+": "+msg)
	e.mu.Unlock()
	writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, typ, msg)
}

func (e *EventBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target, ct := r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type")
	if target != "AWSEvents.PutEvents" {
		e.reject(w, "UnknownOperationException", "the fake serves AWSEvents.PutEvents only, not "+target)
		return
	}
	if !strings.HasPrefix(ct, ctJSON11) {
		e.reject(w, "SerializationException", "content type "+ct+", want "+ctJSON11)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if !e.admit(w, Call{Op: "PutEvents", Request: r, Body: body}, json11Error) {
		return
	}
	var in struct{ Entries []Entry }
	if err := json.Unmarshal(body, &in); err != nil {
		e.reject(w, "SerializationException", err.Error())
		return
	}
	if n := len(in.Entries); n < 1 || n > MaxPutEntries {
		e.reject(w, "ValidationException", fmt.Sprintf("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and %d (got %d)", MaxPutEntries, n))
		return
	}
	size := 0
	for _, en := range in.Entries {
		size += EntrySize(en)
	}
	if size > MaxPutBytes {
		e.reject(w, "ValidationException", fmt.Sprintf("Total size of the entries in the request is over the limit (%d bytes, limit %d).", size, MaxPutBytes))
		return
	}
	// A batch the SDK sent again after its answer was lost is not a new
	// batch.
	if !e.resends.Seen(r, body) {
		e.mu.Lock()
		e.batches = append(e.batches, in.Entries)
		e.mu.Unlock()
	}
	type result struct {
		EventId      string `json:",omitempty"`
		ErrorCode    string `json:",omitempty"`
		ErrorMessage string `json:",omitempty"`
	}
	out := struct {
		FailedEntryCount int
		Entries          []result
	}{Entries: make([]result, len(in.Entries))}
	for i, en := range in.Entries {
		if e.FailEntry != nil {
			if code, msg := e.FailEntry(en); code != "" {
				out.FailedEntryCount++
				out.Entries[i] = result{ErrorCode: code, ErrorMessage: msg}
				continue
			}
		}
		out.Entries[i] = result{EventId: fmt.Sprintf("11710aed-b79e-4468-a20b-bb3c0c3b%04d", i)}
	}
	writeAWSJSON(w, ctJSON11, out)
}
