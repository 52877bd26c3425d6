package conversation_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// TestContinueOnAnotherChannel: a chat customer who left is answered by
// email. The answer opens a conversation in the email inbox and leaves
// through the outbox; the chat is resolved; both threads link each other.
func TestContinueOnAnotherChannel(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		mail := &desk.Inbox{Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mail", Settings: map[string]string{}}
		wa := &desk.Inbox{Name: "WhatsApp", Channel: desk.ChannelWhatsApp, PublicKey: "wa", Settings: map[string]string{}}
		for _, in := range []*desk.Inbox{mail, wa} {
			if err := f.st.CreateInbox(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		res, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.chat.ID, Body: "Mijn fiets rammelt",
			From: desk.Identity{Kind: desk.IdentityVisitor, Value: "v-1"}, FromName: "Jan", FromEmail: "jan@example.nl"})
		if err != nil {
			t.Fatal(err)
		}
		chat := res.Conversation
		prio := desk.PriorityHigh
		if _, err := f.svc.Update(ctx, f.actor(), chat.ID, changePriority(prio)); err != nil {
			t.Fatal(err)
		}

		// Refused: no body, the same inbox, a channel without the customer's handle.
		for name, tc := range map[string]struct {
			inbox int64
			body  string
		}{
			"empty body":      {mail.ID, "  "},
			"same inbox":      {f.chat.ID, "Hoi"},
			"no phone number": {wa.ID, "Hoi"},
			"unknown inbox":   {424242, "Hoi"},
		} {
			if _, _, err := f.svc.Continue(ctx, f.actor(), chat.ID, tc.inbox, tc.body); !errors.Is(err, desk.ErrInvalid) && !errors.Is(err, desk.ErrNotFound) {
				t.Errorf("%s: err = %v, want invalid or not found", name, err)
			}
		}
		if n, _ := f.st.PendingOutbox(ctx); n != 0 {
			t.Fatalf("a refused continue queued %d sends", n)
		}

		conv, msg, err := f.svc.Continue(ctx, f.actor(), chat.ID, mail.ID, "Beste Jan, stuur ons een foto van het achterwiel?")
		if err != nil {
			t.Fatalf("Continue: %v", err)
		}
		if conv.InboxID != mail.ID || conv.Channel != desk.ChannelEmail || conv.ContactID != chat.ContactID ||
			conv.Priority != prio || conv.AssigneeID != f.agent.ID || conv.Subject == "" {
			t.Errorf("new conversation = %+v, want the same customer by email, priority high, assigned, with a subject", conv)
		}
		if msg.Delivery != desk.DeliveryQueued || msg.ConversationID != conv.ID {
			t.Errorf("message = %+v, want queued in the new conversation", msg)
		}
		if n, _ := f.st.PendingOutbox(ctx); n != 1 {
			t.Errorf("pending outbox = %d, want the one email", n)
		}
		old, err := f.st.ConversationByID(ctx, chat.ID)
		if err != nil {
			t.Fatal(err)
		}
		if old.Status != desk.StatusResolved {
			t.Errorf("chat status = %s, want resolved", old.Status)
		}
		link := func(convID int64, key string, want int64) {
			t.Helper()
			ms, err := f.st.ListMessages(ctx, convID, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				for _, it := range m.Activity {
					if it.Key == key && len(it.Args) == 2 && it.Args[1] == itoa(want) {
						return
					}
				}
			}
			t.Errorf("conversation %d has no %s activity pointing at %d", convID, key, want)
		}
		link(chat.ID, desk.ActivityContinuedIn, conv.ID)
		link(conv.ID, desk.ActivityContinuedFrom, chat.ID)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func changePriority(p desk.Priority) conversation.Change { return conversation.Change{Priority: &p} }
