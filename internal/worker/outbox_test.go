package worker

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

func TestBackoffGrowsWithJitterAndIsCapped(t *testing.T) {
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 1600 * time.Millisecond, 2400 * time.Millisecond},
		{2, 3200 * time.Millisecond, 4800 * time.Millisecond},
		{5, 25600 * time.Millisecond, 38400 * time.Millisecond},
		{30, 96 * time.Minute, 144 * time.Minute},
	}
	for _, tc := range tests {
		for i := 0; i < 50; i++ {
			if d := Backoff(tc.attempt); d < tc.min || d > tc.max {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", tc.attempt, d, tc.min, tc.max)
			}
		}
	}
	// Jitter: fifty draws are not all the same.
	seen := map[time.Duration]bool{}
	for i := 0; i < 50; i++ {
		seen[Backoff(3)] = true
	}
	if len(seen) < 2 {
		t.Fatalf("Backoff(3) drew the same value 50 times: no jitter")
	}
}

// fakeChannel records sends; send, when set, runs inside Send.
type fakeChannel struct {
	mu   sync.Mutex
	sent []desk.Outbound
	ctxs []context.Context
	send func(ctx context.Context, out desk.Outbound) error
}

func (c *fakeChannel) Kind() desk.ChannelKind { return desk.ChannelWebChat }

func (c *fakeChannel) Send(ctx context.Context, out desk.Outbound) (string, error) {
	c.mu.Lock()
	c.sent = append(c.sent, out)
	c.ctxs = append(c.ctxs, ctx)
	send := c.send
	c.mu.Unlock()
	if send != nil {
		if err := send(ctx, out); err != nil {
			return "", err
		}
	}
	return "provider-1", nil
}

// nopBus drops events.
type nopBus struct{}

func (nopBus) Publish(context.Context, desk.Event)        {}
func (nopBus) Subscribe(func(desk.Event)) (cancel func()) { return func() {} }

// logBuffer is a goroutine-safe log destination.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type sendFixture struct {
	st    desk.Store
	o     *Outbox
	ch    *fakeChannel
	logs  *logBuffer
	now   time.Time
	msg   *desk.Message
	item  *desk.OutboxItem
	phone string
}

// newSendFixture stores a queued agent reply with its outbox item, and an
// outbox worker on a fixed clock.
func newSendFixture(t *testing.T, open func(testing.TB) desk.Store) *sendFixture {
	t.Helper()
	ctx := t.Context()
	f := &sendFixture{st: open(t), ch: &fakeChannel{}, logs: &logBuffer{},
		now: time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC), phone: "+31612345678"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	in := &desk.Inbox{Name: "web", Channel: desk.ChannelWebChat, PublicKey: "pk"}
	must(f.st.CreateInbox(ctx, in))
	c := &desk.Contact{Name: "Jan", Phone: f.phone}
	must(f.st.CreateContact(ctx, c))
	must(f.st.AddIdentity(ctx, &desk.Identity{ContactID: c.ID, Kind: desk.IdentityPhone, Value: f.phone}))
	cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusOpen,
		Priority: desk.PriorityNone, LastActivityAt: f.now}
	must(f.st.CreateConversation(ctx, cv))
	f.msg = &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderAgent, Body: "Hallo Jan",
		Delivery: desk.DeliveryQueued, CreatedAt: f.now}
	must(f.st.CreateMessage(ctx, f.msg))
	f.item = &desk.OutboxItem{Kind: desk.OutboxChannelSend, Target: f.msg.ID, IdempotencyKey: "send-1", NextAttemptAt: f.now}
	must(f.st.EnqueueOutbox(ctx, f.item))
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.o = NewOutbox(f.st, nopBus{}, desk.ClockFunc(func() time.Time { return f.now }), log,
		OutboxOptions{Channels: []desk.Channel{f.ch}})
	return f
}

// claim claims the fixture's item at minute m after f.now.
func (f *sendFixture) claim(t *testing.T, m int) desk.OutboxItem {
	t.Helper()
	at := f.now.Add(time.Duration(m) * time.Minute)
	items, err := f.st.ClaimOutbox(t.Context(), at, at.Add(lease), 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("ClaimOutbox at +%dm = %v, %v; want the item", m, items, err)
	}
	return items[0]
}

func (f *sendFixture) state(t *testing.T) (desk.Delivery, *desk.OutboxItem) {
	t.Helper()
	m, err := f.st.MessageByID(t.Context(), f.msg.ID)
	if err != nil {
		t.Fatal(err)
	}
	it, err := f.st.OutboxByID(t.Context(), f.item.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m.Delivery, it
}

func TestSendMessage(t *testing.T) {
	for _, store := range testenv.Stores() {
		t.Run(store.Name, func(t *testing.T) {
			tests := []struct {
				name string
				// steal, when true, has another worker claim the item
				// while the send is under way.
				steal        bool
				wantDelivery desk.Delivery
				wantState    desk.OutboxState
				wantLog      string
			}{
				{name: "sent and recorded", wantDelivery: desk.DeliverySent, wantState: desk.OutboxDone},
				{name: "lease lost during the send", steal: true, wantDelivery: desk.DeliveryQueued,
					wantState: desk.OutboxPending, wantLog: "outbox lease lost"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					f := newSendFixture(t, store.Open)
					it := f.claim(t, 0)
					var stolen desk.OutboxItem
					if tc.steal {
						f.ch.send = func(context.Context, desk.Outbound) error {
							stolen = f.claim(t, 3) // after the first lease ran out
							return nil
						}
					}
					deadline := time.Now().Add(lease - leaseMargin)
					f.o.deliver(t.Context(), it, deadline)

					if len(f.ch.sent) != 1 {
						t.Fatalf("%d sends, want 1", len(f.ch.sent))
					}
					out := f.ch.sent[0]
					if out.Message.ID != f.msg.ID || out.Message.Body != "Hallo Jan" || out.Contact.Name != "Jan" ||
						len(out.Contact.Identities) != 1 || out.Contact.Identities[0].Value != f.phone ||
						out.Inbox.PublicKey != "pk" || out.IdempotencyKey != "send-1" {
						t.Errorf("Send got %+v, want the message, its contact with identities, inbox and key send-1", out)
					}
					if got, ok := f.ch.ctxs[0].Deadline(); !ok || got.After(deadline) {
						t.Errorf("Send context deadline = %v, %v; want one by %v, before the lease ends", got, ok, deadline)
					}
					delivery, stored := f.state(t)
					if delivery != tc.wantDelivery || stored.State != tc.wantState {
						t.Errorf("message %s, item %s; want %s, %s", delivery, stored.State, tc.wantDelivery, tc.wantState)
					}
					if tc.steal && stored.Lease != stolen.Lease {
						t.Errorf("item lease = %d, want the new holder's %d", stored.Lease, stolen.Lease)
					}
					if logs := f.logs.String(); !strings.Contains(logs, tc.wantLog) ||
						(tc.wantLog == "" && strings.Contains(logs, "level=ERROR")) {
						t.Errorf("logs = %q, want %q and no errors", logs, tc.wantLog)
					}
				})
			}
		})
	}
}

func TestDeliverLostLeaseOnRetry(t *testing.T) {
	for _, store := range testenv.Stores() {
		t.Run(store.Name, func(t *testing.T) {
			f := newSendFixture(t, store.Open)
			it := f.claim(t, 0)
			var stolen desk.OutboxItem
			f.ch.send = func(context.Context, desk.Outbound) error {
				stolen = f.claim(t, 3)
				return fmt.Errorf("provider down: %w", desk.ErrTemporary)
			}
			f.o.deliver(t.Context(), it, time.Now().Add(time.Minute))
			_, stored := f.state(t)
			if stored.State != desk.OutboxPending || stored.LastError != "" || stored.Lease != stolen.Lease {
				t.Errorf("item = state %s error %q lease %d; want the new holder's claim untouched (pending, no error, lease %d)",
					stored.State, stored.LastError, stored.Lease, stolen.Lease)
			}
			if !strings.Contains(f.logs.String(), "outbox lease lost") {
				t.Errorf("logs = %q, want a lost lease warning", f.logs.String())
			}
		})
	}
}

func TestDeliverSkipsItemPastItsDeadline(t *testing.T) {
	f := newSendFixture(t, testenv.OpenSQLite)
	it := f.claim(t, 0)
	f.o.deliver(t.Context(), it, time.Now().Add(time.Second))
	if len(f.ch.sent) != 0 {
		t.Errorf("%d sends, want none: too little of the lease was left", len(f.ch.sent))
	}
	delivery, stored := f.state(t)
	if delivery != desk.DeliveryQueued || stored.State != desk.OutboxPending || stored.Lease != it.Lease {
		t.Errorf("message %s, item %s lease %d; want queued, pending, still lease %d", delivery, stored.State, stored.Lease, it.Lease)
	}
}
