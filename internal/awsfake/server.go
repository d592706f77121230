package awsfake

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
)

// Fake is one fake service.
type Fake interface {
	http.Handler
	// Service is the service's name in call counts ("Lambda", "IAM", ...).
	Service() string
	// EndpointVar is the SDK's endpoint variable for the service
	// (AWS_ENDPOINT_URL_LAMBDA, ...).
	EndpointVar() string
	// Calls counts the calls the fake answered.
	Calls() *CallCounter
}

// Servers are fakes running behind loopback HTTP servers until the test
// ends.
type Servers struct {
	fakes   []Fake
	servers map[Fake]*httptest.Server
}

// Serve starts one server per fake.
func Serve(t testing.TB, fakes ...Fake) *Servers {
	t.Helper()
	s := &Servers{fakes: fakes, servers: map[Fake]*httptest.Server{}}
	for _, f := range fakes {
		srv := httptest.NewServer(f)
		s.servers[f] = srv
		t.Cleanup(srv.Close)
	}
	return s
}

// URL is the base URL of f's server.
func (s *Servers) URL(f Fake) string { return s.servers[f].URL }

// Close stops f's server, so that every later call to it fails.
func (s *Servers) Close(f Fake) { s.servers[f].Close() }

// Env is the endpoint variables pointing at the servers, for a child
// process, sorted.
func (s *Servers) Env() []string {
	var out []string
	for _, f := range s.fakes {
		out = append(out, f.EndpointVar()+"="+s.servers[f].URL)
	}
	sort.Strings(out)
	return out
}

// Setenv points this process's SDK clients at the servers. It uses
// t.Setenv, so the test must not be parallel.
func (s *Servers) Setenv(t testing.TB) {
	t.Helper()
	for _, f := range s.fakes {
		t.Setenv(f.EndpointVar(), s.servers[f].URL)
	}
}

// Calls returns the calls answered per "Service.Operation" over every
// fake (SDK retries apart, see CallCounter).
func (s *Servers) Calls() map[string]int {
	out := map[string]int{}
	for _, f := range s.fakes {
		for op, n := range f.Calls().Snapshot() {
			out[f.Service()+"."+op] += n
		}
	}
	return out
}

// TotalCalls sums Calls over every fake but the services named in except.
func (s *Servers) TotalCalls(except ...string) int {
	n := 0
	for _, f := range s.fakes {
		skip := false
		for _, e := range except {
			skip = skip || e == f.Service()
		}
		if !skip {
			n += f.Calls().Total()
		}
	}
	return n
}

// Retries returns the SDK retries the fakes answered.
func (s *Servers) Retries() int {
	n := 0
	for _, f := range s.fakes {
		n += f.Calls().Retries()
	}
	return n
}

// ResetCalls zeroes every fake's counts.
func (s *Servers) ResetCalls() {
	for _, f := range s.fakes {
		f.Calls().Reset()
	}
}

// Fleet is the fakes of one Estate, running: its Lambda control plane,
// CloudWatch, CloudWatch Logs and an EventBridge bus for the findings.
type Fleet struct {
	*Servers
	Estate     *Estate
	Lambda     *Lambda
	CloudWatch *CloudWatch
	Logs       *Logs
	Events     *EventBridge
}

// StartFleet serves estate until the test ends.
func StartFleet(t testing.TB, estate *Estate) *Fleet {
	t.Helper()
	a := &Fleet{Estate: estate, Lambda: NewLambda(estate), CloudWatch: NewCloudWatch(estate), Logs: NewLogs(estate), Events: NewEventBridge()}
	a.Servers = Serve(t, a.Lambda, a.CloudWatch, a.Logs, a.Events)
	return a
}
