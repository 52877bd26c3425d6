package conversation_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// notes counts the notes in a conversation's thread.
func notes(t *testing.T, f *fixture, convID int64) []desk.Message {
	t.Helper()
	msgs, err := f.st.ListMessages(context.Background(), convID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []desk.Message
	for _, m := range msgs {
		if m.Kind == desk.KindNote {
			out = append(out, m)
		}
	}
	return out
}

func (r *recorder) count(typ string) int {
	n := 0
	for _, got := range r.types() {
		if got == typ {
			n++
		}
	}
	return n
}

func TestNoteOnceWritesOneNotePerKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		res, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, Body: "Hallo",
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}})
		if err != nil {
			t.Fatal(err)
		}
		convID := res.Conversation.ID
		published := f.bus.count(desk.EventMessageCreated)

		first, created, err := f.svc.NoteOnce(ctx, conversation.Actor{Name: "balie"}, convID, "sla-esc:7", "SLA geschonden: eerste reactie")
		if err != nil || !created {
			t.Fatalf("first NoteOnce: created %v, err %v; want a new note", created, err)
		}
		// A retry after a crash words the note anew: the first stays.
		again, created, err := f.svc.NoteOnce(ctx, conversation.Actor{Name: "balie"}, convID, "sla-esc:7", "SLA breached: first response")
		if err != nil || created {
			t.Fatalf("second NoteOnce: created %v, err %v; want the existing note", created, err)
		}
		if again.ID != first.ID || again.Body != first.Body {
			t.Errorf("second NoteOnce returned message %d %q, want %d %q", again.ID, again.Body, first.ID, first.Body)
		}
		if got := notes(t, f, convID); len(got) != 1 {
			t.Fatalf("thread has %d notes, want 1", len(got))
		}
		if got := f.bus.count(desk.EventMessageCreated) - published; got != 1 {
			t.Errorf("%d message.created events, want 1: the existing note is not announced again", got)
		}
		// Another key is another note; a plain Note carries no key.
		if _, created, err := f.svc.NoteOnce(ctx, conversation.Actor{Name: "balie"}, convID, "sla-esc:8", "SLA: volgende reactie"); err != nil || !created {
			t.Fatalf("NoteOnce with another key: created %v, err %v; want a new note", created, err)
		}
		plain, err := f.svc.Note(ctx, f.actor(), convID, "Gewone notitie")
		if err != nil {
			t.Fatal(err)
		}
		if plain.ExternalID != "" {
			t.Errorf("plain note has external id %q, want none", plain.ExternalID)
		}
		if got := notes(t, f, convID); len(got) != 3 {
			t.Errorf("thread has %d notes, want 3", len(got))
		}
		// Notes never go out on the channel, keyed or not.
		if n, err := f.st.PendingOutbox(ctx); err != nil || n != 0 {
			t.Errorf("pending outbox = %d (%v), want 0", n, err)
		}
	})
}

func TestNoteOnceConcurrentCallsWriteOneNote(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		res, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, Body: "Hallo",
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}})
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		msgs := make([]*desk.Message, n)
		created := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				msgs[i], created[i], errs[i] = f.svc.NoteOnce(ctx, conversation.Actor{Name: "balie"},
					res.Conversation.ID, "sla-esc:1", "SLA geschonden: oplossing")
			}()
		}
		wg.Wait()
		writers := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			if created[i] {
				writers++
			}
			if msgs[i].ID != msgs[0].ID {
				t.Errorf("call %d returned message %d, want %d", i, msgs[i].ID, msgs[0].ID)
			}
		}
		if writers != 1 {
			t.Errorf("%d calls reported writing the note, want exactly 1", writers)
		}
		if got := notes(t, f, res.Conversation.ID); len(got) != 1 {
			t.Errorf("thread has %d notes, want 1", len(got))
		}
	})
}

func TestNoteOnceRefusesAKeyThatIsNotItsNote(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, Body: "A", ExternalID: "provider-1",
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "a@example.nl"}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.svc.Ingest(ctx, desk.Inbound{InboxID: f.api.ID, Body: "B",
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "b@example.nl"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.NoteOnce(ctx, conversation.Actor{Name: "balie"}, a.Conversation.ID, "sla-esc:3", "Notitie A"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name   string
			convID int64
			key    string
			want   error
		}{
			{"another conversation's note", b.Conversation.ID, "sla-esc:3", desk.ErrConflict},
			{"a customer's message", a.Conversation.ID, "provider-1", desk.ErrConflict},
			{"empty key", a.Conversation.ID, "", desk.ErrInvalid},
			{"padded key", a.Conversation.ID, " sla-esc:3", desk.ErrInvalid},
			{"missing conversation", 999999, "sla-esc:4", desk.ErrNotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				m, created, err := f.svc.NoteOnce(ctx, conversation.Actor{Name: "balie"}, tc.convID, tc.key, "Notitie")
				if !errors.Is(err, tc.want) {
					t.Fatalf("NoteOnce(%d, %q) = %v, %v, %v; want %v", tc.convID, tc.key, m, created, err, tc.want)
				}
			})
		}
		if got := notes(t, f, b.Conversation.ID); len(got) != 0 {
			t.Errorf("conversation B has %d notes, want 0", len(got))
		}
		// A provider's receipt never finds a note by its key.
		if err := f.svc.Receipt(ctx, f.api.ID, "sla-esc:3", desk.DeliveryRead, ""); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("receipt for a note's key: err = %v, want ErrNotFound", err)
		}
	})
}
