package realtime

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
)

// Run by hand: go test ./internal/realtime -run TestIdleVisitorMemory -realtime.idle=10000 -v
var idleConns = flag.Int("realtime.idle", 0, "measure server memory for this many idle visitor connections")

// TestIdleVisitorMemory holds N idle visitor WebSockets open (the clients
// live in a child process so that only the server's memory is counted) and
// reports the resident memory each costs.
func TestIdleVisitorMemory(t *testing.T) {
	if *idleConns == 0 {
		t.Skip("set -realtime.idle=N to measure")
	}
	n := *idleConns
	h := New(bus.NewLocal(0), testConvs, &fakeTyper{}, Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.URL.Query().Get("c"), 10, 64)
		h.ServeVisitor(w, r, Visitor{Key: "k", ContactID: id, InboxID: 1})
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)

	runtime.GC()
	before := rssKB(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientProcess$")
	cmd.Env = append(os.Environ(), "BALIE_IDLE_ADDR="+srv.Listener.Addr().String(), "BALIE_IDLE_N="+strconv.Itoa(n))
	stdin, _ := cmd.StdinPipe()
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, v := h.Counts(); v == n {
			break
		}
		if time.Now().After(deadline) {
			_, v := h.Counts()
			t.Fatalf("only %d of %d connected", v, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	runtime.GC()
	after := rssKB(t)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	per := float64(after-before) / float64(n)
	t.Logf("%d idle visitors: RSS %d MB -> %d MB, %.1f KB per connection (%.0f MB per 10,000); goroutines %d; heap in use %d MB, stacks %d MB",
		n, before/1024, after/1024, per, per*10000/1024, runtime.NumGoroutine(), ms.HeapInuse>>20, ms.StackInuse>>20)
}

// TestIdleClientProcess is the child of TestIdleVisitorMemory: it opens the
// connections with a hand-written handshake and keeps them idle until its
// stdin closes.
func TestIdleClientProcess(t *testing.T) {
	addr, n := os.Getenv("BALIE_IDLE_ADDR"), os.Getenv("BALIE_IDLE_N")
	if addr == "" {
		t.Skip("child process of TestIdleVisitorMemory")
	}
	count, _ := strconv.Atoi(n)
	conns := make([]net.Conn, 0, count)
	for i := range count {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		fmt.Fprintf(c, "GET /?c=%d HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", i+1, addr)
		status, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.Contains(status, "101") {
			t.Fatalf("handshake %d: %q %v", i, status, err)
		}
		conns = append(conns, c)
	}
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

func rssKB(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("needs /proc")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v
		}
	}
	return 0
}
