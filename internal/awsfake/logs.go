package awsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Logs fakes the CloudWatch Logs operations of the fleet auditor over an
// Estate, in AWS JSON 1.1 (X-Amz-Target Logs_20140328.*):
// DescribeLogGroups (pages of 50), StartQuery (1 to 50 log groups; only
// the auditor's REPORT query), GetQueryResults (Running on the first poll,
// then Complete, computed from the estate's REPORT lines) and
// FilterLogEvents (pages of 100).
type Logs struct {
	base
	Estate *Estate

	mu      sync.Mutex
	queries map[string]*query
	nextQID int
}

type query struct {
	groups []string
	polls  int
}

// NewLogs serves estate.
func NewLogs(estate *Estate) *Logs { return &Logs{Estate: estate, queries: map[string]*query{}} }

// Service implements Fake.
func (*Logs) Service() string { return "Logs" }

// EndpointVar implements Fake.
func (*Logs) EndpointVar() string { return "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS" }

func jsonError(w http.ResponseWriter, typ, msg string) {
	writeAWSJSONError(w, ctJSON11, http.StatusBadRequest, typ, msg)
}

func (s *Logs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "Logs_20140328.")
	if !ok || r.Header.Get("Content-Type") != ctJSON11 {
		jsonError(w, "UnknownOperationException", "not a CloudWatch Logs JSON 1.1 request: "+target)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if !s.admit(w, Call{Op: op, Request: r, Body: body}, json11Error) {
		return
	}
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
		groupsOf := s.Estate.groups()
		for g := range groupsOf {
			if strings.HasPrefix(g, prefix) {
				groups = append(groups, g)
			}
		}
		sort.Strings(groups)
		var all []map[string]any
		for _, g := range groups {
			f := groupsOf[g][0]
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
		writeAWSJSON(w, ct, map[string]any{"logGroups": items, "nextToken": nilIfEmpty(next)})
	case "StartQuery":
		if s.Estate.InsightsDisabled {
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
		writeAWSJSON(w, ct, map[string]any{"queryId": id})
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
			writeAWSJSON(w, ct, map[string]any{"status": "Running", "results": []any{}, "statistics": map[string]any{"recordsMatched": 0, "recordsScanned": 0, "bytesScanned": 0}})
			return
		}
		writeAWSJSON(w, ct, map[string]any{"status": "Complete", "results": s.insightsResults(q.groups),
			"statistics": map[string]any{"recordsMatched": 1, "recordsScanned": 1, "bytesScanned": 1}})
	case "FilterLogEvents":
		g := str("logGroupName")
		fs := s.Estate.inGroup(g)
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
		writeAWSJSON(w, ct, map[string]any{"events": items, "nextToken": nilIfEmpty(next), "searchedLogStreams": []any{}})
	default:
		jsonError(w, "UnknownOperationException", "the fake does not serve "+op)
	}
}

// insightsResults computes what the auditor's stats query returns, one row
// per group with REPORT lines, reading the lines with an implementation of
// its own rather than the auditor's parser.
func (s *Logs) insightsResults(groups []string) [][]map[string]string {
	var rows [][]map[string]string
	for _, g := range groups {
		fs := s.Estate.inGroup(g)
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
