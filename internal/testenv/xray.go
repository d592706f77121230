package testenv

import (
	"bytes"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"
)

// XRayDaemon is a stand-in for the X-Ray daemon: a loopback UDP socket
// that keeps every segment document sent to it, in the daemon's wire
// format (a {"format": "json", "version": 1} line, then the document).
type XRayDaemon struct {
	// Addr goes into AWS_XRAY_DAEMON_ADDRESS.
	Addr string
	mu   sync.Mutex
	docs []map[string]any
	bad  []string
}

// StartXRayDaemon listens until the test ends.
func StartXRayDaemon(t testing.TB) *XRayDaemon {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	d := &XRayDaemon{Addr: conn.LocalAddr().String()}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			d.add(buf[:n])
		}
	}()
	return d
}

func (d *XRayDaemon) add(b []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	head, body, ok := bytes.Cut(b, []byte("\n"))
	var h struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	var doc map[string]any
	if !ok || json.Unmarshal(head, &h) != nil || h.Format != "json" || h.Version != 1 || json.Unmarshal(body, &doc) != nil {
		d.bad = append(d.bad, string(b))
		return
	}
	d.docs = append(d.docs, doc)
}

// Documents waits until at least n documents arrived or the wait passed,
// and returns them with any datagram that was not in the daemon's format.
func (d *XRayDaemon) Documents(n int, wait time.Duration) (docs []map[string]any, malformed []string) {
	deadline := time.Now().Add(wait)
	for {
		d.mu.Lock()
		got := len(d.docs) + len(d.bad)
		d.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]map[string]any(nil), d.docs...), append([]string(nil), d.bad...)
}
