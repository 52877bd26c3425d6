package storetest

import (
	"errors"
	"maps"
	"reflect"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

var messageTests = []test{
	{"set external id of a sent message", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "WhatsApp", desk.ChannelWhatsApp)
		c := newContact(t, s, "Jan", "", "+31612345678")
		cv := newConversation(t, s, in, c, at(0))
		a := newMessage(t, s, cv, desk.KindMessage, desk.SenderAgent, 0, "Hallo")
		b := newMessage(t, s, cv, desk.KindMessage, desk.SenderAgent, 0, "Nog iets")
		must(t, s.SetExternalID(ctx(t), a.ID, "wamid.A"), "SetExternalID")
		got, err := s.MessageByExternalID(ctx(t), in.ID, "wamid.A")
		must(t, err, "MessageByExternalID")
		if got.ID != a.ID {
			t.Errorf("MessageByExternalID = message %d, want %d", got.ID, a.ID)
		}
		// Once set, it stays: a second send's id does not replace it.
		must(t, s.SetExternalID(ctx(t), a.ID, "wamid.B"), "SetExternalID again")
		if _, err := s.MessageByExternalID(ctx(t), in.ID, "wamid.B"); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("the second id replaced the first: err = %v", err)
		}
		wantErr(t, s.SetExternalID(ctx(t), b.ID, "wamid.A"), desk.ErrConflict, "SetExternalID taken")
		wantErr(t, s.SetExternalID(ctx(t), 424242, "wamid.C"), desk.ErrNotFound, "SetExternalID missing")
	}},
	{"create with attachments and read back", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan de Vries", "", "")
		cv := newConversation(t, s, in, c, at(0))
		m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: c.ID,
			Body: "Zie foto <script>", ExternalID: "wamid.1", CreatedAt: at(1),
			Meta: map[string]string{desk.MetaEmailAuth: "spf=pass dkim=fail", "x": `"quoted" <b>`},
			Attachments: []desk.Attachment{
				{Name: "foto.jpg", ContentType: "image/jpeg", Size: 12345, BlobKey: "b/1", ThumbKey: "t/1", Width: 640, Height: 480},
				{Name: "bon.pdf", ContentType: "application/pdf", Size: 999, BlobKey: "b/2"},
			}}
		must(t, s.CreateMessage(ctx(t), m), "CreateMessage")
		if m.ID == 0 {
			t.Fatal("CreateMessage did not set ID")
		}
		for i, a := range m.Attachments {
			if a.ID == 0 || a.MessageID != m.ID {
				t.Errorf("attachment %d: ID %d MessageID %d, want set and %d", i, a.ID, a.MessageID, m.ID)
			}
		}
		check := func(what string, got *desk.Message) {
			t.Helper()
			if got.ID != m.ID || got.ConversationID != cv.ID || got.Kind != desk.KindMessage || got.Sender != desk.SenderContact ||
				got.SenderID != c.ID || got.SenderName != "Jan de Vries" || got.Body != m.Body || got.ExternalID != "wamid.1" ||
				got.Delivery != desk.DeliveryNone {
				t.Errorf("%s = %+v, want %+v", what, got, m)
			}
			if !maps.Equal(got.Meta, m.Meta) {
				t.Errorf("%s Meta = %v, want %v", what, got.Meta, m.Meta)
			}
			checkTime(t, what+" CreatedAt", got.CreatedAt, at(1))
			if len(got.Attachments) != 2 {
				t.Fatalf("%s: %d attachments, want 2", what, len(got.Attachments))
			}
			for i, a := range got.Attachments {
				w := m.Attachments[i]
				if a.ID != w.ID || a.MessageID != m.ID || a.Name != w.Name || a.ContentType != w.ContentType || a.Size != w.Size ||
					a.BlobKey != w.BlobKey || a.ThumbKey != w.ThumbKey || a.Width != w.Width || a.Height != w.Height {
					t.Errorf("%s attachment %d = %+v, want %+v", what, i, a, w)
				}
			}
		}
		got, err := s.MessageByID(ctx(t), m.ID)
		must(t, err, "MessageByID")
		check("MessageByID", got)
		got, err = s.MessageByExternalID(ctx(t), in.ID, "wamid.1")
		must(t, err, "MessageByExternalID")
		check("MessageByExternalID", got)
		list, err := s.ListMessages(ctx(t), cv.ID, 0, 0)
		must(t, err, "ListMessages")
		if len(list) != 1 {
			t.Fatalf("ListMessages: %d messages, want 1", len(list))
		}
		check("ListMessages", &list[0])
		a, err := s.AttachmentByID(ctx(t), m.Attachments[1].ID)
		must(t, err, "AttachmentByID")
		if a.Name != "bon.pdf" || a.MessageID != m.ID || a.BlobKey != "b/2" {
			t.Errorf("AttachmentByID = %+v", a)
		}
	}},
	{"outbound for a message", func(t *testing.T, s desk.Store) {
		tm := newTeam(t, s, "Support")
		in := &desk.Inbox{Name: "WhatsApp", Channel: desk.ChannelWhatsApp, PublicKey: "pk_wa", TeamID: tm.ID,
			Settings: map[string]string{"phone_id": "123"}}
		must(t, s.CreateInbox(ctx(t), in), "CreateInbox")
		other := newContact(t, s, "Someone else", "x@example.com", "")
		must(t, s.AddIdentity(ctx(t), &desk.Identity{ContactID: other.ID, Kind: desk.IdentityEmail, Value: "x@example.com"}), "AddIdentity other")
		anna := newAgent(t, s, "Anna", "anna@example.com")
		tests := []struct {
			name        string
			identities  []desk.Identity
			attachments []desk.Attachment
			labels      []string
			attrs       map[string]string
		}{
			{name: "bare"},
			{
				name: "with identities and attachments",
				identities: []desk.Identity{
					{Kind: desk.IdentityPhone, Value: "+31612345678", Verified: true, CreatedAt: at(1)},
					{Kind: desk.IdentityEmail, Value: "jan@example.nl", CreatedAt: at(2)},
				},
				attachments: []desk.Attachment{
					{Name: "foto.jpg", ContentType: "image/jpeg", Size: 12345, BlobKey: "b/1", ThumbKey: "t/1", Width: 640, Height: 480, CreatedAt: at(3)},
					{Name: "bon.pdf", ContentType: "application/pdf", Size: 999, BlobKey: "b/2", CreatedAt: at(3)},
				},
				labels: []string{"billing", "vip"},
				attrs:  map[string]string{"plan": "gold"},
			},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				c := &desk.Contact{Name: "Jan " + name(i), Phone: "+31612345678", Locale: "nl", Attributes: tc.attrs, CreatedAt: at(0)}
				must(t, s.CreateContact(ctx(t), c), "CreateContact")
				for _, id := range tc.identities {
					id.ContactID = c.ID
					must(t, s.AddIdentity(ctx(t), &id), "AddIdentity")
				}
				cv := newConversation(t, s, in, c, at(5))
				cv.Labels, cv.TeamID, cv.AssigneeID, cv.SnoozedUntil = tc.labels, tm.ID, anna.ID, at(90)
				must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
				m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderAgent, SenderID: anna.ID,
					Body: "Uw pakket is onderweg", Delivery: desk.DeliveryQueued, CreatedAt: at(6), Attachments: tc.attachments}
				must(t, s.CreateMessage(ctx(t), m), "CreateMessage")

				got, err := s.OutboundFor(ctx(t), m.ID)
				must(t, err, "OutboundFor")
				wantMsg, err := s.MessageByID(ctx(t), m.ID)
				must(t, err, "MessageByID")
				wantConv, err := s.ConversationByID(ctx(t), cv.ID)
				must(t, err, "ConversationByID")
				wantInbox, err := s.InboxByID(ctx(t), in.ID)
				must(t, err, "InboxByID")
				wantContact, err := s.ContactByID(ctx(t), c.ID)
				must(t, err, "ContactByID")
				want := desk.Outbound{Inbox: *wantInbox, Conversation: *wantConv, Contact: *wantContact, Message: *wantMsg}
				for _, part := range []struct {
					name      string
					got, want any
				}{
					{"Message", got.Message, want.Message},
					{"Conversation", got.Conversation, want.Conversation},
					{"Inbox", got.Inbox, want.Inbox},
					{"Contact", got.Contact, want.Contact},
				} {
					if !reflect.DeepEqual(part.got, part.want) {
						t.Errorf("OutboundFor %s =\n%+v\nwant (as read on its own)\n%+v", part.name, part.got, part.want)
					}
				}
				if got.IdempotencyKey != "" {
					t.Errorf("IdempotencyKey = %q, want empty", got.IdempotencyKey)
				}
				// Guard against both sides being empty by mistake.
				if len(got.Contact.Identities) != len(tc.identities) || len(got.Message.Attachments) != len(tc.attachments) ||
					got.Message.SenderName != "Anna" || got.Inbox.Settings["phone_id"] != "123" {
					t.Errorf("OutboundFor = %d identities, %d attachments, sender %q, settings %v; want %d, %d, Anna, phone_id 123",
						len(got.Contact.Identities), len(got.Message.Attachments), got.Message.SenderName, got.Inbox.Settings,
						len(tc.identities), len(tc.attachments))
				}
			})
		}
	}},
	{"sender names", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		anna := newAgent(t, s, "Anna", "anna@example.com")
		cv := newConversation(t, s, in, c, at(0))
		newMessage(t, s, cv, desk.KindMessage, desk.SenderContact, c.ID, "hoi")
		newMessage(t, s, cv, desk.KindMessage, desk.SenderAgent, anna.ID, "hallo")
		newMessage(t, s, cv, desk.KindNote, desk.SenderAgent, anna.ID, "let op")
		list, err := s.ListMessages(ctx(t), cv.ID, 0, 10)
		must(t, err, "ListMessages")
		var got []string
		for _, m := range list {
			got = append(got, m.SenderName)
		}
		if want := []string{"Jan", "Anna", "Anna"}; !sameStrings(got, want) {
			t.Errorf("sender names = %q, want %q", got, want)
		}
		anna.Name = "Anna B"
		must(t, s.UpdateAgent(ctx(t), anna), "UpdateAgent")
		m, err := s.MessageByID(ctx(t), list[1].ID)
		must(t, err, "MessageByID")
		if m.SenderName != "Anna B" {
			t.Errorf("SenderName after rename = %q, want the current name", m.SenderName)
		}
	}},
	{"activity round trip", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		anna := newAgent(t, s, "Anna", "anna@example.com")
		cv := newConversation(t, s, in, c, at(0))
		items := []desk.ActivityItem{
			{Key: desk.ActivityAssigned, Args: []string{"Bram <b>"}},
			{Key: desk.ActivityPriority, Args: []string{"high"}},
			{Key: desk.ActivityTeam, Args: []string{""}}, // an empty argument: no team
			{Key: desk.ActivityLabels, Args: []string{"billing,vip"}},
			{Key: desk.ActivityResolved}, // no arguments
		}
		byAnna := &desk.Message{ConversationID: cv.ID, Kind: desk.KindActivity, Sender: desk.SenderSystem, SenderID: anna.ID,
			Body:     "Anna: assigned to Bram <b>; priority high; moved to no team; labels: billing, vip; resolved",
			Activity: items, ExternalID: "act-1", CreatedAt: at(1)}
		must(t, s.CreateMessage(ctx(t), byAnna), "CreateMessage by Anna")
		byBalie := &desk.Message{ConversationID: cv.ID, Kind: desk.KindActivity, Sender: desk.SenderSystem,
			Body: "balie: snooze ended, back in the inbox", Activity: []desk.ActivityItem{{Key: desk.ActivitySnoozeEnded}},
			CreatedAt: at(2)}
		must(t, s.CreateMessage(ctx(t), byBalie), "CreateMessage by balie")
		plain := newMessage(t, s, cv, desk.KindMessage, desk.SenderContact, c.ID, "hoi")

		list, err := s.ListMessages(ctx(t), cv.ID, 0, 10)
		must(t, err, "ListMessages")
		if len(list) != 3 {
			t.Fatalf("ListMessages: %d messages, want 3", len(list))
		}
		byID, err := s.MessageByID(ctx(t), byAnna.ID)
		must(t, err, "MessageByID")
		byExternal, err := s.MessageByExternalID(ctx(t), in.ID, "act-1")
		must(t, err, "MessageByExternalID")
		out, err := s.OutboundFor(ctx(t), byAnna.ID)
		must(t, err, "OutboundFor")
		for _, tc := range []struct {
			name       string
			got        *desk.Message
			want       []desk.ActivityItem
			wantSender string // the acting agent's current name; "" for balie itself
		}{
			{"MessageByID", byID, items, "Anna"},
			{"MessageByExternalID", byExternal, items, "Anna"},
			{"OutboundFor", &out.Message, items, "Anna"},
			{"ListMessages by Anna", &list[0], items, "Anna"},
			{"ListMessages by balie", &list[1], byBalie.Activity, ""},
			{"ListMessages plain message", &list[2], nil, "Jan"},
		} {
			if !reflect.DeepEqual(tc.got.Activity, tc.want) {
				t.Errorf("%s: Activity = %#v, want %#v", tc.name, tc.got.Activity, tc.want)
			}
			if tc.got.SenderName != tc.wantSender {
				t.Errorf("%s: SenderName = %q, want %q", tc.name, tc.got.SenderName, tc.wantSender)
			}
		}
		if list[0].Body != byAnna.Body || list[2].ID != plain.ID {
			t.Errorf("ListMessages = %+v, want the activity's Body %q and the plain message last", list, byAnna.Body)
		}
	}},
	{"list order, after and limit", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		cv := newConversation(t, s, in, c, at(0))
		other := newConversation(t, s, in, c, at(0))
		var want []int64
		for i := range 5 {
			m := newMessage(t, s, cv, desk.KindMessage, desk.SenderContact, c.ID, name(i))
			want = append(want, m.ID)
			newMessage(t, s, other, desk.KindMessage, desk.SenderContact, c.ID, "other")
		}
		for _, tc := range []struct {
			name    string
			after   int64
			limit   int
			wantIDs []int64
		}{
			{"all", 0, 0, want},
			{"limit", 0, 2, want[:2]},
			{"after", want[1], 0, want[2:]},
			{"after and limit", want[1], 2, want[2:4]},
			{"after the last", want[4], 0, nil},
		} {
			list, err := s.ListMessages(ctx(t), cv.ID, tc.after, tc.limit)
			must(t, err, "ListMessages "+tc.name)
			if got := ids(list, func(m desk.Message) int64 { return m.ID }); !sameIDs(got, tc.wantIDs) {
				t.Errorf("%s: ListMessages = %v, want %v", tc.name, got, tc.wantIDs)
			}
		}
	}},
	{"external id unique per inbox", func(t *testing.T, s desk.Store) {
		web, mail := newInbox(t, s, "web", desk.ChannelWebChat), newInbox(t, s, "mail", desk.ChannelEmail)
		c := newContact(t, s, "Jan", "", "")
		cv1, cv2 := newConversation(t, s, web, c, at(0)), newConversation(t, s, web, c, at(1))
		cv3 := newConversation(t, s, mail, c, at(2))
		msg := func(cv *desk.Conversation, ext string) error {
			return s.CreateMessage(ctx(t), &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage,
				Sender: desk.SenderContact, SenderID: c.ID, Body: "x", ExternalID: ext})
		}
		must(t, msg(cv1, "ext-1"), "first")
		wantErr(t, msg(cv1, "ext-1"), desk.ErrConflict, "same conversation")
		wantErr(t, msg(cv2, "ext-1"), desk.ErrConflict, "other conversation of the same inbox")
		must(t, msg(cv3, "ext-1"), "other inbox")
		must(t, msg(cv1, ""), "empty 1")
		must(t, msg(cv1, ""), "empty 2")
		list, err := s.ListMessages(ctx(t), cv1.ID, 0, 0)
		must(t, err, "ListMessages")
		if len(list) != 3 {
			t.Errorf("cv1 has %d messages, want 3 (the duplicate wrote nothing)", len(list))
		}
		got, err := s.MessageByExternalID(ctx(t), mail.ID, "ext-1")
		must(t, err, "MessageByExternalID")
		if got.ConversationID != cv3.ID {
			t.Errorf("MessageByExternalID(mail) in conversation %d, want %d", got.ConversationID, cv3.ID)
		}
	}},
	{"delivery", func(t *testing.T, s desk.Store) {
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		a := newAgent(t, s, "Anna", "anna@example.com")
		cv := newConversation(t, s, in, c, at(0))
		m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderAgent, SenderID: a.ID,
			Body: "hallo", Delivery: desk.DeliveryQueued}
		must(t, s.CreateMessage(ctx(t), m), "CreateMessage")
		if m.CreatedAt.IsZero() {
			t.Error("CreatedAt not set")
		}
		for _, tc := range []struct {
			d   desk.Delivery
			err string
		}{{desk.DeliverySent, ""}, {desk.DeliveryFailed, "provider said no"}, {desk.DeliveryRead, ""}} {
			must(t, s.SetDelivery(ctx(t), m.ID, tc.d, tc.err), "SetDelivery")
			got, err := s.MessageByID(ctx(t), m.ID)
			must(t, err, "MessageByID")
			if got.Delivery != tc.d || got.Error != tc.err {
				t.Errorf("after SetDelivery(%s, %q): %s, %q", tc.d, tc.err, got.Delivery, got.Error)
			}
		}
	}},
	{"missing is not found", func(t *testing.T, s desk.Store) {
		_, err := s.MessageByID(ctx(t), 11)
		wantErr(t, err, desk.ErrNotFound, "MessageByID")
		_, err = s.MessageByExternalID(ctx(t), 1, "nope")
		wantErr(t, err, desk.ErrNotFound, "MessageByExternalID")
		_, err = s.AttachmentByID(ctx(t), 11)
		wantErr(t, err, desk.ErrNotFound, "AttachmentByID")
		wantErr(t, s.SetDelivery(ctx(t), 11, desk.DeliverySent, ""), desk.ErrNotFound, "SetDelivery")
		_, err = s.OutboundFor(ctx(t), 11)
		wantErr(t, err, desk.ErrNotFound, "OutboundFor")
		err = s.CreateMessage(ctx(t), &desk.Message{ConversationID: 11, Kind: desk.KindMessage, Sender: desk.SenderSystem, Body: "x"})
		wantErr(t, err, desk.ErrNotFound, "CreateMessage in a missing conversation")
		list, err := s.ListMessages(ctx(t), 11, 0, 0)
		must(t, err, "ListMessages of a missing conversation")
		if len(list) != 0 {
			t.Errorf("ListMessages = %d messages, want none", len(list))
		}
	}},
}
