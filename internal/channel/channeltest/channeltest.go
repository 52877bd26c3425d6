// Package channeltest is the conformance suite every channel adapter must
// pass, whatever its provider.
//
// Run is for webhook channels (desk.WebhookChannel): a verified inbound
// text becomes a contact, a conversation and a message; a replay stores
// nothing twice; a request that fails the provider's authentication is
// refused; an event balie ignores is acknowledged; a body over the size
// limit is refused with 413; a reply reaches the provider and comes back
// with its id; the provider's rate limits and outages are temporary
// failures while its refusals are not; and, where the provider has them,
// delivery statuses move a sent message forward only (Harness.Status) and
// media land in the blob store with their sniffed type and a thumbnail, or
// as a note when too large (Harness.InboundMedia).
//
// RunSender is for every desk.Channel as a sender, send-only ones included
// (the API channel, email submission): a reply reaches the fake provider
// with an idempotency key stable across retries, failures are told apart
// as the outbox needs, and the outbox worker delivers a reply exactly once
// through a provider that fails twice first.
//
// A channel's own tests supply a harness built from their fake provider
// and call Run or RunSender. channeltest is test support: it imports desk,
// the outbox worker and the standard library only, and is imported only by
// _test.go files.
package channeltest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// Harness is one channel under test on a fresh store, with a fake provider.
// Run asks for a new Harness in every subtest, so subtests share nothing.
type Harness struct {
	// Kind is the kind the channel must report.
	Kind    desk.ChannelKind
	Store   desk.Store
	Channel desk.WebhookChannel // built on Store (through its conversation service)
	// Inbox is an inbox of Kind already created in Store, with settings
	// (secrets, tokens, API base) that the fake provider accepts.
	Inbox desk.Inbox

	// Inbound returns a webhook request carrying one text message, correctly
	// authenticated for Inbox. Calls with the same n return the same
	// provider message from the same customer; a different n is another
	// message from another customer.
	Inbound func(n int, text string) *http.Request
	// Tamper returns r (fresh from Inbound) with its authentication broken:
	// a wrong signature or secret token.
	Tamper func(r *http.Request) *http.Request
	// Unknown returns an authenticated webhook request carrying an event
	// balie ignores (stores nothing for).
	Unknown func() *http.Request

	// Sent lists the texts the fake provider accepted, oldest first.
	Sent func() []string
	// Fail makes the fake provider answer every send call with status, in
	// the provider's own error format, until Fail(0).
	Fail func(status int)

	// Blob is the blob store the channel keeps media in; required with
	// InboundMedia.
	Blob desk.Blob
	// Status, optional, returns an authenticated provider webhook
	// reporting state for the message the provider accepted as
	// providerID (failed with reason in the provider's error format). It
	// returns nil for a state the provider never reports (Messenger has
	// no "sent" and no "failed" receipt); Status itself is nil for a
	// provider without receipts (Telegram), and the suite says so.
	Status func(providerID string, state desk.Delivery, reason string) *http.Request
	// InboundMedia, optional, returns an authenticated webhook request
	// carrying an image message from customer n (as for Inbound) whose
	// file the fake provider serves, and what the suite must find stored.
	// With oversize the fake serves (or declares) a file over the
	// channel's media limit.
	InboundMedia func(n int, oversize bool) (*http.Request, MediaWant)
}

// MediaWant is what an inbound media message must leave in the store.
type MediaWant struct {
	// ContentType is the type sniffed from the bytes (not what the
	// provider declared).
	ContentType string
	// Data are the bytes the fake served; the blob must hold exactly them.
	Data []byte
	// Thumbnail is whether a preview must be made (images balie decodes).
	Thumbnail bool
	// TooLargeNote is the text the message body must contain when the
	// file was over the limit: the agent must see why it is missing.
	TooLargeNote string
}

// check reports the first field of h a test forgot.
func (h Harness) check() error {
	missing := map[string]bool{
		"Store": h.Store == nil, "Channel": h.Channel == nil, "Inbox.ID": h.Inbox.ID == 0,
		"Inbound": h.Inbound == nil, "Tamper": h.Tamper == nil, "Unknown": h.Unknown == nil,
		"Sent": h.Sent == nil, "Fail": h.Fail == nil, "Kind": h.Kind == "",
		"Blob (for InboundMedia)": h.InboundMedia != nil && h.Blob == nil,
	}
	var names []string
	for name, m := range missing {
		if m {
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		return fmt.Errorf("channeltest: harness lacks %v", names)
	}
	return nil
}

// Run runs the conformance suite; setup returns a fresh Harness for each
// subtest (register cleanups on the t it is given).
func Run(t *testing.T, setup func(t *testing.T) Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"Kind", testKind},
		{"InboundText", testInboundText},
		{"InboundTwoCustomers", testTwoCustomers},
		{"ReplayIsIdempotent", testReplay},
		{"TamperedRefused", testTampered},
		{"UnknownEventAcknowledged", testUnknown},
		{"OversizedBodyRefused", testOversized},
		{"Send", testSend},
		{"SendFailures", testSendFailures},
		{"StatusesMoveForward", testStatuses},
		{"LateStatusIgnored", testLateStatus},
		{"FailedStatusKeepsReason", testFailedStatus},
		{"StatusOfUnknownMessage", testUnknownStatus},
		{"InboundMedia", testMedia},
		{"InboundMediaTooLarge", testMediaTooLarge},
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

func testKind(t *testing.T, h Harness) {
	if got := h.Channel.Kind(); got != h.Kind {
		t.Errorf("Kind() = %q, want %q", got, h.Kind)
	}
	if h.Inbox.Channel != h.Kind {
		t.Errorf("harness inbox is of kind %q, want %q", h.Inbox.Channel, h.Kind)
	}
}

func testInboundText(t *testing.T, h Harness) {
	const text = "Waar blijft mijn bestelling 4711? 📦"
	if code := serve(h, h.Inbound(1, text)); !success(code) {
		t.Fatalf("inbound text: status %d, want 2xx", code)
	}
	got := snapshot(t, h)
	if len(got.contacts) != 1 || len(got.conversations) != 1 || len(got.messages) != 1 {
		t.Fatalf("stored %d contacts, %d conversations, %d messages; want 1 of each",
			len(got.contacts), len(got.conversations), len(got.messages))
	}
	c, m := got.conversations[0], got.messages[0]
	k, err := h.Store.ContactByID(context.Background(), got.contacts[0].ID)
	if err != nil {
		t.Fatalf("contact: %v", err)
	}
	if c.ContactID != k.ID || c.Channel != h.Kind || c.InboxID != h.Inbox.ID {
		t.Errorf("conversation: contact %d, channel %q, inbox %d; want contact %d, channel %q, inbox %d",
			c.ContactID, c.Channel, c.InboxID, k.ID, h.Kind, h.Inbox.ID)
	}
	if m.Body != text {
		t.Errorf("message body = %q, want %q", m.Body, text)
	}
	if m.Kind != desk.KindMessage || m.Sender != desk.SenderContact || m.SenderID != k.ID {
		t.Errorf("message: kind %q, sender %q %d; want %q from contact %d",
			m.Kind, m.Sender, m.SenderID, desk.KindMessage, k.ID)
	}
	// The provider's id is what makes a replay recognisable.
	if m.ExternalID == "" {
		t.Error("message has no provider id (ExternalID)")
	}
	// Without an identity the customer cannot be recognised next time, nor
	// answered on the channel.
	if len(k.Identities) == 0 {
		t.Error("contact has no identity")
	}
}

func testTwoCustomers(t *testing.T, h Harness) {
	for n, text := range []string{"Eerste vraag", "Tweede vraag"} {
		if code := serve(h, h.Inbound(n+1, text)); !success(code) {
			t.Fatalf("inbound %d: status %d, want 2xx", n+1, code)
		}
	}
	got := snapshot(t, h)
	if len(got.contacts) != 2 || len(got.conversations) != 2 || len(got.messages) != 2 {
		t.Errorf("two customers' messages stored as %d contacts, %d conversations, %d messages; want 2 of each",
			len(got.contacts), len(got.conversations), len(got.messages))
	}
}

func testReplay(t *testing.T, h Harness) {
	const text = "Graag een retourlabel"
	if code := serve(h, h.Inbound(1, text)); !success(code) {
		t.Fatalf("first delivery: status %d, want 2xx", code)
	}
	before := snapshot(t, h)
	// Providers redeliver when they saw no answer in time: the copy must
	// be acknowledged (or the provider keeps trying) and stored nowhere.
	for i := range 2 {
		if code := serve(h, h.Inbound(1, text)); !success(code) {
			t.Errorf("replay %d: status %d, want 2xx", i+1, code)
		}
	}
	if after := snapshot(t, h); !after.same(before) {
		t.Errorf("replay stored something: before %s, after %s", before, after)
	}
}

func testTampered(t *testing.T, h Harness) {
	before := snapshot(t, h)
	code := serve(h, h.Tamper(h.Inbound(1, "Ik ben echt de klant")))
	if code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Errorf("tampered request: status %d, want 401 or 403", code)
	}
	if after := snapshot(t, h); !after.same(before) {
		t.Errorf("tampered request stored something: before %s, after %s", before, after)
	}
	// The refusal must not have burned the message id: the genuine
	// request still goes through.
	if code := serve(h, h.Inbound(1, "Ik ben echt de klant")); !success(code) {
		t.Fatalf("genuine request after a tampered one: status %d, want 2xx", code)
	}
	if got := snapshot(t, h); len(got.messages) != len(before.messages)+1 {
		t.Errorf("genuine request after a tampered one stored %d messages, want 1", len(got.messages)-len(before.messages))
	}
}

func testUnknown(t *testing.T, h Harness) {
	before := snapshot(t, h)
	if code := serve(h, h.Unknown()); !success(code) {
		t.Errorf("unknown event: status %d, want 2xx (or the provider redelivers it forever)", code)
	}
	if after := snapshot(t, h); !after.same(before) {
		t.Errorf("unknown event stored something: before %s, after %s", before, after)
	}
}

// reply is an agent's reply to the customer of the inbound message n,
// built as the outbox worker builds it: from the stored conversation and
// contact.
func reply(t *testing.T, h Harness, n int, body string) desk.Outbound {
	t.Helper()
	before := snapshot(t, h)
	if code := serve(h, h.Inbound(n, fmt.Sprintf("Vraag %d", n))); !success(code) {
		t.Fatalf("inbound %d: status %d, want 2xx", n, code)
	}
	var c desk.Conversation
	for _, x := range snapshot(t, h).conversations {
		if !slices.ContainsFunc(before.conversations, func(y desk.Conversation) bool { return y.ID == x.ID }) {
			c = x
		}
	}
	if c.ID == 0 {
		t.Fatalf("inbound %d stored no new conversation", n)
	}
	k, err := h.Store.ContactByID(context.Background(), c.ContactID)
	if err != nil {
		t.Fatalf("contact: %v", err)
	}
	id := int64(1000 + n)
	return desk.Outbound{Inbox: h.Inbox, Conversation: c, Contact: *k,
		Message: desk.Message{ID: id, ConversationID: c.ID, Kind: desk.KindMessage,
			Sender: desk.SenderAgent, Body: body, Delivery: desk.DeliveryQueued},
		IdempotencyKey: fmt.Sprintf("conformance-%d", id)}
}

func testSend(t *testing.T, h Harness) {
	ctx := context.Background()
	texts := []string{"Uw pakket komt morgen tussen 9 en 12 uur.", "Fijne dag! 🌷"}
	var ids []string
	for i, text := range texts {
		id, err := h.Channel.Send(ctx, reply(t, h, i+1, text))
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
	if got := h.Sent(); !slices.Equal(got, texts) {
		t.Errorf("provider received %q, want %q", got, texts)
	}
}

func testSendFailures(t *testing.T, h Harness) {
	ctx := context.Background()
	tests := []struct {
		name      string
		status    int
		temporary bool
	}{
		{"rate limited", http.StatusTooManyRequests, true},
		{"unavailable", http.StatusServiceUnavailable, true},
		{"bad gateway", http.StatusBadGateway, true},
		{"refused", http.StatusBadRequest, false},
		{"forbidden", http.StatusForbidden, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := reply(t, h, i+1, "Dit antwoord komt later aan")
			sentBefore := len(h.Sent())
			h.Fail(tc.status)
			id, err := h.Channel.Send(ctx, out)
			h.Fail(0)
			if err == nil {
				t.Fatalf("provider answered %d: Send returned id %q and no error", tc.status, id)
			}
			if got := errors.Is(err, desk.ErrTemporary); got != tc.temporary {
				t.Errorf("provider answered %d: errors.Is(%v, ErrTemporary) = %v, want %v", tc.status, err, got, tc.temporary)
			}
			if n := len(h.Sent()) - sentBefore; n != 0 {
				t.Errorf("provider answered %d but %d texts were recorded as received", tc.status, n)
			}
			// What the outbox worker does next: try again once the
			// provider is back.
			id, err = h.Channel.Send(ctx, out)
			if err != nil || id == "" {
				t.Errorf("retry after the provider recovered: id %q, err %v; want an id", id, err)
			}
		})
	}
}

// serve runs r through the inbox's webhook and returns the status.
func serve(h Harness, r *http.Request) int {
	w := httptest.NewRecorder()
	h.Channel.Webhook(h.Inbox).ServeHTTP(w, r)
	return w.Code
}

func success(code int) bool { return code >= 200 && code < 300 }

// state is what the store holds that inbound traffic could add to.
type state struct {
	contacts      []desk.Contact
	conversations []desk.Conversation // of the inbox
	messages      []desk.Message      // of the inbox's conversations
}

func (s state) same(o state) bool {
	return len(s.contacts) == len(o.contacts) && len(s.conversations) == len(o.conversations) &&
		len(s.messages) == len(o.messages)
}

func (s state) String() string {
	return fmt.Sprintf("%d contacts, %d conversations, %d messages", len(s.contacts), len(s.conversations), len(s.messages))
}

// snapshot reads every contact, and the inbox's conversations and messages.
func snapshot(t *testing.T, h Harness) state {
	t.Helper()
	ctx := context.Background()
	var s state
	const page = 200
	for off := 0; ; off += page {
		cs, err := h.Store.ListContacts(ctx, desk.ContactQuery{Limit: page, Offset: off})
		if err != nil {
			t.Fatalf("list contacts: %v", err)
		}
		s.contacts = append(s.contacts, cs...)
		if len(cs) < page {
			break
		}
	}
	q := desk.ConversationQuery{InboxID: h.Inbox.ID, Limit: page}
	for {
		p, err := h.Store.ListConversations(ctx, q)
		if err != nil {
			t.Fatalf("list conversations: %v", err)
		}
		s.conversations = append(s.conversations, p.Items...)
		if p.Next == nil {
			break
		}
		q.After = p.Next
	}
	for _, c := range s.conversations {
		for after := int64(0); ; {
			ms, err := h.Store.ListMessages(ctx, c.ID, after, page)
			if err != nil {
				t.Fatalf("list messages: %v", err)
			}
			s.messages = append(s.messages, ms...)
			if len(ms) < page {
				break
			}
			after = ms[len(ms)-1].ID
		}
	}
	return s
}
