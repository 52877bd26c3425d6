package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// TestContactIdentities checks the one-query read of a contact with its
// identities: none, one, several in insertion order, by id and by identity.
func TestContactIdentities(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	tests := []struct {
		name  string
		kinds []desk.IdentityKind
	}{
		{"none", nil},
		{"one", []desk.IdentityKind{desk.IdentityEmail}},
		{"several", []desk.IdentityKind{desk.IdentityPhone, desk.IdentityEmail, desk.IdentityVisitor}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &desk.Contact{Name: "Klant " + tc.name, Attributes: map[string]string{"plan": tc.name}}
			if err := s.CreateContact(ctx, c); err != nil {
				t.Fatal(err)
			}
			var want []desk.Identity
			for i, k := range tc.kinds {
				id := &desk.Identity{ContactID: c.ID, Kind: k, Value: fmt.Sprintf("%s-%d", tc.name, i), Verified: i == 0}
				if err := s.AddIdentity(ctx, id); err != nil {
					t.Fatal(err)
				}
				want = append(want, *id)
			}
			check := func(what string, got *desk.Contact) {
				t.Helper()
				if got.ID != c.ID || got.Name != c.Name || got.Attributes["plan"] != tc.name {
					t.Errorf("%s = %+v, want contact %d %q with plan %q", what, got, c.ID, c.Name, tc.name)
				}
				if len(got.Identities) != len(want) {
					t.Fatalf("%s: %d identities, want %d", what, len(got.Identities), len(want))
				}
				for i, w := range want {
					g := got.Identities[i]
					if g.ID != w.ID || g.ContactID != c.ID || g.Kind != w.Kind || g.Value != w.Value || g.Verified != w.Verified ||
						!g.CreatedAt.Equal(w.CreatedAt) {
						t.Errorf("%s identity %d = %+v, want %+v", what, i, g, w)
					}
				}
			}
			got, err := s.ContactByID(ctx, c.ID)
			if err != nil {
				t.Fatalf("ContactByID: %v", err)
			}
			check("ContactByID", got)
			if len(want) > 0 {
				got, err := s.ContactByIdentity(ctx, want[len(want)-1].Kind, want[len(want)-1].Value)
				if err != nil {
					t.Fatalf("ContactByIdentity: %v", err)
				}
				check("ContactByIdentity", got)
			}
		})
	}
}

// TestListMessagesMixedAttachments checks that attachments land on the
// right messages when only some of a page have any.
func TestListMessagesMixedAttachments(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	in := &desk.Inbox{Name: "web", Channel: desk.ChannelWebChat, PublicKey: "web"}
	if err := s.CreateInbox(ctx, in); err != nil {
		t.Fatal(err)
	}
	c := &desk.Contact{Name: "Jan"}
	if err := s.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusOpen}
	if err := s.CreateConversation(ctx, cv); err != nil {
		t.Fatal(err)
	}
	wantAtt := []int{0, 2, 0, 1, 0} // attachments per message, in order
	for i, n := range wantAtt {
		m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: c.ID,
			Body: fmt.Sprintf("bericht %d", i)}
		for j := range n {
			m.Attachments = append(m.Attachments, desk.Attachment{Name: fmt.Sprintf("%d-%d.jpg", i, j), BlobKey: "b"})
		}
		if err := s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ListMessages(ctx, cv.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(wantAtt) {
		t.Fatalf("ListMessages: %d messages, want %d", len(list), len(wantAtt))
	}
	for i, m := range list {
		if len(m.Attachments) != wantAtt[i] {
			t.Errorf("message %d: %d attachments, want %d", i, len(m.Attachments), wantAtt[i])
		}
		for j, a := range m.Attachments {
			if want := fmt.Sprintf("%d-%d.jpg", i, j); a.Name != want || a.MessageID != m.ID {
				t.Errorf("message %d attachment %d = %q of message %d, want %q of %d", i, j, a.Name, a.MessageID, want, m.ID)
			}
		}
		one, err := s.MessageByID(ctx, m.ID)
		if err != nil {
			t.Fatalf("MessageByID(%d): %v", m.ID, err)
		}
		if len(one.Attachments) != wantAtt[i] {
			t.Errorf("MessageByID(%d): %d attachments, want %d", m.ID, len(one.Attachments), wantAtt[i])
		}
	}
}
