package storetest

import (
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

var fileTests = []test{
	{"attachments of a contact on every channel, newest first", func(t *testing.T, s desk.Store) {
		chat := newInbox(t, s, "chat", desk.ChannelWebChat)
		mail := newInbox(t, s, "mail", desk.ChannelEmail)
		jan := newContact(t, s, "Jan", "jan@example.nl", "")
		els := newContact(t, s, "Els", "els@example.nl", "")
		add := func(cv *desk.Conversation, sender desk.Sender, minute int, names ...string) {
			t.Helper()
			m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: sender, Body: "zie bijlage", CreatedAt: at(minute)}
			for _, n := range names {
				m.Attachments = append(m.Attachments, desk.Attachment{Name: n, ContentType: "image/png", Size: 10,
					BlobKey: "b/" + n, CreatedAt: at(minute)})
			}
			must(t, s.CreateMessage(ctx(t), m), "CreateMessage")
		}
		c1 := newConversation(t, s, chat, jan, at(0))
		c2 := newConversation(t, s, mail, jan, at(5))
		other := newConversation(t, s, chat, els, at(1))
		add(c1, desk.SenderContact, 1, "foto1.png")
		add(c2, desk.SenderContact, 6, "bon.png", "label.png")
		add(c1, desk.SenderAgent, 8, "handleiding.png")
		add(other, desk.SenderContact, 9, "niet-van-jan.png")
		add(c1, desk.SenderContact, 10) // no attachment

		got, err := s.AttachmentsOfContact(ctx(t), jan.ID, 0)
		must(t, err, "AttachmentsOfContact")
		var names []string
		for _, f := range got {
			names = append(names, f.Name)
		}
		want := []string{"handleiding.png", "label.png", "bon.png", "foto1.png"}
		if len(names) != len(want) {
			t.Fatalf("files = %v, want %v", names, want)
		}
		for i := range want {
			if names[i] != want[i] {
				t.Fatalf("files = %v, want %v (newest first, then the higher id)", names, want)
			}
		}
		if f := got[0]; f.ConversationID != c1.ID || f.Channel != desk.ChannelWebChat || f.Sender != desk.SenderAgent || f.BlobKey != "b/handleiding.png" {
			t.Errorf("newest = %+v, want the agent's file in the chat", f)
		}
		if f := got[1]; f.ConversationID != c2.ID || f.Channel != desk.ChannelEmail || f.ID == 0 || f.MessageID == 0 {
			t.Errorf("second = %+v, want a file of the mail conversation with its ids", f)
		}
		checkTime(t, "CreatedAt", got[3].CreatedAt, at(1))
		got, err = s.AttachmentsOfContact(ctx(t), jan.ID, 2)
		must(t, err, "AttachmentsOfContact limited")
		if len(got) != 2 {
			t.Errorf("limit 2: %d files", len(got))
		}
		got, err = s.AttachmentsOfContact(ctx(t), 424242, 0)
		if err != nil || len(got) != 0 {
			t.Errorf("unknown contact: %v, %v; want none", got, err)
		}
	}},
}

var verifyTests = []test{
	{"adding a handle verified marks the contact's unverified one verified", func(t *testing.T, s desk.Store) {
		jan := newContact(t, s, "Jan", "", "")
		els := newContact(t, s, "Els", "", "")
		typed := &desk.Identity{ContactID: jan.ID, Kind: desk.IdentityEmail, Value: "jan@example.nl"}
		must(t, s.AddIdentity(ctx(t), typed), "AddIdentity unverified")
		verified := func(c *desk.Contact) bool {
			t.Helper()
			got, err := s.ContactByID(ctx(t), c.ID)
			must(t, err, "ContactByID")
			for _, id := range got.Identities {
				if id.Kind == desk.IdentityEmail && id.Value == "jan@example.nl" {
					return id.Verified
				}
			}
			t.Fatalf("contact %d lacks the identity", c.ID)
			return false
		}
		if verified(jan) {
			t.Fatal("a typed address came out verified")
		}
		// Someone else cannot prove it for themselves.
		err := s.AddIdentity(ctx(t), &desk.Identity{ContactID: els.ID, Kind: desk.IdentityEmail, Value: "jan@example.nl", Verified: true})
		wantErr(t, err, desk.ErrConflict, "AddIdentity for another contact")
		if verified(jan) {
			t.Error("another contact's attempt verified the address")
		}
		again := &desk.Identity{ContactID: jan.ID, Kind: desk.IdentityEmail, Value: "jan@example.nl", Verified: true}
		must(t, s.AddIdentity(ctx(t), again), "AddIdentity verified")
		if again.ID != typed.ID || !verified(jan) {
			t.Errorf("after a verified add: id %d (want %d), verified %v; want the same identity, verified", again.ID, typed.ID, verified(jan))
		}
		// Adding it unverified again does not undo the proof.
		must(t, s.AddIdentity(ctx(t), &desk.Identity{ContactID: jan.ID, Kind: desk.IdentityEmail, Value: "jan@example.nl"}), "AddIdentity again")
		if !verified(jan) {
			t.Error("an unverified add took the verification away")
		}
	}},
}
