package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/balie-dev/balie/internal/realtime"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestVisitorSignOutReachesEveryNode: a widget visitor signs out through
// node A (Balie.logout); the chat window they had open with the old token
// is connected to node B, and node B closes it, through the PostgreSQL bus.
func TestVisitorSignOutReachesEveryNode(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nodes := make([]*App, 2)
	for i := range nodes {
		a, err := New(ctx, Config{DataDir: t.TempDir(), DatabaseURL: dsn})
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		t.Cleanup(func() { a.Close() })
		nodes[i] = a
	}
	b := nodes[1]
	done := make(chan struct{})
	go func() { b.Hub.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	<-b.Hub.Ready()

	const key = "visitor-key-hash"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.Hub.ServeVisitor(w, r, realtime.Visitor{Key: r.URL.Query().Get("key"), ContactID: 7, InboxID: 1})
	}))
	defer srv.Close()
	dial := func(k string) *websocket.Conn {
		t.Helper()
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		defer dcancel()
		c, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/?key="+k, nil)
		if err != nil {
			t.Fatalf("dial %s: %v", k, err)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}
	signedOut, stays := dial(key), dial("someone-else")
	waitVisitors(t, b.Hub, 2)

	nodes[0].Hub.DropVisitor(key)

	// A bound against hanging, not a speed assertion.
	rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
	defer rcancel()
	_, data, err := signedOut.Read(rctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusPolicyViolation {
		t.Fatalf("node B's socket of the signed-out visitor read %q, %v; want close status %v",
			data, err, websocket.StatusPolicyViolation)
	}
	waitVisitors(t, b.Hub, 1)
	pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
	defer pcancel()
	go stays.Read(pctx) // a ping needs a reader to see the pong
	if err := stays.Ping(pctx); err != nil {
		t.Errorf("another visitor's socket on node B: %v, want it open", err)
	}
}

// waitVisitors waits until h counts n visitor connections.
func waitVisitors(t *testing.T, h *realtime.Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, v := h.Counts(); v == n {
			return
		}
		if time.Now().After(deadline) {
			_, v := h.Counts()
			t.Fatalf("node B has %d visitor connections, want %d", v, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
