package awsfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// SSM fakes Parameter Store's GetParameter in AWS JSON 1.1 (X-Amz-Target
// AmazonSSM.GetParameter): String parameters from a map, and
// ParameterNotFound for the others.
type SSM struct {
	base
	mu     sync.Mutex
	params map[string]string
}

// NewSSM returns a store with no parameters.
func NewSSM() *SSM { return &SSM{params: map[string]string{}} }

// Service implements Fake.
func (*SSM) Service() string { return "SSM" }

// EndpointVar implements Fake.
func (*SSM) EndpointVar() string { return "AWS_ENDPOINT_URL_SSM" }

// Put sets a parameter.
func (s *SSM) Put(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.params[name] = value
}

func (s *SSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.")
	if !ok || op != "GetParameter" {
		writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "UnknownOperationException", "the fake serves AmazonSSM.GetParameter only")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != ctJSON11 {
		writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "SerializationException", "content type "+ct+", want "+ctJSON11)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var in struct{ Name string }
	if err := json.Unmarshal(body, &in); err != nil {
		writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if !s.admit(w, Call{Op: op, Resource: in.Name, Request: r, Body: body}, json11Error) {
		return
	}
	s.mu.Lock()
	v, found := s.params[in.Name]
	s.mu.Unlock()
	if !found {
		writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, "ParameterNotFound", "Parameter "+in.Name+" not found.")
		return
	}
	writeAWSJSON(w, ctJSON11, map[string]any{"Parameter": map[string]any{"Name": in.Name, "Type": "String", "Value": v, "Version": 1,
		"ARN": "arn:aws:ssm:" + Region + ":" + Account + ":parameter/" + strings.TrimPrefix(in.Name, "/"), "DataType": "text"}})
}
