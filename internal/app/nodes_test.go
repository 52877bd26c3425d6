package app

import (
	"context"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestTwoNodesSeeEachOthersEvents runs two balie nodes on one PostgreSQL
// database: a customer message taken in by node A reaches subscribers (the
// realtime hub of agents' browsers) on node B.
func TestTwoNodesSeeEachOthersEvents(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	ctx := context.Background()
	nodes := make([]*App, 2)
	for i := range nodes {
		a, err := New(ctx, Config{DataDir: t.TempDir(), DatabaseURL: dsn})
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		t.Cleanup(func() { a.Close() })
		nodes[i] = a
	}
	got := make(chan desk.Event, 16)
	cancel := nodes[1].Bus.Subscribe(func(e desk.Event) {
		if e.Type == desk.EventMessageCreated {
			got <- e
		}
	})
	defer cancel()
	inbox := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "k", Settings: map[string]string{}}
	if err := nodes[0].Store.CreateInbox(ctx, inbox); err != nil {
		t.Fatal(err)
	}
	res, err := nodes[0].Conversations.Ingest(ctx, desk.Inbound{InboxID: inbox.ID,
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, Body: "Hallo vanaf node A"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-got:
		if e.Message == nil || e.Message.ID != res.Message.ID || e.Message.Body != "Hallo vanaf node A" {
			t.Fatalf("node B got %+v, want message %d", e.Message, res.Message.ID)
		}
	case <-time.After(20 * time.Second): // a bound against hanging, not a speed assertion
		t.Fatal("node B never saw node A's message")
	}
}
