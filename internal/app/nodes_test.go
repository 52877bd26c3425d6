package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/auth"
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

// TestAgentChangesReachEveryNode: an admin disables an agent on node A;
// node B, which had the agent's API token cached, refuses it at once rather
// than when its cache expires.
func TestAgentChangesReachEveryNode(t *testing.T) {
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
	done := make(chan struct{})
	go func() { nodes[1].followAgents(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	ag, err := nodes[0].Agents.Create(ctx, "kees@example.nl", "Kees", desk.RoleAgent, "nl", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := nodes[0].Auth.CreateToken(ctx, ag.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nodes[1].Auth.TokenAgent(ctx, token); err != nil {
		t.Fatalf("node B refuses a good token: %v", err) // and caches it
	}
	disabled := true
	if _, err := nodes[0].Agents.Update(ctx, ag.ID, auth.AgentChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	nodes[0].agentChanged(ag.ID)
	deadline := time.Now().Add(20 * time.Second) // a bound against hanging, not a speed assertion
	for {
		_, err := nodes[1].Auth.TokenAgent(ctx, token)
		if errors.Is(err, desk.ErrUnauthorized) || errors.Is(err, desk.ErrForbidden) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node B still accepts the disabled agent's token: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
