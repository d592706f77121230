package fleettest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/selfaudit/selfaudit/shared/internal/testenv"
)

// Servers are the running fakes for one fleet.
type Servers struct {
	Fleet      *Fleet
	Lambda     *httptest.Server
	CloudWatch *httptest.Server
	Logs       *httptest.Server
	Events     *httptest.Server

	mu      sync.Mutex
	calls   testenv.CallCounter
	queries map[string]*query
	nextQID int
	events  []json.RawMessage
	resends testenv.Resends // PutEvents batches the SDK sent again
	byName  map[string]*Func
	byGroup map[string][]*Func
}

type query struct {
	groups []string
	polls  int
}

// Start serves fleet until the test ends.
func Start(t testing.TB, fleet *Fleet) *Servers {
	t.Helper()
	s := &Servers{Fleet: fleet, queries: map[string]*query{}, byName: map[string]*Func{}, byGroup: map[string][]*Func{}}
	for _, f := range fleet.Functions {
		s.byName[f.Name] = f
		s.byGroup[f.LogGroupName()] = append(s.byGroup[f.LogGroupName()], f)
	}
	s.Lambda = httptest.NewServer(http.HandlerFunc(s.serveLambda))
	s.CloudWatch = httptest.NewServer(http.HandlerFunc(s.serveCloudWatch))
	s.Logs = httptest.NewServer(http.HandlerFunc(s.serveLogs))
	s.Events = httptest.NewServer(http.HandlerFunc(s.serveEvents))
	t.Cleanup(func() {
		s.Lambda.Close()
		s.CloudWatch.Close()
		s.Logs.Close()
		s.Events.Close()
	})
	return s
}

// SetEnv sets fake credentials and region (testenv.FakeAWSEnv) and points
// the SDK at the servers through the standard endpoint variables. It uses
// t.Setenv, so the test must not be parallel.
func (s *Servers) SetEnv(t testing.TB) {
	t.Helper()
	testenv.FakeAWSEnv(t)
	for k, v := range s.EnvVars() {
		t.Setenv(k, v)
	}
}

// EnvVars are the endpoint variables for a child process.
func (s *Servers) EnvVars() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_LAMBDA":          s.Lambda.URL,
		"AWS_ENDPOINT_URL_CLOUDWATCH":      s.CloudWatch.URL,
		"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": s.Logs.URL,
		"AWS_ENDPOINT_URL_EVENTBRIDGE":     s.Events.URL,
	}
}

// Calls returns the number of calls answered per "Service.Operation".
func (s *Servers) Calls() map[string]int { return s.calls.Snapshot() }

// TotalCalls is the sum of Calls, without EventBridge.
func (s *Servers) TotalCalls() int {
	n := 0
	for k, v := range s.Calls() {
		if !strings.HasPrefix(k, "EventBridge.") {
			n += v
		}
	}
	return n
}

// ResetCalls zeroes the counters.
func (s *Servers) ResetCalls() { s.calls.Reset() }

// PublishedEvents returns the PutEvents entries received.
func (s *Servers) PublishedEvents() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.events...)
}

// count records one call of op; the SDK's retries of a call are counted
// apart (Retries), so call-count assertions hold on a loaded machine.
func (s *Servers) count(r *http.Request, op string) { s.calls.Add(r, op) }

// Retries returns how many SDK retries the servers answered.
func (s *Servers) Retries() int { return s.calls.Retries() }

// --- Lambda REST JSON ------------------------------------------------------

func lambdaError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	_ = json.NewEncoder(w).Encode(v)
}

// page slices items by a numeric marker.
func page[T any](items []T, marker string, size int) ([]T, string) {
	start, _ := strconv.Atoi(marker)
	start = max(0, min(start, len(items)))
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next
}

func (s *Servers) serveLambda(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		lambdaError(w, http.StatusMethodNotAllowed, "InvalidRequestContentException", "read-only fake: "+r.Method)
		return
	}
	path := strings.TrimSuffix(r.URL.EscapedPath(), "/")
	q := r.URL.Query()
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i := range parts {
		parts[i], _ = url.PathUnescape(parts[i])
	}
	switch {
	case path == "/2015-03-31/functions":
		s.count(r, "Lambda.ListFunctions")
		if q.Get("FunctionVersion") != "ALL" {
			lambdaError(w, 400, "InvalidParameterValueException", "this fake only lists FunctionVersion=ALL")
			return
		}
		var all []map[string]any
		for _, f := range s.Fleet.Functions {
			all = append(all, functionConfig(f, "$LATEST"))
			for _, v := range f.Versions {
				all = append(all, functionConfig(f, v))
			}
		}
		items, next := page(all, q.Get("Marker"), 50)
		writeJSON(w, "application/json", map[string]any{"Functions": items, "NextMarker": nilIfEmpty(next)})
	case path == "/2015-03-31/event-source-mappings":
		s.count(r, "Lambda.ListEventSourceMappings")
		var all []map[string]any
		for _, m := range s.Fleet.Mappings {
			em := map[string]any{"UUID": m.UUID, "FunctionArn": m.FunctionArn, "EventSourceArn": m.EventSourceArn, "State": "Enabled",
				"BatchSize": 100, "MaximumRetryAttempts": -1, "StartingPosition": "LATEST", "LastModified": 1.7e9}
			if m.OnFailure != "" {
				em["DestinationConfig"] = map[string]any{"OnFailure": map[string]any{"Destination": m.OnFailure}}
			}
			all = append(all, em)
		}
		items, next := page(all, q.Get("Marker"), 100)
		writeJSON(w, "application/json", map[string]any{"EventSourceMappings": items, "NextMarker": nilIfEmpty(next)})
	case len(parts) == 4 && parts[0] == "2015-03-31" && parts[3] == "aliases":
		s.count(r, "Lambda.ListAliases")
		f := s.byName[parts[2]]
		if f == nil {
			lambdaError(w, 404, "ResourceNotFoundException", "Function not found: "+FunctionARN(parts[2]))
			return
		}
		names := make([]string, 0, len(f.Aliases))
		for n := range f.Aliases {
			names = append(names, n)
		}
		sort.Strings(names)
		var all []map[string]any
		for _, n := range names {
			all = append(all, map[string]any{"AliasArn": f.ARN() + ":" + n, "Name": n, "FunctionVersion": f.Aliases[n], "RevisionId": "rev-" + n})
		}
		items, next := page(all, q.Get("Marker"), 50)
		writeJSON(w, "application/json", map[string]any{"Aliases": items, "NextMarker": nilIfEmpty(next)})
	case len(parts) == 4 && parts[0] == "2015-03-31" && parts[3] == "policy":
		s.count(r, "Lambda.GetPolicy")
		f := s.byName[parts[2]]
		doc := ""
		if f != nil {
			doc = f.Policies[q.Get("Qualifier")]
		}
		if doc == "" {
			lambdaError(w, 404, "ResourceNotFoundException", "The resource you requested does not exist.")
			return
		}
		writeJSON(w, "application/json", map[string]any{"Policy": doc, "RevisionId": "4c1f0b5e-policy"})
	case len(parts) == 5 && parts[0] == "2019-09-25" && parts[3] == "event-invoke-config" && parts[4] == "list":
		s.count(r, "Lambda.ListFunctionEventInvokeConfigs")
		f := s.byName[parts[2]]
		if f == nil {
			lambdaError(w, 404, "ResourceNotFoundException", "Function not found: "+FunctionARN(parts[2]))
			return
		}
		quals := make([]string, 0, len(f.OnFailure))
		for qual := range f.OnFailure {
			quals = append(quals, qual)
		}
		sort.Strings(quals)
		var all []map[string]any
		for _, qual := range quals {
			arn := f.ARN() + ":$LATEST"
			if qual != "" {
				arn = f.ARN() + ":" + qual
			}
			all = append(all, map[string]any{"FunctionArn": arn, "MaximumRetryAttempts": 2, "LastModified": 1.7e9,
				"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": f.OnFailure[qual]}}})
		}
		items, next := page(all, q.Get("Marker"), 50)
		writeJSON(w, "application/json", map[string]any{"FunctionEventInvokeConfigs": items, "NextMarker": nilIfEmpty(next)})
	default:
		lambdaError(w, 404, "UnknownOperationException", "no such route in the fake: "+path)
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// functionConfig is a FunctionConfiguration as ListFunctions returns it.
func functionConfig(f *Func, version string) map[string]any {
	rt, arch := f.Runtime, f.Arch
	if rt == "" {
		rt = "provided.al2023"
	}
	if arch == "" {
		arch = "arm64"
	}
	mem, timeout := f.MemoryMB, f.TimeoutS
	if mem == 0 {
		mem = 128
	}
	if timeout == 0 {
		timeout = 3
	}
	tracing := f.Tracing
	if tracing == "" {
		tracing = "PassThrough"
	}
	mod := f.LastModified
	if mod == "" {
		mod = "2025-06-01T10:00:00.000+0000"
	}
	format := f.LogFormat
	if format == "" {
		format = "Text"
	}
	arn := f.ARN()
	if version != "$LATEST" {
		arn += ":" + version
	}
	c := map[string]any{
		"FunctionName": f.Name, "FunctionArn": arn, "Runtime": rt, "Role": "arn:aws:iam::" + Account + ":role/" + f.Name + "-role",
		"Handler": "bootstrap", "CodeSize": 7340032, "Description": "", "Timeout": timeout, "MemorySize": mem,
		"LastModified": mod, "CodeSha256": "k7sQ0nYkqz1V2a9yT0c0YxS6lRk8u3dU1f4eWbqk2Zc=", "Version": version,
		"TracingConfig": map[string]any{"Mode": tracing}, "RevisionId": "9e0c4d5b-" + version,
		"PackageType": "Zip", "Architectures": []string{arch}, "EphemeralStorage": map[string]any{"Size": 512},
		"SnapStart":     map[string]any{"ApplyOn": "None", "OptimizationStatus": "Off"},
		"LoggingConfig": map[string]any{"LogFormat": format, "LogGroup": f.LogGroupName()},
	}
	if f.DLQ != "" {
		c["DeadLetterConfig"] = map[string]any{"TargetArn": f.DLQ}
	}
	if len(f.Env) > 0 {
		c["Environment"] = map[string]any{"Variables": f.Env}
	}
	return c
}

// --- CloudWatch Logs and EventBridge: AWS JSON 1.1 --------------------------

func jsonError(w http.ResponseWriter, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

func (s *Servers) serveEvents(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
		jsonError(w, "UnknownOperationException", "no such operation: "+r.Header.Get("X-Amz-Target"))
		return
	}
	s.count(r, "EventBridge.PutEvents")
	body, err := io.ReadAll(r.Body)
	var in struct {
		Entries []json.RawMessage `json:"Entries"`
	}
	if err != nil || json.Unmarshal(body, &in) != nil || len(in.Entries) > 10 {
		jsonError(w, "ValidationException", "bad PutEvents request")
		return
	}
	// A batch the SDK sent again after its answer was lost holds no new
	// events.
	if !s.resends.Seen(r, body) {
		s.mu.Lock()
		s.events = append(s.events, in.Entries...)
		s.mu.Unlock()
	}
	res := make([]map[string]string, len(in.Entries))
	for i := range res {
		res[i] = map[string]string{"EventId": fmt.Sprintf("ev-%d", i)}
	}
	writeJSON(w, "application/x-amz-json-1.1", map[string]any{"FailedEntryCount": 0, "Entries": res})
}

func (s *Servers) serveLogs(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "Logs_20140328.")
	if !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		jsonError(w, "UnknownOperationException", "not a CloudWatch Logs JSON 1.1 request: "+target)
		return
	}
	s.count(r, "Logs."+op)
	body, _ := io.ReadAll(r.Body)
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		jsonError(w, "SerializationException", err.Error())
		return
	}
	str := func(k string) string { var v string; _ = json.Unmarshal(in[k], &v); return v }
	const ct = "application/x-amz-json-1.1"
	switch op {
	case "DescribeLogGroups":
		prefix := str("logGroupNamePrefix")
		var groups []string
		for g := range s.byGroup {
			if strings.HasPrefix(g, prefix) {
				groups = append(groups, g)
			}
		}
		sort.Strings(groups)
		var all []map[string]any
		for _, g := range groups {
			f := s.byGroup[g][0]
			if f.NoLogGroup {
				continue
			}
			lg := map[string]any{"logGroupName": g, "creationTime": 1.7e12, "metricFilterCount": 0, "storedBytes": int64(f.LogBytes * 3),
				"arn": fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", Region, Account, g), "logGroupClass": "STANDARD",
				"logGroupArn": fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", Region, Account, g)}
			if f.RetentionDays > 0 {
				lg["retentionInDays"] = f.RetentionDays
			}
			all = append(all, lg)
		}
		items, next := page(all, str("nextToken"), 50)
		writeJSON(w, ct, map[string]any{"logGroups": items, "nextToken": nilIfEmpty(next)})
	case "StartQuery":
		if s.Fleet.InsightsDisabled {
			jsonError(w, "AccessDeniedException", "User is not authorized to perform: logs:StartQuery")
			return
		}
		var groups []string
		_ = json.Unmarshal(in["logGroupNames"], &groups)
		qs := str("queryString")
		if len(groups) == 0 || len(groups) > 50 {
			jsonError(w, "InvalidParameterException", fmt.Sprintf("logGroupNames must hold 1 to 50 names, got %d", len(groups)))
			return
		}
		if !strings.Contains(qs, "REPORT RequestId") || !strings.Contains(qs, "platform.report") || !strings.Contains(qs, "by @log") {
			jsonError(w, "MalformedQueryException", "the fake only answers the auditor's REPORT query")
			return
		}
		s.mu.Lock()
		s.nextQID++
		id := fmt.Sprintf("2f6c0a5e-%04d-4d3b-9a1e-5c7f0e2b8d41", s.nextQID)
		s.queries[id] = &query{groups: groups}
		s.mu.Unlock()
		writeJSON(w, ct, map[string]any{"queryId": id})
	case "GetQueryResults":
		s.mu.Lock()
		q := s.queries[str("queryId")]
		if q != nil {
			q.polls++
		}
		s.mu.Unlock()
		if q == nil {
			jsonError(w, "ResourceNotFoundException", "unknown query "+str("queryId"))
			return
		}
		if q.polls == 1 {
			writeJSON(w, ct, map[string]any{"status": "Running", "results": []any{}, "statistics": map[string]any{"recordsMatched": 0, "recordsScanned": 0, "bytesScanned": 0}})
			return
		}
		writeJSON(w, ct, map[string]any{"status": "Complete", "results": s.insightsResults(q.groups),
			"statistics": map[string]any{"recordsMatched": 1, "recordsScanned": 1, "bytesScanned": 1}})
	case "FilterLogEvents":
		g := str("logGroupName")
		fs := s.byGroup[g]
		if len(fs) == 0 || fs[0].NoLogGroup {
			jsonError(w, "ResourceNotFoundException", "The specified log group does not exist.")
			return
		}
		var all []map[string]any
		for i, line := range fs[0].Reports {
			if strings.HasPrefix(line, "REPORT RequestId") || strings.Contains(line, "platform.report") {
				all = append(all, map[string]any{"logStreamName": "2026/11/20/[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9",
					"timestamp": 1.7639e12 + float64(i), "ingestionTime": 1.7639e12 + float64(i) + 200, "message": line, "eventId": strconv.Itoa(i)})
			}
		}
		items, next := page(all, str("nextToken"), 100)
		writeJSON(w, ct, map[string]any{"events": items, "nextToken": nilIfEmpty(next), "searchedLogStreams": []any{}})
	default:
		jsonError(w, "UnknownOperationException", "the fake does not serve "+op)
	}
}

// insightsResults computes what the auditor's stats query returns, one row
// per group with REPORT lines, reading the lines with an implementation of
// its own rather than the auditor's parser.
func (s *Servers) insightsResults(groups []string) [][]map[string]string {
	var rows [][]map[string]string
	for _, g := range groups {
		fs := s.byGroup[g]
		if len(fs) == 0 {
			continue
		}
		var used []int
		for _, f := range fs {
			for _, line := range f.Reports {
				if v, ok := insightsUsedMB(line); ok {
					used = append(used, v)
				}
			}
		}
		if len(used) == 0 {
			continue
		}
		sort.Ints(used)
		rank := (99*len(used) + 99) / 100
		rows = append(rows, []map[string]string{
			{"field": "@log", "value": Account + ":" + g},
			{"field": "reports", "value": strconv.Itoa(len(used))},
			{"field": "peakMB", "value": strconv.Itoa(used[len(used)-1])},
			{"field": "p99MB", "value": strconv.Itoa(used[rank-1])},
		})
	}
	return rows
}

func insightsUsedMB(line string) (int, bool) {
	if strings.HasPrefix(line, "REPORT RequestId:") {
		_, rest, ok := strings.Cut(line, "Max Memory Used: ")
		if !ok {
			return 0, false
		}
		num, _, _ := strings.Cut(rest, " MB")
		v, err := strconv.Atoi(num)
		return v, err == nil
	}
	var ev struct {
		Type   string `json:"type"`
		Record struct {
			Metrics struct {
				MaxMemoryUsedMB *int `json:"maxMemoryUsedMB"`
			} `json:"metrics"`
		} `json:"record"`
	}
	if json.Unmarshal([]byte(line), &ev) != nil || ev.Type != "platform.report" || ev.Record.Metrics.MaxMemoryUsedMB == nil {
		return 0, false
	}
	return *ev.Record.Metrics.MaxMemoryUsedMB, true
}
