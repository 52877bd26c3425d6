package channeltest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/worker"
)

// SenderHarness is one channel under test as a sender, on a fresh store,
// with a fake provider (an HTTP receiver, an SMTP submission server, a
// messaging API). RunSender asks for a new one in every subtest.
type SenderHarness struct {
	Kind    desk.ChannelKind
	Store   desk.Store
	Channel desk.Channel
	// Inbox is an inbox of Kind already created in Store, with settings
	// the fake provider accepts.
	Inbox desk.Inbox
	// Customer returns customer n (not stored) with the identities the
	// channel sends to; a different n is another customer.
	Customer func(n int) desk.Contact

	// Got lists what the fake provider accepted, oldest first.
	Got func() []Sent
	// Fail makes the fake provider answer the next times send attempts
	// with code, in its own protocol (an HTTP status, an SMTP reply code).
	Fail func(code, times int)
	// Temporary and Permanent are provider codes the channel must report
	// as worth retrying (errors.Is desk.ErrTemporary) and as final. Empty:
	// HTTP's 429, 500, 502, 503 and 400, 403, 404.
	Temporary, Permanent []int
	// NoIdempotencyKey, when set, says why the provider takes no
	// idempotency key; the key test is then skipped with it.
	NoIdempotencyKey string
}

// Sent is one message the fake provider accepted.
type Sent struct {
	Text string
	// Key is the idempotency key as the provider sees it (a header, a
	// Message-ID); "" when the provider takes none.
	Key string
}

func (h SenderHarness) check() error {
	missing := map[string]bool{
		"Kind": h.Kind == "", "Store": h.Store == nil, "Channel": h.Channel == nil, "Inbox.ID": h.Inbox.ID == 0,
		"Customer": h.Customer == nil, "Got": h.Got == nil, "Fail": h.Fail == nil,
	}
	var names []string
	for name, m := range missing {
		if m {
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		sort.Strings(names)
		return fmt.Errorf("channeltest: sender harness lacks %v", names)
	}
	return nil
}

// RunSender runs the sender suite; setup returns a fresh SenderHarness for
// each subtest (register cleanups on the t it is given).
func RunSender(t *testing.T, setup func(t *testing.T) SenderHarness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h SenderHarness)
	}{
		{"Kind", func(t *testing.T, h SenderHarness) {
			if got := h.Channel.Kind(); got != h.Kind || h.Inbox.Channel != h.Kind {
				t.Errorf("Kind() = %q, inbox %q; want %q", got, h.Inbox.Channel, h.Kind)
			}
		}},
		{"Send", testSenderSend},
		{"IdempotencyKeyStable", testSenderKey},
		{"Failures", testSenderFailures},
		{"OutboxRetriesThenDeliversOnce", testSenderOutbox},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := setup(t)
			if err := h.check(); err != nil {
				t.Fatal(err)
			}
			tc.fn(t, h)
		})
	}
}

// queueReply stores customer n with a conversation in the inbox and an
// agent's queued reply with its outbox item, as conversation.Reply does,
// and returns the message and the item.
func queueReply(t *testing.T, h SenderHarness, n int, body string) (*desk.Message, *desk.OutboxItem) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	k := h.Customer(n)
	ids := k.Identities
	k.Identities = nil
	if err := h.Store.CreateContact(ctx, &k); err != nil {
		t.Fatalf("store customer %d: %v", n, err)
	}
	for _, id := range ids {
		id.ContactID = k.ID
		if err := h.Store.AddIdentity(ctx, &id); err != nil {
			t.Fatalf("customer %d identity %s: %v", n, id.Kind, err)
		}
	}
	c := &desk.Conversation{InboxID: h.Inbox.ID, Channel: h.Kind, ContactID: k.ID, Status: desk.StatusOpen,
		Priority: desk.PriorityNone, Subject: fmt.Sprintf("Vraag %d", n), LastActivityAt: now}
	if err := h.Store.CreateConversation(ctx, c); err != nil {
		t.Fatalf("store conversation: %v", err)
	}
	m := &desk.Message{ConversationID: c.ID, Kind: desk.KindMessage, Sender: desk.SenderAgent, Body: body,
		Delivery: desk.DeliveryQueued, CreatedAt: now}
	if err := h.Store.CreateMessage(ctx, m); err != nil {
		t.Fatalf("store reply: %v", err)
	}
	it := &desk.OutboxItem{Kind: desk.OutboxChannelSend, Target: m.ID, IdempotencyKey: fmt.Sprintf("send-%d", m.ID),
		State: desk.OutboxPending, NextAttemptAt: now, CreatedAt: now}
	if err := h.Store.EnqueueOutbox(ctx, it); err != nil {
		t.Fatalf("enqueue reply: %v", err)
	}
	return m, it
}

// outbound is what the outbox worker hands the channel for item it.
func outbound(t *testing.T, h SenderHarness, m *desk.Message, it *desk.OutboxItem) desk.Outbound {
	t.Helper()
	out, err := h.Store.OutboundFor(context.Background(), m.ID)
	if err != nil {
		t.Fatalf("outbound for message %d: %v", m.ID, err)
	}
	out.IdempotencyKey = it.IdempotencyKey
	return *out
}

func texts(got []Sent) []string {
	var out []string
	for _, s := range got {
		out = append(out, s.Text)
	}
	return out
}

func testSenderSend(t *testing.T, h SenderHarness) {
	ctx := context.Background()
	want := []string{"Uw pakket komt morgen tussen 9 en 12 uur.", "Fijne dag! 🌷"}
	var ids []string
	for i, text := range want {
		m, it := queueReply(t, h, i+1, text)
		id, err := h.Channel.Send(ctx, outbound(t, h, m, it))
		if err != nil {
			t.Fatalf("send %q: %v", text, err)
		}
		if id == "" {
			t.Errorf("send %q: empty provider id", text)
		}
		ids = append(ids, id)
	}
	if ids[0] != "" && ids[0] == ids[1] {
		t.Errorf("two sends returned the same provider id %q", ids[0])
	}
	if got := texts(h.Got()); !slices.Equal(got, want) {
		t.Errorf("provider received %q, want %q", got, want)
	}
}

func testSenderKey(t *testing.T, h SenderHarness) {
	if h.NoIdempotencyKey != "" {
		t.Skip(h.NoIdempotencyKey)
	}
	ctx := context.Background()
	m1, it1 := queueReply(t, h, 1, "Eerste antwoord")
	m2, it2 := queueReply(t, h, 2, "Tweede antwoord")
	// The same outbox item sent twice is what a retry after a crash does
	// (the provider accepted, balie did not record it): the provider must
	// be able to tell.
	for i, out := range []desk.Outbound{outbound(t, h, m1, it1), outbound(t, h, m1, it1), outbound(t, h, m2, it2)} {
		if _, err := h.Channel.Send(ctx, out); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	got := h.Got()
	if len(got) != 3 {
		t.Fatalf("provider received %d messages, want 3", len(got))
	}
	if got[0].Key == "" {
		t.Fatal("provider saw no idempotency key")
	}
	if got[1].Key != got[0].Key {
		t.Errorf("retry of one outbox item carried key %q, then %q; want the same", got[0].Key, got[1].Key)
	}
	if got[2].Key == got[0].Key {
		t.Errorf("two different replies carried the same key %q", got[0].Key)
	}
}

func testSenderFailures(t *testing.T, h SenderHarness) {
	ctx := context.Background()
	temporary, permanent := h.Temporary, h.Permanent
	if len(temporary) == 0 && len(permanent) == 0 {
		temporary = []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
		permanent = []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound}
	}
	type failure struct {
		code      int
		temporary bool
	}
	var cases []failure
	for _, c := range temporary {
		cases = append(cases, failure{c, true})
	}
	for _, c := range permanent {
		cases = append(cases, failure{c, false})
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			m, it := queueReply(t, h, i+1, "Dit antwoord komt later aan")
			out := outbound(t, h, m, it)
			before := len(h.Got())
			h.Fail(tc.code, 1)
			id, err := h.Channel.Send(ctx, out)
			if err == nil {
				t.Fatalf("provider answered %d: Send returned id %q and no error", tc.code, id)
			}
			if got := errors.Is(err, desk.ErrTemporary); got != tc.temporary {
				t.Errorf("provider answered %d: errors.Is(%v, ErrTemporary) = %v, want %v", tc.code, err, got, tc.temporary)
			}
			if n := len(h.Got()) - before; n != 0 {
				t.Errorf("provider answered %d but %d messages were recorded as accepted", tc.code, n)
			}
			if id, err := h.Channel.Send(ctx, out); err != nil || id == "" {
				t.Errorf("retry after the provider recovered: id %q, err %v; want an id", id, err)
			}
		})
	}
}

// testSenderOutbox runs the real outbox worker against a provider that
// fails twice (temporarily) and then accepts: the reply is delivered
// exactly once, marked sent with the provider's id.
func testSenderOutbox(t *testing.T, h SenderHarness) {
	ctx, cancel := context.WithCancel(context.Background())
	const text = "Uw bestelling is onderweg."
	m, it := queueReply(t, h, 1, text)
	code := http.StatusServiceUnavailable
	if len(h.Temporary) > 0 {
		code = h.Temporary[0]
	}
	h.Fail(code, 2)

	clock := &fakeClock{now: time.Now().UTC()}
	o := worker.NewOutbox(h.Store, nopBus{}, clock, slog.New(slog.NewTextHandler(io.Discard, nil)),
		worker.OutboxOptions{Channels: []desk.Channel{h.Channel}, Parallel: 1})
	done := make(chan struct{})
	go func() { defer close(done); o.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var item *desk.OutboxItem
	for give := time.Now().Add(30 * time.Second); ; {
		var err error
		item, err = h.Store.OutboxByID(context.Background(), it.ID)
		if err != nil {
			t.Fatalf("outbox item: %v", err)
		}
		if item.State != desk.OutboxPending {
			break
		}
		if time.Now().After(give) {
			t.Fatalf("outbox item still pending after %d attempts (last error %q)", item.Attempts, item.LastError)
		}
		// A claimed item's next attempt is the end of its lease, minutes
		// ahead; one waiting for a retry is due within seconds of
		// backoff. Only then is the clock moved on, so that no lease
		// runs out under a delivery in flight.
		if now := clock.Now(); item.NextAttemptAt.Before(now.Add(time.Minute)) {
			clock.set(item.NextAttemptAt.Add(time.Second))
			o.Kick()
		}
		time.Sleep(5 * time.Millisecond)
	}
	if item.State != desk.OutboxDone || item.Attempts != 3 {
		t.Errorf("outbox item %s after %d attempts (last error %q), want done after 3", item.State, item.Attempts, item.LastError)
	}
	stored, err := h.Store.MessageByID(context.Background(), m.ID)
	if err != nil {
		t.Fatalf("message: %v", err)
	}
	if stored.Delivery != desk.DeliverySent || stored.ExternalID == "" {
		t.Errorf("message delivery %q, provider id %q; want sent with the provider's id", stored.Delivery, stored.ExternalID)
	}
	if got := texts(h.Got()); !slices.Equal(got, []string{text}) {
		t.Errorf("provider accepted %q, want the reply exactly once", got)
	}
}

// fakeClock is the outbox worker's clock, moved by the test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// nopBus drops the worker's events.
type nopBus struct{}

func (nopBus) Publish(context.Context, desk.Event)        {}
func (nopBus) Subscribe(func(desk.Event)) (cancel func()) { return func() {} }
