package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestPresenceCrossesNodes: an agent whose browser is connected to node A
// opens a conversation; node B's hub, which serves the other agents and the
// live board, lists them as viewing it, and forgets them when they leave.
func TestPresenceCrossesNodes(t *testing.T) {
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
		a.Start(ctx)
		nodes[i] = a
	}
	for _, n := range nodes {
		<-n.Hub.Ready()
	}
	inbox := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "presence", Settings: map[string]string{}}
	if err := nodes[0].Store.CreateInbox(ctx, inbox); err != nil {
		t.Fatal(err)
	}
	res, err := nodes[0].Conversations.Ingest(ctx, desk.Inbound{InboxID: inbox.ID,
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, Body: "Hallo"})
	if err != nil {
		t.Fatal(err)
	}
	conv := res.Conversation.ID

	// Anna's browser on node A (authentication is the server's business;
	// the hub is handed the agent).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nodes[0].Hub.ServeAgent(w, r, &desk.Agent{ID: 41, Name: "Anna"})
	}))
	defer srv.Close()
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	ws, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	msg := `{"type":"view","conversation_id":` + strconv.FormatInt(conv, 10) + `}`
	if err := ws.Write(dctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}

	wait := func(want int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second) // a bound against hanging, not a speed assertion
		for {
			vs := nodes[1].Hub.Viewers(conv)
			if len(vs) == want && (want == 0 || vs[0].AgentID == 41 && vs[0].Name == "Anna") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("node B lists viewers %+v of conversation %d, want %d (Anna)", vs, conv, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait(1)
	if got := nodes[1].Hub.Viewing()[41]; len(got) != 1 {
		t.Errorf("node B's board sees Anna on %v, want conversation %d", got, conv)
	}
	ws.Close(websocket.StatusNormalClosure, "")
	wait(0)
}
