package conversation_test

import (
	"context"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// TestServiceKeepsTheFactsReportsNeed: the first agent reply (not a note,
// not the bot), the bot's hand-over and every reopening are recorded on the
// conversation, for first-response times, bot resolution and first-contact
// resolution.
func TestServiceKeepsTheFactsReportsNeed(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		res, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.chat.ID, Body: "Hallo",
			From: desk.Identity{Kind: desk.IdentityVisitor, Value: "v-9"}})
		if err != nil {
			t.Fatal(err)
		}
		id := res.Conversation.ID
		read := func() *desk.Conversation {
			t.Helper()
			c, err := f.st.ConversationByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		step := func() { f.now = f.now.Add(time.Minute) }

		step()
		if _, err := f.svc.Reply(ctx, conversation.Actor{Bot: true, Name: "Bot"}, id, "Ik zoek het op", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Note(ctx, f.actor(), id, "notitie"); err != nil {
			t.Fatal(err)
		}
		if c := read(); !c.FirstReplyAt.IsZero() {
			t.Errorf("FirstReplyAt = %v after the bot and a note, want zero", c.FirstReplyAt)
		}
		step()
		handover := f.now
		if _, err := f.svc.Update(ctx, conversation.Actor{Bot: true, Name: "Bot"}, id, conversation.Change{Handover: true}); err != nil {
			t.Fatal(err)
		}
		step()
		replied := f.now
		if _, err := f.svc.Reply(ctx, f.actor(), id, "Dag!", nil); err != nil {
			t.Fatal(err)
		}
		step()
		if _, err := f.svc.Reply(ctx, f.actor(), id, "Nog iets?", nil); err != nil {
			t.Fatal(err)
		}
		c := read()
		if !c.FirstReplyAt.Equal(replied) || !c.HandedOverAt.Equal(handover) || c.Reopens != 0 {
			t.Errorf("first reply %v, handed over %v, reopens %d; want %v, %v, 0", c.FirstReplyAt, c.HandedOverAt, c.Reopens, replied, handover)
		}
		// Resolved, then reopened by the customer and by an agent.
		resolved, open := desk.StatusResolved, desk.StatusOpen
		for range 2 {
			if _, err := f.svc.Update(ctx, f.actor(), id, conversation.Change{Status: &resolved}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.chat.ID, ConversationID: id, Body: "Toch nog een vraag",
			From: desk.Identity{Kind: desk.IdentityVisitor, Value: "v-9"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Update(ctx, f.actor(), id, conversation.Change{Status: &resolved}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Update(ctx, f.actor(), id, conversation.Change{Status: &open}); err != nil {
			t.Fatal(err)
		}
		if c := read(); c.Reopens != 2 || !c.FirstReplyAt.Equal(replied) {
			t.Errorf("reopens %d, first reply %v; want 2 and unchanged", c.Reopens, c.FirstReplyAt)
		}
	})
}
