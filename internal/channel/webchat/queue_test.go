package webchat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/routing"
)

// forward hands what the widget takes in to routing's bus as well: the
// test env's own bus is not exposed.
type forward struct {
	Conversations
	bus desk.Bus
}

func (f forward) Ingest(ctx context.Context, in desk.Inbound) (*conversation.IngestResult, error) {
	res, err := f.Conversations.Ingest(ctx, in)
	if err == nil && !res.Duplicate {
		f.bus.Publish(ctx, desk.Event{Type: desk.EventMessageCreated, ConversationID: res.Conversation.ID, Message: res.Message})
	}
	return res, err
}

// A visitor who has to wait is told their place in the queue in the
// widget, as a message from balie.
func TestQueueNoticeReachesTheWidget(t *testing.T) {
	routed := bus.NewLocal(0)
	e := newEnv(t, func(d *Deps) { d.Conversations = forward{Conversations: d.Conversations, bus: routed} })
	ctx := context.Background()
	agent := &desk.Agent{Email: "anna@example.nl", Name: "Anna", Role: desk.RoleAgent, Locale: "nl", PasswordHash: "x",
		Availability: desk.Online, Capacity: map[desk.ChannelKind]int{desk.ChannelWebChat: 1}}
	if err := e.st.CreateAgent(ctx, agent); err != nil {
		t.Fatal(err)
	}
	svc := routing.NewService(e.st, e.convs, routed, routing.Options{Settle: -1})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); !svc.Leading(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("routing never started")
		}
	}

	// Anna takes one chat: the first customer gets her, the second waits.
	first, second := e.newVisitor(), e.newVisitor()
	if r := e.say(first, "Hello, where is my order?"); r.status != 201 {
		t.Fatalf("first message: %d %s", r.status, r.raw)
	}
	visitor := e.dial("/widget/ws?inbox=" + inboxKey + "&token=" + second)
	e.waitConns(0, 1)
	if r := e.say(second, "Hello, I would like to change my address"); r.status != 201 {
		t.Fatalf("second message: %d %s", r.status, r.raw)
	}

	for {
		ev := readEvent(t, visitor)
		if ev["type"] != desk.EventMessageCreated {
			continue
		}
		m := ev["message"].(map[string]any)
		if m["sender"] == "contact" {
			continue
		}
		body, _ := m["body"].(string)
		if m["sender"] != "system" || !strings.Contains(body, "You are next in the queue.") {
			t.Fatalf("visitor got %s, want balie's queue notice", ev["_raw"])
		}
		break
	}
}
