package contact_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestMergeCandidatesMergeUndoSplit: three profiles of one person (a phone
// in another format, an email in another case, the same name with an order
// number) are suggested with their evidence; merging keeps every
// conversation; the merge is undone from its record; a split gives chosen
// identities and conversations to a new profile.
func TestMergeCandidatesMergeUndoSplit(t *testing.T) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) {
			ctx := context.Background()
			st := o.Open(t)
			in := &desk.Inbox{Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "m"}
			if err := st.CreateInbox(ctx, in); err != nil {
				t.Fatal(err)
			}
			newContact := func(name, email, phone string, ids ...desk.Identity) *desk.Contact {
				c := &desk.Contact{Name: name, Email: email, Phone: phone}
				if err := st.CreateContact(ctx, c); err != nil {
					t.Fatal(err)
				}
				for _, idn := range ids {
					idn.ContactID = c.ID
					if err := st.AddIdentity(ctx, &idn); err != nil {
						t.Fatal(err)
					}
				}
				return c
			}
			conv := func(c *desk.Contact, body string) *desk.Conversation {
				cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusOpen,
					Priority: desk.PriorityNone, LastActivityAt: time.Now(), CreatedAt: time.Now()}
				if err := st.CreateConversation(ctx, cv); err != nil {
					t.Fatal(err)
				}
				m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: c.ID,
					Body: body, CreatedAt: time.Now(), SearchTerms: lang.IndexTerms(body)}
				if err := st.CreateMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
				return cv
			}
			jan := newContact("Jan de Boer", "jan@example.nl", "+31612345678",
				desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"})
			conv(jan, "Waar blijft bestelling 1004321?")
			whatsapp := newContact("Jan", "", "", desk.Identity{Kind: desk.IdentityPhone, Value: "+31612345678"})
			conv(whatsapp, "Hallo")
			caps := newContact("J. de Boer", "", "", desk.Identity{Kind: desk.IdentityEmail, Value: "JAN@EXAMPLE.NL"})
			namesake := newContact("Jan de Boer", "", "", desk.Identity{Kind: desk.IdentityEmail, Value: "jdb@work.example"})
			conv(namesake, "Over order 1004321: kan ik een factuur krijgen?")
			newContact("Piet", "piet@example.nl", "")

			cands, err := contact.MergeCandidates(ctx, st, jan.ID)
			if err != nil {
				t.Fatal(err)
			}
			reasons := map[int64][]string{}
			for _, c := range cands {
				reasons[c.Contact.ID] = c.Reasons
			}
			want := map[int64]string{whatsapp.ID: "same phone +31612345678", caps.ID: "same email jan@example.nl",
				namesake.ID: "same name and order 1004321"}
			for id, r := range want {
				if !slices.Contains(reasons[id], r) {
					t.Errorf("candidate %d reasons = %v, want %q", id, reasons[id], r)
				}
			}
			if len(cands) != 3 {
				t.Errorf("%d candidates, want 3: %+v", len(cands), cands)
			}

			m, err := contact.Merge(ctx, st, nil, jan.ID, whatsapp.ID, "same phone +31612345678")
			if err != nil {
				t.Fatal(err)
			}
			convs, _ := st.ConversationsOfContact(ctx, jan.ID, 10)
			if len(convs) != 2 {
				t.Errorf("after the merge Jan has %d conversations, want 2", len(convs))
			}
			if _, err := st.ContactByID(ctx, whatsapp.ID); !errors.Is(err, desk.ErrNotFound) {
				t.Errorf("merged profile still there: %v", err)
			}
			if _, err := contact.Merge(ctx, st, nil, jan.ID, jan.ID, ""); !errors.Is(err, desk.ErrInvalid) {
				t.Errorf("self-merge err = %v", err)
			}
			if _, err := st.UndoMerge(ctx, m.ID, time.Time{}); err != nil {
				t.Fatal(err)
			}
			back, err := st.ContactByID(ctx, whatsapp.ID)
			if err != nil || back.Name != "Jan" {
				t.Errorf("after undo: %v, %v", back, err)
			}

			// Jan's profile also holds the namesake's work address by
			// mistake: split it off with its conversation.
			work := desk.Identity{ContactID: jan.ID, Kind: desk.IdentityEmail, Value: "jan.werk@example.com"}
			if err := st.AddIdentity(ctx, &work); err != nil {
				t.Fatal(err)
			}
			workConv := conv(jan, "Vraag vanuit het werk")
			split, err := contact.Split(ctx, st, st, jan.ID, "Jan (werk)", []int64{work.ID}, []int64{workConv.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(split.Identities) != 1 || !strings.Contains(split.Identities[0].Value, "werk") {
				t.Errorf("split profile identities = %+v", split.Identities)
			}
			if got, _ := st.ConversationByID(ctx, workConv.ID); got.ContactID != split.ID {
				t.Errorf("the work conversation stayed with %d", got.ContactID)
			}
			if _, err := contact.Split(ctx, st, st, jan.ID, "x", []int64{999999}, nil); !errors.Is(err, desk.ErrInvalid) {
				t.Errorf("split with another profile's identity: err = %v", err)
			}
		})
	}
}
