package awsfake

import (
	"cmp"
	"context"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Lambda fakes the Lambda REST JSON API over an Estate: ListFunctions
// (FunctionVersion=ALL lists every version), GetFunctionConfiguration,
// GetPolicy, ListAliases, ListEventSourceMappings,
// GetFunctionEventInvokeConfig, ListFunctionEventInvokeConfigs,
// GetFunctionConcurrency and, when Invoke is set, Invoke. Function names may be ARNs, qualified or not.
// Errors are Lambda's: the status, X-Amzn-ErrorType and a JSON message.
type Lambda struct {
	base
	Estate *Estate
	// PageSize is the most items of a ListFunctions page (default 50, as
	// Lambda); a smaller MaxItems of the request wins.
	PageSize int
	// Invoke runs invocations; nil answers every Invoke with
	// ResourceNotFoundException. It is called with InvocationType DryRun
	// to learn whether a function can be invoked (answer Err, e.g.
	// FunctionNotFound, or nothing), and for Event invocations first with
	// DryRun, then (after the 202) with Event.
	Invoke func(ctx context.Context, req InvokeRequest) InvokeResult

	mu          sync.Mutex
	invocations []Invocation
	async       sync.WaitGroup
}

// InvokeRequest is one invocation the fake received.
type InvokeRequest struct {
	Function       string
	Qualifier      string
	InvocationType string // RequestResponse, Event or DryRun
	Payload        []byte
	// Retry marks an SDK retry (IsSDKRetry): the caller asked once, and
	// an answer it never read made the SDK send the call again.
	Retry bool
}

// InvokeResult is the answer to an invocation.
type InvokeResult struct {
	Payload []byte
	// FunctionError is X-Amz-Function-Error ("Unhandled") when the
	// function failed.
	FunctionError string
	// Delay holds the answer back, to test latency budgets.
	Delay time.Duration
	// Err fails the call itself: an *APIError is answered as is,
	// anything else as a 502 ServiceException.
	Err error
}

// Invocation is one invocation and its result.
type Invocation struct {
	InvokeRequest
	Result InvokeResult
}

// FunctionNotFound is Lambda's answer for an unknown function.
func FunctionNotFound(name string) *APIError {
	return &APIError{Status: http.StatusNotFound, Type: "ResourceNotFoundException", Message: "Function not found: " + FunctionARN(name)}
}

// NewLambda serves estate (a new empty one when nil).
func NewLambda(estate *Estate) *Lambda {
	if estate == nil {
		estate = &Estate{}
	}
	return &Lambda{Estate: estate}
}

// Service implements Fake.
func (*Lambda) Service() string { return "Lambda" }

// EndpointVar implements Fake.
func (*Lambda) EndpointVar() string { return "AWS_ENDPOINT_URL_LAMBDA" }

// Put adds a function to the estate.
func (l *Lambda) Put(f *Function) { l.Estate.Put(f) }

// Invocations returns the invocations received so far, after waiting for
// queued Event invocations to finish.
func (l *Lambda) Invocations() []Invocation {
	l.async.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Invocation(nil), l.invocations...)
}

func (l *Lambda) record(inv Invocation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.invocations = append(l.invocations, inv)
}

// route names the operation of a request and the function it is about.
func route(method string, parts []string) (op, name string) {
	n := len(parts)
	switch {
	case n == 2 && parts[0] == "2015-03-31" && parts[1] == "functions" && method == http.MethodGet:
		return "ListFunctions", ""
	case n == 2 && parts[0] == "2015-03-31" && parts[1] == "event-source-mappings" && method == http.MethodGet:
		return "ListEventSourceMappings", ""
	case n == 4 && parts[1] == "functions" && method == http.MethodGet && parts[3] == "configuration":
		return "GetFunctionConfiguration", parts[2]
	case n == 4 && parts[1] == "functions" && method == http.MethodGet && parts[3] == "policy":
		return "GetPolicy", parts[2]
	case n == 4 && parts[1] == "functions" && method == http.MethodGet && parts[3] == "aliases":
		return "ListAliases", parts[2]
	case n == 4 && parts[1] == "functions" && method == http.MethodPost && parts[3] == "invocations":
		return "Invoke", parts[2]
	case n == 4 && parts[0] == "2019-09-30" && parts[1] == "functions" && method == http.MethodGet && parts[3] == "concurrency":
		return "GetFunctionConcurrency", parts[2]
	case n == 4 && parts[0] == "2019-09-25" && method == http.MethodGet && parts[3] == "event-invoke-config":
		return "GetFunctionEventInvokeConfig", parts[2]
	case n == 5 && parts[0] == "2019-09-25" && method == http.MethodGet && parts[3] == "event-invoke-config" && parts[4] == "list":
		return "ListFunctionEventInvokeConfigs", parts[2]
	}
	return "", ""
}

// splitName turns a function name, ARN or partial ARN, maybe qualified,
// into the name and the qualifier.
func splitName(s string) (name, qualifier string) {
	if i := strings.LastIndex(s, ":function:"); i >= 0 {
		s = s[i+len(":function:"):]
	}
	name, qualifier, _ = strings.Cut(s, ":")
	return name, qualifier
}

func (l *Lambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.EscapedPath(), "/")
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i := range parts {
		parts[i], _ = url.PathUnescape(parts[i])
	}
	op, raw := route(r.Method, parts)
	if op == "" {
		writeLambdaError(w, http.StatusNotFound, "UnknownOperationException", "no such route in the fake: "+r.Method+" "+path)
		return
	}
	name, qualifier := splitName(raw)
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		qualifier = q
	}
	var body []byte
	if r.Method == http.MethodPost {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return
		}
	}
	if !l.admit(w, Call{Op: op, Resource: name, Request: r, Body: body}, restError) {
		return
	}
	q := r.URL.Query()
	switch op {
	case "ListFunctions":
		l.listFunctions(w, q)
	case "ListEventSourceMappings":
		l.listMappings(w, q)
	case "Invoke":
		l.invoke(w, r, InvokeRequest{Function: name, Qualifier: qualifier, Payload: body, Retry: IsSDKRetry(r),
			InvocationType: cmp.Or(r.Header.Get("X-Amz-Invocation-Type"), "RequestResponse")})
	default:
		f := l.Estate.Lookup(name)
		if f == nil {
			restError(w, FunctionNotFound(name), op)
			return
		}
		switch op {
		case "GetFunctionConfiguration":
			version := qualifier
			if v, ok := f.Aliases[qualifier]; ok {
				version = v
			}
			version = cmp.Or(version, "$LATEST")
			if version != "$LATEST" && !slices.Contains(f.Versions, version) {
				restError(w, &APIError{Status: http.StatusNotFound, Type: "ResourceNotFoundException", Message: "Function not found: " + f.ARN() + ":" + qualifier}, op)
				return
			}
			writeREST(w, functionConfig(f, version))
		case "GetFunctionConcurrency":
			out := map[string]any{}
			if f.ReservedConcurrency > 0 {
				out["ReservedConcurrentExecutions"] = f.ReservedConcurrency
			}
			writeREST(w, out)
		case "GetPolicy":
			doc := f.Policies[qualifier]
			if doc == "" {
				restError(w, &APIError{Status: http.StatusNotFound, Type: "ResourceNotFoundException", Message: "The resource you requested does not exist."}, op)
				return
			}
			writeREST(w, map[string]any{"Policy": doc, "RevisionId": "4c1f0b5e-policy"})
		case "ListAliases":
			var all []map[string]any
			for _, n := range slices.Sorted(maps.Keys(f.Aliases)) {
				all = append(all, map[string]any{"AliasArn": f.ARN() + ":" + n, "Name": n, "FunctionVersion": f.Aliases[n], "RevisionId": "rev-" + n})
			}
			l.page(w, op, "Aliases", all, q, 50)
		case "GetFunctionEventInvokeConfig":
			c, ok := eventInvokeConfig(f, qualifier)
			if !ok {
				restError(w, &APIError{Status: http.StatusNotFound, Type: "ResourceNotFoundException", Message: "The function " + f.ARN() + " has no event invoke config for " + cmp.Or(qualifier, "$LATEST")}, op)
				return
			}
			writeREST(w, c)
		case "ListFunctionEventInvokeConfigs":
			var all []map[string]any
			for _, qual := range slices.Sorted(maps.Keys(f.OnFailure)) {
				c, _ := eventInvokeConfig(f, qual)
				all = append(all, c)
			}
			l.page(w, op, "FunctionEventInvokeConfigs", all, q, 50)
		}
	}
}

func eventInvokeConfig(f *Function, qualifier string) (map[string]any, bool) {
	dest, ok := f.OnFailure[qualifier]
	if !ok && qualifier == "$LATEST" {
		dest, ok = f.OnFailure[""]
	}
	if !ok {
		return nil, false
	}
	arn := f.ARN() + ":" + cmp.Or(qualifier, "$LATEST")
	return map[string]any{"FunctionArn": arn, "MaximumRetryAttempts": 2, "LastModified": 1.7e9,
		"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": dest}}}, true
}

// page answers one page of items under key, by a numeric Marker.
func (l *Lambda) page(w http.ResponseWriter, op, key string, items []map[string]any, q url.Values, size int) {
	if m := q.Get("MaxItems"); m != "" {
		if n, err := strconv.Atoi(m); err == nil && n > 0 && n < size {
			size = n
		}
	}
	start := 0
	if m := q.Get("Marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(items) {
			restError(w, &APIError{Status: http.StatusBadRequest, Type: "InvalidParameterValueException", Message: "invalid Marker " + m}, op)
			return
		}
		start = n
	}
	end := min(start+size, len(items))
	out := map[string]any{key: items[start:end]}
	if end < len(items) {
		out["NextMarker"] = strconv.Itoa(end)
	}
	writeREST(w, out)
}

func (l *Lambda) listFunctions(w http.ResponseWriter, q url.Values) {
	all := q.Get("FunctionVersion") == "ALL"
	var items []map[string]any
	for _, f := range l.Estate.functions() {
		items = append(items, functionConfig(f, "$LATEST"))
		if all {
			for _, v := range f.Versions {
				items = append(items, functionConfig(f, v))
			}
		}
	}
	size := l.PageSize
	if size <= 0 {
		size = 50
	}
	l.page(w, "ListFunctions", "Functions", items, q, size)
}

func (l *Lambda) listMappings(w http.ResponseWriter, q url.Values) {
	want, _ := splitName(q.Get("FunctionName"))
	var items []map[string]any
	for _, m := range l.Estate.Mappings {
		if n, _ := splitName(m.FunctionArn); want != "" && n != want {
			continue
		}
		em := map[string]any{"UUID": m.UUID, "FunctionArn": m.FunctionArn, "EventSourceArn": m.EventSourceArn, "State": "Enabled",
			"BatchSize": 100, "MaximumRetryAttempts": -1, "StartingPosition": "LATEST", "LastModified": 1.7e9}
		if m.OnFailure != "" {
			em["DestinationConfig"] = map[string]any{"OnFailure": map[string]any{"Destination": m.OnFailure}}
		}
		items = append(items, em)
	}
	l.page(w, "ListEventSourceMappings", "EventSourceMappings", items, q, 100)
}

func (l *Lambda) invoke(w http.ResponseWriter, r *http.Request, req InvokeRequest) {
	if l.Invoke == nil {
		l.record(Invocation{InvokeRequest: req, Result: InvokeResult{Err: FunctionNotFound(req.Function)}})
		restError(w, FunctionNotFound(req.Function), "Invoke")
		return
	}
	switch req.InvocationType {
	case "DryRun", "Event":
		probe := req
		probe.InvocationType = "DryRun"
		if res := l.Invoke(r.Context(), probe); res.Err != nil {
			l.record(Invocation{InvokeRequest: req, Result: res})
			writeInvokeErr(w, res.Err)
			return
		}
		if req.InvocationType == "DryRun" {
			l.record(Invocation{InvokeRequest: req})
			w.WriteHeader(http.StatusNoContent)
			return
		}
		l.async.Add(1)
		go func() {
			defer l.async.Done()
			l.record(Invocation{InvokeRequest: req, Result: l.Invoke(context.Background(), req)})
		}()
		w.WriteHeader(http.StatusAccepted)
	case "RequestResponse":
		res := l.Invoke(r.Context(), req)
		l.record(Invocation{InvokeRequest: req, Result: res})
		if res.Delay > 0 {
			select {
			case <-time.After(res.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if res.Err != nil {
			writeInvokeErr(w, res.Err)
			return
		}
		w.Header().Set("Content-Type", ctREST)
		w.Header().Set("X-Amz-Executed-Version", cmp.Or(req.Qualifier, "$LATEST"))
		if res.FunctionError != "" {
			w.Header().Set("X-Amz-Function-Error", res.FunctionError)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.Payload)
	default:
		writeLambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", "unknown invocation type "+req.InvocationType)
	}
}

func writeInvokeErr(w http.ResponseWriter, err error) {
	if e, ok := err.(*APIError); ok {
		restError(w, e, "Invoke")
		return
	}
	writeLambdaError(w, http.StatusBadGateway, "ServiceException", err.Error())
}

// functionConfig is a FunctionConfiguration as Lambda returns it.
func functionConfig(f *Function, version string) map[string]any {
	mem, timeout := f.MemoryMB, f.TimeoutS
	if mem == 0 {
		mem = 128
	}
	if timeout == 0 {
		timeout = 3
	}
	arn := f.ARN()
	if version != "$LATEST" {
		arn += ":" + version
	}
	c := map[string]any{
		"FunctionName": f.Name, "FunctionArn": arn, "Runtime": cmp.Or(f.Runtime, "provided.al2023"),
		"Role":    cmp.Or(f.Role, "arn:aws:iam::"+Account+":role/"+f.Name+"-role"),
		"Handler": cmp.Or(f.Handler, "bootstrap"), "CodeSize": 7340032, "Description": "", "Timeout": timeout, "MemorySize": mem,
		"LastModified": cmp.Or(f.LastModified, "2025-06-01T10:00:00.000+0000"), "CodeSha256": "k7sQ0nYkqz1V2a9yT0c0YxS6lRk8u3dU1f4eWbqk2Zc=", "Version": version,
		"TracingConfig": map[string]any{"Mode": cmp.Or(f.Tracing, "PassThrough")}, "RevisionId": "9e0c4d5b-" + version,
		"PackageType": "Zip", "Architectures": []string{cmp.Or(f.Arch, "arm64")}, "EphemeralStorage": map[string]any{"Size": 512},
		"SnapStart":     map[string]any{"ApplyOn": "None", "OptimizationStatus": "Off"},
		"LoggingConfig": map[string]any{"LogFormat": cmp.Or(f.LogFormat, "Text"), "LogGroup": f.LogGroupName()},
		"State":         "Active", "LastUpdateStatus": "Successful",
	}
	if f.DLQ != "" {
		c["DeadLetterConfig"] = map[string]any{"TargetArn": f.DLQ}
	}
	if len(f.Env) > 0 {
		c["Environment"] = map[string]any{"Variables": f.Env}
	}
	return c
}

// HealthyFunction is a function, published as the given versions, whose
// configuration passes every check of the pre-traffic hook.
func HealthyFunction(name string, versions ...string) *Function {
	return &Function{Name: name, MemoryMB: 256, TimeoutS: 10, Tracing: "Active", Versions: versions,
		Env: map[string]string{"LOG_LEVEL": "info", "TABLE_NAME": "selfaudit-prod-Table-1ABC2DEF3GH"}}
}
