package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// costRun runs `selfaudit cost args...` in-process.
func costRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run(context.Background(), env, append([]string{"cost"}, args...))
	return code, out.String(), errOut.String()
}

func TestCostJSON(t *testing.T) {
	t.Parallel()
	// 512 MB, 800 ms, 3,000,000 requests, 2 KB of logs each, x86_64, 30 days:
	// compute 0.5 GB * 0.8 s * 3e6 = 1,200,000 GB-s * 0.0000166667 = 20.00004
	// requests 3 * 0.20 = 0.60; logs 6,144,000,000 B = 5.7220458984375 GB * 0.50 = 2.86102294921875
	code, out, errOut := costRun(t, "--memory", "512", "--duration", "800ms", "--invocations", "3M", "--log-kb", "2", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]float64
	dec := json.NewDecoder(strings.NewReader(out))
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got = map[string]float64{}
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			got[k] = f
		}
	}
	want := map[string]float64{"requests": 3e6, "computeUSD": 20.00004, "requestsUSD": 0.60, "logsIngestionUSD": 2.86102294921875, "totalUSD": 23.46106294921875}
	for k, v := range want {
		if math.Abs(got[k]-v) > 1e-9 {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestCostTPSDaysAndFlags(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		args      []string
		wantTotal float64
	}{
		// 10 TPS for 30 days = 25,920,000 requests; 128 MB arm64, 12.3 ms billed 13 ms:
		// 0.125 * 0.013 * 25,920,000 = 42,120 GB-s * 0.0000133334 = 0.561602808; requests 5.184.
		"tps arm64": {args: []string{"--memory", "128", "--duration", "12.3", "--tps", "10", "--arch", "arm64"}, wantTotal: 5.745602808},
		// Same, billed 100 ms: 324,000 GB-s * 0.0000133334 = 4.3200216 + 5.184.
		"legacy 100ms": {args: []string{"--memory", "128", "--duration", "12.3ms", "--tps", "10", "--arch", "arm64", "--legacy-100ms"}, wantTotal: 9.5040216},
		// 7 days at 10 TPS = 6,048,000 requests: 0.125 * 0.013 * 6,048,000 = 9,828 GB-s * 0.0000133334
		// = 0.1310406552; requests 6.048 * 0.20 = 1.2096.
		"days": {args: []string{"--memory", "128", "--duration", "12.3ms", "--tps", "10", "--arch", "arm64", "--days", "7"}, wantTotal: 1.3406406552},
		// 1,000,000 requests of 1024 MB for 100 ms over 30 days: 100,000 GB-s, all inside
		// the 400,000 free; requests all inside the 1,000,000 free.
		"free tier": {args: []string{"--memory", "1024", "--duration", "100ms", "--invocations", "1000000", "--free-tier"}, wantTotal: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := costRun(t, append(tc.args, "--format", "json")...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var e struct {
				TotalUSD float64 `json:"totalUSD"`
			}
			if err := json.Unmarshal([]byte(out), &e); err != nil {
				t.Fatal(err)
			}
			if math.Abs(e.TotalUSD-tc.wantTotal) > 1e-9 {
				t.Errorf("totalUSD = %.10f, want %.10f", e.TotalUSD, tc.wantTotal)
			}
		})
	}
}

func TestCostGrid(t *testing.T) {
	t.Parallel()
	code, out, errOut := costRun(t, "--memory", "128,512,1024", "--duration", "100ms,1s", "--invocations", "1000000")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("want title, header and 3 rows:\n%s", out)
	}
	// 1024 MB for 1 s, 1e6 requests: 1,000,000 GB-s * 0.0000166667 = 16.6667 + 0.20 = 16.87
	if !strings.HasPrefix(lines[4], "1024 MB") || !strings.Contains(lines[4], "$16.87") {
		t.Errorf("last row %q", lines[4])
	}
	if !strings.Contains(lines[1], "100 ms") || !strings.Contains(lines[1], "1000 ms") {
		t.Errorf("header %q", lines[1])
	}
	code, out, _ = costRun(t, "--memory", "128,256", "--duration", "100ms", "--invocations", "1e6", "--format", "json")
	var arr []map[string]any
	if code != exitOK || json.Unmarshal([]byte(out), &arr) != nil || len(arr) != 2 {
		t.Errorf("grid JSON: exit %d %s", code, out)
	}
}

func TestCostTextSingle(t *testing.T) {
	t.Parallel()
	code, out, _ := costRun(t, "--memory", "512", "--duration", "800ms", "--invocations", "3,000,000")
	if code != exitOK {
		t.Fatal(code)
	}
	for _, want := range []string{"3,000,000", "$20.00", "$0.60", "$20.60", "1,200,000 GB-s"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCostUsageErrors(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		"no memory":          {"--duration", "1s", "--invocations", "1"},
		"no rate":            {"--memory", "128", "--duration", "1s"},
		"both rates":         {"--memory", "128", "--duration", "1s", "--invocations", "1", "--tps", "1"},
		"memory too small":   {"--memory", "64", "--duration", "1s", "--invocations", "1"},
		"bad duration":       {"--memory", "128", "--duration", "soon", "--invocations", "1"},
		"too long":           {"--memory", "128", "--duration", "20m", "--invocations", "1"},
		"bad arch":           {"--memory", "128", "--duration", "1s", "--invocations", "1", "--arch", "mips"},
		"bad count":          {"--memory", "128", "--duration", "1s", "--invocations", "lots"},
		"zero days":          {"--memory", "128", "--duration", "1s", "--invocations", "1", "--days", "0"},
		"bad format":         {"--memory", "128", "--duration", "1s", "--invocations", "1", "--format", "sarif"},
		"unknown flag":       {"--colour"},
		"negative tps":       {"--memory", "128", "--duration", "1s", "--tps", "-1"},
		"stray argument":     {"--memory", "128", "--duration", "1s", "--invocations", "1", "extra"},
		"negative log bytes": {"--memory", "128", "--duration", "1s", "--invocations", "1", "--log-kb", "-3"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := costRun(t, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if !strings.HasPrefix(lines[len(lines)-1], "selfaudit cost: ") {
				t.Errorf("stderr should end with a line naming the command: %q", errOut)
			}
		})
	}
}
