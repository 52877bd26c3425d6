package conversation_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// recorder is a bus that remembers what was published.
type recorder struct {
	mu     sync.Mutex
	events []desk.Event
}

func (r *recorder) Publish(_ context.Context, e desk.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) Subscribe(func(desk.Event)) func() { return func() {} }

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Type)
	}
	return out
}

type fixture struct {
	st      desk.Store
	svc     *conversation.Service
	bus     *recorder
	now     time.Time
	chat    *desk.Inbox
	api     *desk.Inbox
	agent   *desk.Agent
	kicks   int
	kicksMu sync.Mutex
}

func setup(t *testing.T, open func(testing.TB) desk.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{st: open(t), bus: &recorder{}, now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	f.svc = conversation.New(f.st, f.bus, desk.ClockFunc(func() time.Time { return f.now }), slog.New(slog.DiscardHandler),
		conversation.Options{Kick: func() { f.kicksMu.Lock(); f.kicks++; f.kicksMu.Unlock() }})
	f.chat = &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "chat", Settings: map[string]string{}}
	f.api = &desk.Inbox{Name: "App", Channel: desk.ChannelAPI, PublicKey: "app", Settings: map[string]string{"webhook_url": "http://127.0.0.1:9/x"}}
	for _, in := range []*desk.Inbox{f.chat, f.api} {
		if err := f.st.CreateInbox(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	f.agent = &desk.Agent{Email: "anna@example.com", Name: "Anna", Role: desk.RoleAgent, Locale: "nl", Availability: desk.Online}
	if err := f.st.CreateAgent(ctx, f.agent); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) actor() conversation.Actor {
	return conversation.Actor{AgentID: f.agent.ID, Name: f.agent.Name}
}

func forEachStore(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) { fn(t, setup(t, o.Open)) })
	}
}

func TestIngestIsIdempotentOnTheProviderID(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		in := desk.Inbound{InboxID: f.api.ID, ExternalID: "wamid.1", From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, Body: "Hallo"}
		// Ten deliveries of the same provider message at once, as a
		// retrying provider might send them.
		var wg sync.WaitGroup
		results := make([]*conversation.IngestResult, 10)
		errs := make([]error, 10)
		for i := range results {
			wg.Add(1)
			go func(i int) { defer wg.Done(); results[i], errs[i] = f.svc.Ingest(ctx, in) }(i)
		}
		wg.Wait()
		stored := 0
		for i := range results {
			if errs[i] != nil {
				t.Fatalf("ingest %d: %v", i, errs[i])
			}
			if !results[i].Duplicate {
				stored++
			}
			if results[i].Message.ID != results[0].Message.ID {
				t.Fatalf("ingest %d answered message %d, want %d", i, results[i].Message.ID, results[0].Message.ID)
			}
		}
		if stored != 1 {
			t.Fatalf("%d ingests stored the message, want exactly 1", stored)
		}
		msgs, err := f.st.ListMessages(ctx, results[0].Conversation.ID, 0, 100)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("thread has %d messages (%v), want 1", len(msgs), err)
		}
	})
}

func TestCustomerWritingAgainReopensOrStartsAConversation(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		from := desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}
		first, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, From: from, Body: "Waar is mijn pakket?"})
		if err != nil {
			t.Fatal(err)
		}
		resolved := desk.StatusResolved
		if _, err := f.svc.Update(ctx, f.actor(), first.Conversation.ID, conversation.Change{Status: &resolved}); err != nil {
			t.Fatal(err)
		}
		// Without a conversation id (email, messaging): a resolved case
		// stays closed and a new one opens.
		second, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, From: from, Body: "Nieuwe vraag"})
		if err != nil {
			t.Fatal(err)
		}
		if !second.NewConversation || second.Conversation.ID == first.Conversation.ID || second.Contact.ID != first.Contact.ID {
			t.Fatalf("second message: new=%v conv=%d contact=%d; want a new conversation for contact %d",
				second.NewConversation, second.Conversation.ID, second.Contact.ID, first.Contact.ID)
		}
		// With the conversation id (web chat, the API): it reopens.
		third, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, ContactID: first.Contact.ID,
			ConversationID: first.Conversation.ID, Body: "Toch nog iets"})
		if err != nil {
			t.Fatal(err)
		}
		if third.Conversation.Status != desk.StatusOpen || !third.Conversation.ResolvedAt.IsZero() {
			t.Fatalf("after writing in a resolved conversation: status %s resolved_at %v, want open and no resolved time",
				third.Conversation.Status, third.Conversation.ResolvedAt)
		}
		// Someone else cannot write into it.
		other, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, From: desk.Identity{Kind: desk.IdentityEmail, Value: "piet@example.nl"}, Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, ContactID: other.Contact.ID, ConversationID: first.Conversation.ID, Body: "inbreken"})
		if !errors.Is(err, desk.ErrForbidden) {
			t.Fatalf("writing into another customer's conversation = %v, want ErrForbidden", err)
		}
	})
}

func TestRepliesLeaveThroughTheOutboxExceptOnWebChat(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		from := desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}
		onAPI, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, From: from, Body: "Hoi"})
		if err != nil {
			t.Fatal(err)
		}
		onChat, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.chat.ID, From: from, Body: "Hoi"})
		if err != nil {
			t.Fatal(err)
		}
		m1, err := f.svc.Reply(ctx, f.actor(), onAPI.Conversation.ID, "Dag Jan", nil)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := f.svc.Reply(ctx, f.actor(), onChat.Conversation.ID, "Dag Jan", nil)
		if err != nil {
			t.Fatal(err)
		}
		if m1.Delivery != desk.DeliveryQueued || m2.Delivery != desk.DeliverySent {
			t.Fatalf("delivery api=%s chat=%s, want queued and sent", m1.Delivery, m2.Delivery)
		}
		if n, err := f.st.PendingOutbox(ctx); err != nil || n != 1 {
			t.Fatalf("pending outbox = %d (%v), want 1", n, err)
		}
		if f.kicks == 0 {
			t.Fatalf("the outbox worker was not woken")
		}
		// Answering took the unassigned conversation and stopped the wait.
		c, err := f.st.ConversationByID(ctx, onAPI.Conversation.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.AssigneeID != f.agent.ID || !c.WaitingSince.IsZero() {
			t.Fatalf("after the reply: assignee %d waiting_since %v; want %d and not waiting", c.AssigneeID, c.WaitingSince, f.agent.ID)
		}
		// Notes never go out.
		if _, err := f.svc.Note(ctx, f.actor(), onAPI.Conversation.ID, "Interne notitie"); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.st.PendingOutbox(ctx); n != 1 {
			t.Fatalf("pending outbox after a note = %d, want still 1", n)
		}
	})
}

func TestUpdateRecordsActivityAndValidates(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		res, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.chat.ID, From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, Body: "Hoi"})
		if err != nil {
			t.Fatal(err)
		}
		id := res.Conversation.ID
		team := &desk.Team{Name: "Finance"}
		if err := f.st.CreateTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
		high, bogus := desk.PriorityHigh, desk.Priority("extreme")
		labels := []string{"Factuur", "factuur", " retour "}
		c, err := f.svc.Update(ctx, f.actor(), id, conversation.Change{Priority: &high, Labels: &labels, TeamID: &team.ID, Note: "Graag even naar kijken"})
		if err != nil {
			t.Fatal(err)
		}
		if c.Priority != high || len(c.Labels) != 2 || c.TeamID != team.ID {
			t.Fatalf("after update: priority %s labels %v team %d", c.Priority, c.Labels, c.TeamID)
		}
		msgs, _ := f.st.ListMessages(ctx, id, 0, 100)
		var kinds []desk.MessageKind
		for _, m := range msgs {
			kinds = append(kinds, m.Kind)
		}
		if len(kinds) != 3 || kinds[1] != desk.KindActivity || kinds[2] != desk.KindNote {
			t.Fatalf("thread kinds = %v, want message, activity, note", kinds)
		}
		// The activity is recorded as translatable items, not only as text.
		var items []string
		for _, it := range msgs[1].Activity {
			items = append(items, it.Key+"="+strings.Join(it.Args, ","))
		}
		if got, want := strings.Join(items, " "), "priority=high labels=factuur,retour team=Finance"; got != want {
			t.Errorf("activity items = %q, want %q", got, want)
		}
		tests := []struct {
			name string
			ch   conversation.Change
		}{
			{"unknown priority", conversation.Change{Priority: &bogus}},
			{"snooze in the past", conversation.Change{SnoozedUntil: ptr(f.now.Add(-time.Hour))}},
			{"label with markup", conversation.Change{Labels: &[]string{"<b>"}}},
			{"unknown agent", conversation.Change{AssigneeID: ptr(int64(424242))}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.Update(ctx, f.actor(), id, tc.ch)
				if !errors.Is(err, desk.ErrInvalid) && !errors.Is(err, desk.ErrNotFound) {
					t.Fatalf("Update = %v, want ErrInvalid or ErrNotFound", err)
				}
			})
		}
		after, _ := f.st.ConversationByID(ctx, id)
		if after.Priority != high || after.AssigneeID != 0 {
			t.Fatalf("a rejected change was written: priority %s assignee %d", after.Priority, after.AssigneeID)
		}
		// Snooze, then wake when the time has come.
		if _, err := f.svc.Update(ctx, f.actor(), id, conversation.Change{SnoozedUntil: ptr(f.now.Add(time.Hour))}); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(2 * time.Hour)
		if n, err := f.svc.WakeSnoozed(ctx); err != nil || n != 1 {
			t.Fatalf("WakeSnoozed = %d, %v; want 1", n, err)
		}
		if c, _ := f.st.ConversationByID(ctx, id); c.Status != desk.StatusOpen {
			t.Fatalf("status after waking = %s, want open", c.Status)
		}
		got := f.bus.types()
		want := map[string]bool{desk.EventConversationCreated: false, desk.EventMessageCreated: false,
			desk.EventConversationAssigned: false, desk.EventConversationUpdated: false}
		for _, typ := range got {
			if _, ok := want[typ]; ok {
				want[typ] = true
			}
		}
		for typ, seen := range want {
			if !seen {
				t.Errorf("no %s event published (got %v)", typ, got)
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestProviderIDIsScopedToItsConversation(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, ExternalID: "m-1", From: desk.Identity{Kind: desk.IdentityEmail, Value: "a@example.nl"}, Body: "A"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, From: desk.Identity{Kind: desk.IdentityEmail, Value: "b@example.nl"}, Body: "B"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, ExternalID: "m-1", ContactID: b.Contact.ID,
			ConversationID: b.Conversation.ID, Body: "B again"})
		if !errors.Is(err, desk.ErrConflict) {
			t.Fatalf("reusing conversation %d's provider id in conversation %d = %v, want ErrConflict", a.Conversation.ID, b.Conversation.ID, err)
		}
	})
}

func TestReceiptsMoveDeliveryForward(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		res, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, ExternalID: "in-1", Body: "Hallo",
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.svc.Reply(ctx, conversation.Actor{AgentID: f.agent.ID, Name: "Anna"}, res.Conversation.ID, "Dag Jan", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.SetExternalID(ctx, m.ID, "out-1"); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			d    desk.Delivery
			want desk.Delivery
		}{
			{desk.DeliveryDelivered, desk.DeliveryDelivered},
			{desk.DeliveryRead, desk.DeliveryRead},
			{desk.DeliveryDelivered, desk.DeliveryRead}, // late receipt: no step back
			{desk.DeliveryFailed, desk.DeliveryRead},
		}
		for _, st := range steps {
			if err := f.svc.Receipt(ctx, f.api.ID, "out-1", st.d, ""); err != nil {
				t.Fatal(err)
			}
			got, _ := f.st.MessageByID(ctx, m.ID)
			if got.Delivery != st.want {
				t.Errorf("after %s: delivery %s, want %s", st.d, got.Delivery, st.want)
			}
		}
		if err := f.svc.Receipt(ctx, f.api.ID, "unknown", desk.DeliveryRead, ""); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("receipt for an unknown id: err = %v, want ErrNotFound", err)
		}
	})
}

func TestRetryFailedMessage(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		res, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, ExternalID: "r-1", Body: "Hallo",
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}})
		if err != nil {
			t.Fatal(err)
		}
		by := conversation.Actor{AgentID: f.agent.ID, Name: "Anna"}
		m, err := f.svc.Reply(ctx, by, res.Conversation.ID, "Dag Jan", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Retry(ctx, m.ID); !errors.Is(err, desk.ErrConflict) {
			t.Errorf("retry of a queued message: err = %v, want ErrConflict", err)
		}
		if err := f.st.SetDelivery(ctx, m.ID, desk.DeliveryFailed, "500 from partner"); err != nil {
			t.Fatal(err)
		}
		before, _ := f.st.PendingOutbox(ctx)
		got, err := f.svc.Retry(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		after, _ := f.st.PendingOutbox(ctx)
		if got.Delivery != desk.DeliveryQueued || after != before+1 {
			t.Errorf("after retry: delivery %s, pending %d → %d; want queued and one more send", got.Delivery, before, after)
		}
		if _, err := f.svc.Retry(ctx, res.Message.ID); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("retry of the customer's message: err = %v, want ErrInvalid", err)
		}
	})
}

func TestUpdateIfUnassignedRefusesAChangedConversation(t *testing.T) {
	resolved := desk.StatusResolved
	tests := []struct {
		name    string
		before  func(f *fixture) conversation.Change // applied first, by the agent; nil: nothing
		wantErr error
	}{
		{"still open and unassigned", nil, nil},
		{"assigned meanwhile", func(f *fixture) conversation.Change { return conversation.Change{AssigneeID: &f.agent.ID} }, desk.ErrConflict},
		{"resolved meanwhile", func(*fixture) conversation.Change { return conversation.Change{Status: &resolved} }, desk.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, f *fixture) {
				ctx := context.Background()
				res, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.chat.ID, From: desk.Identity{Kind: desk.IdentityVisitor, Value: "v1"}, Body: "Hoi"})
				if err != nil {
					t.Fatal(err)
				}
				id := res.Conversation.ID
				if tt.before != nil {
					if _, err := f.svc.Update(ctx, f.actor(), id, tt.before(f)); err != nil {
						t.Fatal(err)
					}
				}
				other := &desk.Agent{Email: "bram@example.com", Name: "Bram", Role: desk.RoleAgent, Locale: "nl"}
				if err := f.st.CreateAgent(ctx, other); err != nil {
					t.Fatal(err)
				}
				before, _ := f.st.ConversationByID(ctx, id)
				_, err = f.svc.Update(ctx, conversation.Actor{Name: "balie"}, id, conversation.Change{AssigneeID: &other.ID, IfUnassigned: true})
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
					t.Fatalf("Update = %v, want %v", err, tt.wantErr)
				}
				after, _ := f.st.ConversationByID(ctx, id)
				want := before.AssigneeID
				if tt.wantErr == nil {
					want = other.ID
				}
				if after.AssigneeID != want || after.Status != before.Status {
					t.Errorf("after: assignee %d, status %s; want %d, %s", after.AssigneeID, after.Status, want, before.Status)
				}
			})
		})
	}
}
