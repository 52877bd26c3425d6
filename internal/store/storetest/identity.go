package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// One customer across channels (desk/identity.go): merging profiles,
// undoing a merge, moving identities and conversations (a split), and
// finding merge candidates by phone or email.

// identityOf returns s as an IdentityStore. A store that is not one (a
// wrapper embedding desk.Store before the contract holds IdentityStore) is
// skipped: the drivers assert the interface at compile time.
func identityOf(t *testing.T, s desk.Store) desk.IdentityStore {
	t.Helper()
	st, ok := s.(desk.IdentityStore)
	if !ok {
		t.Skipf("%T does not implement desk.IdentityStore", s)
	}
	return st
}

var identityTests = []test{
	{"MergeMovesEverything", testMergeMovesEverything},
	{"MergeFillsEmptyFields", testMergeFillsEmptyFields},
	{"MergeKeepsCaseVariants", testMergeKeepsCaseVariants},
	{"MergeErrors", testMergeErrors},
	{"MergeInTxRollsBack", testMergeInTxRollsBack},
	{"Undo", testUndoMerge},
	{"UndoErrors", testUndoErrors},
	{"UndoAfterNewContact", testUndoAfterNewContact},
	{"UndoKeptMergedAway", testUndoKeptMergedAway},
	{"ContactMergesNewestFirst", testContactMergesOrder},
	{"MoveIdentity", testMoveIdentity},
	{"DeleteIdentity", testDeleteIdentity},
	{"DeleteIdentityInTxRollsBack", testDeleteIdentityInTx},
	{"DeleteIdentityLeavesMerges", testDeleteIdentityLeavesMerges},
	{"UndoMovesOnlyTheRecordedIdentity", testUndoMovesOnlyRecorded},
	{"MoveConversation", testMoveConversation},
	{"ContactsWithPhone", testContactsWithPhone},
	{"ContactsWithEmail", testContactsWithEmail},
}

// mergeFixture is two profiles of one person: kept (with a conversation)
// and merged (with two conversations, customer messages and three
// identities).
type mergeFixture struct {
	in             *desk.Inbox
	kept, merged   *desk.Contact
	keptConv       *desk.Conversation
	conv1, conv2   *desk.Conversation
	mergedIdents   []desk.Identity // as stored, with IDs
	msgsOfConv1    int
	keptIdentities int
}

func newMergeFixture(t *testing.T, s desk.Store) *mergeFixture {
	t.Helper()
	f := &mergeFixture{in: newInbox(t, s, "chat", desk.ChannelWebChat)}
	f.kept = &desk.Contact{Name: "Anna", Phone: "+31611111111", Attributes: map[string]string{"plan": "pro"},
		CreatedAt: at(0)}
	must(t, s.CreateContact(ctx(t), f.kept), "CreateContact kept")
	f.merged = &desk.Contact{Name: "Anna B.", Email: "anna.b@example.com", Phone: "+31622222222", Locale: "en",
		Attributes: map[string]string{"plan": "free", "order": "1234"}, CreatedAt: at(1), UpdatedAt: at(2)}
	must(t, s.CreateContact(ctx(t), f.merged), "CreateContact merged")
	keptID := desk.Identity{ContactID: f.kept.ID, Kind: desk.IdentityEmail, Value: "anna@example.com", CreatedAt: at(0)}
	must(t, s.AddIdentity(ctx(t), &keptID), "AddIdentity kept")
	f.keptIdentities = 1
	for i, id := range []desk.Identity{
		{Kind: desk.IdentityPhone, Value: "+31622222222", Verified: true},
		{Kind: desk.IdentityTelegram, Value: "4242"},
		{Kind: desk.IdentityEmail, Value: "anna.b@example.com"},
	} {
		id.ContactID, id.CreatedAt = f.merged.ID, at(3+i)
		must(t, s.AddIdentity(ctx(t), &id), "AddIdentity merged")
		f.mergedIdents = append(f.mergedIdents, id)
	}
	f.keptConv = newConversation(t, s, f.in, f.kept, at(10))
	f.conv1 = newConversation(t, s, f.in, f.merged, at(11))
	f.conv2 = newConversation(t, s, f.in, f.merged, at(12))
	newMessage(t, s, f.conv1, desk.KindMessage, desk.SenderContact, f.merged.ID, "my order 1234")
	newMessage(t, s, f.conv1, desk.KindMessage, desk.SenderContact, f.merged.ID, "hello?")
	f.msgsOfConv1 = 2
	return f
}

func (f *mergeFixture) merge(t *testing.T, s desk.Store) *desk.ContactMerge {
	t.Helper()
	m, err := identityOf(t, s).MergeContacts(ctx(t), f.kept.ID, f.merged.ID, 7, "same phone")
	must(t, err, "MergeContacts")
	return m
}

func identityValues(ids []desk.Identity) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id.Kind) + ":" + id.Value
	}
	slices.Sort(out)
	return out
}

func contactIDs(cs []desk.Contact) []int64 {
	return ids(cs, func(c desk.Contact) int64 { return c.ID })
}

// ownerOf is the contact a conversation belongs to now.
func ownerOf(t *testing.T, s desk.Store, convID int64) int64 {
	t.Helper()
	cv, err := s.ConversationByID(ctx(t), convID)
	must(t, err, "ConversationByID")
	return cv.ContactID
}

func testMergeMovesEverything(t *testing.T, s desk.Store) {
	identityOf(t, s)
	f := newMergeFixture(t, s)
	before := time.Now()
	m := f.merge(t, s)
	after := time.Now()

	// The record: everything an undo needs.
	if m.ID == 0 || m.KeptID != f.kept.ID || m.MergedID != f.merged.ID || m.AgentID != 7 || m.Reason != "same phone" {
		t.Errorf("merge = id %d kept %d merged %d agent %d reason %q, want an id, %d, %d, 7, %q",
			m.ID, m.KeptID, m.MergedID, m.AgentID, m.Reason, f.kept.ID, f.merged.ID, "same phone")
	}
	if m.CreatedAt.Before(before.Truncate(time.Millisecond)) || m.CreatedAt.After(after) ||
		m.CreatedAt.Location() != time.UTC || !m.CreatedAt.Equal(m.CreatedAt.Truncate(time.Millisecond)) {
		t.Errorf("CreatedAt = %v, want now in UTC at ms precision", m.CreatedAt)
	}
	if !m.UndoneAt.IsZero() {
		t.Errorf("UndoneAt = %v, want zero", m.UndoneAt)
	}
	g := m.Merged
	if g.ID != f.merged.ID || g.Name != "Anna B." || g.Email != "anna.b@example.com" || g.Phone != "+31622222222" ||
		g.Locale != "en" || !maps.Equal(g.Attributes, f.merged.Attributes) {
		t.Errorf("Merged = %+v, want the merged profile as it was", g)
	}
	checkTime(t, "Merged.CreatedAt", g.CreatedAt, at(1))
	checkTime(t, "Merged.UpdatedAt", g.UpdatedAt, at(2))
	if got, want := identityValues(m.Identities), identityValues(f.mergedIdents); !sameStrings(got, want) {
		t.Errorf("Identities = %v, want %v", got, want)
	}
	for _, id := range m.Identities {
		if id.ID == 0 || id.ContactID != f.merged.ID {
			t.Errorf("identity %s: ID %d ContactID %d, want an ID and %d", id.Value, id.ID, id.ContactID, f.merged.ID)
		}
		if id.Kind == desk.IdentityPhone && !id.Verified {
			t.Errorf("identity %s: Verified = false, want true", id.Value)
		}
		if i := slices.IndexFunc(f.mergedIdents, func(o desk.Identity) bool { return o.Value == id.Value }); i >= 0 {
			if orig := f.mergedIdents[i]; id.ID != orig.ID {
				t.Errorf("identity %s: ID %d, want %d", id.Value, id.ID, orig.ID)
			}
			checkTime(t, "identity "+id.Value+" CreatedAt", id.CreatedAt, f.mergedIdents[i].CreatedAt)
		}
	}
	if want := []int64{f.conv1.ID, f.conv2.ID}; !sameIDs(m.Conversations, want) {
		t.Errorf("Conversations = %v, want %v (by id)", m.Conversations, want)
	}

	// Merged is gone; kept has its identities and conversations.
	_, err := s.ContactByID(ctx(t), f.merged.ID)
	wantErr(t, err, desk.ErrNotFound, "ContactByID(merged)")
	kept, err := s.ContactByID(ctx(t), f.kept.ID)
	must(t, err, "ContactByID(kept)")
	if got := len(kept.Identities); got != f.keptIdentities+len(f.mergedIdents) {
		t.Errorf("kept has %d identities, want %d", got, f.keptIdentities+len(f.mergedIdents))
	}
	for _, id := range f.mergedIdents {
		c, err := s.ContactByIdentity(ctx(t), id.Kind, id.Value)
		must(t, err, "ContactByIdentity "+id.Value)
		if c.ID != f.kept.ID {
			t.Errorf("identity %s belongs to %d, want kept %d", id.Value, c.ID, f.kept.ID)
		}
	}
	checkTime(t, "kept.UpdatedAt", kept.UpdatedAt, m.CreatedAt)
	convs, err := s.ConversationsOfContact(ctx(t), f.kept.ID, 0)
	must(t, err, "ConversationsOfContact")
	if got, want := convIDs(convs), []int64{f.conv2.ID, f.conv1.ID, f.keptConv.ID}; !sameIDs(got, want) {
		t.Errorf("kept's conversations = %v, want %v", got, want)
	}
	// Conversations keep their messages, now from kept.
	msgs, err := s.ListMessages(ctx(t), f.conv1.ID, 0, 0)
	must(t, err, "ListMessages")
	if len(msgs) != f.msgsOfConv1 {
		t.Errorf("conversation has %d messages, want %d", len(msgs), f.msgsOfConv1)
	}
	for _, msg := range msgs {
		if msg.SenderID != f.kept.ID || msg.SenderName != "Anna" {
			t.Errorf("message %q from %d %q, want kept %d %q", msg.Body, msg.SenderID, msg.SenderName, f.kept.ID, "Anna")
		}
	}

	list, err := identityOf(t, s).ContactMerges(ctx(t), f.kept.ID)
	must(t, err, "ContactMerges")
	if len(list) != 1 {
		t.Fatalf("ContactMerges = %d merges, want 1", len(list))
	}
	got := list[0]
	if got.ID != m.ID || got.KeptID != m.KeptID || got.MergedID != m.MergedID || got.AgentID != m.AgentID ||
		got.Reason != m.Reason || !got.CreatedAt.Equal(m.CreatedAt) || !got.UndoneAt.IsZero() ||
		got.Merged.Name != m.Merged.Name || !maps.Equal(got.Merged.Attributes, m.Merged.Attributes) ||
		!sameStrings(identityValues(got.Identities), identityValues(m.Identities)) ||
		!sameIDs(got.Conversations, m.Conversations) {
		t.Errorf("ContactMerges()[0] = %+v, want %+v", got, *m)
	}
	checkTime(t, "listed CreatedAt", got.CreatedAt, m.CreatedAt)
	checkTime(t, "listed Merged.CreatedAt", got.Merged.CreatedAt, at(1))
}

func testMergeFillsEmptyFields(t *testing.T, s desk.Store) {
	identityOf(t, s)
	full := desk.Contact{Name: "Kept", Email: "kept@example.com", Phone: "+31600000001", Locale: "nl",
		Attributes: map[string]string{"plan": "pro", "empty": ""}}
	other := desk.Contact{Name: "Wilhelmina", Email: "other@example.com", Phone: "+31600000002", Locale: "de",
		Attributes: map[string]string{"plan": "free", "empty": "x", "order": "99"}}
	cases := []struct {
		name       string
		kept, from desk.Contact
		want       desk.Contact
	}{
		{"kept empty takes all", desk.Contact{}, other, desk.Contact{Name: "Wilhelmina", Email: "other@example.com",
			Phone: "+31600000002", Locale: "de", Attributes: other.Attributes}},
		{"kept full keeps its own", full, other, desk.Contact{Name: "Kept", Email: "kept@example.com",
			Phone: "+31600000001", Locale: "nl", Attributes: map[string]string{"plan": "pro", "empty": "", "order": "99"}}},
		{"some fields", desk.Contact{Name: "Kept", Locale: "nl"}, desk.Contact{Email: "x@example.com", Locale: "fr"},
			desk.Contact{Name: "Kept", Email: "x@example.com", Locale: "nl"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kept, from := tc.kept, tc.from
			kept.Attributes, from.Attributes = maps.Clone(kept.Attributes), maps.Clone(from.Attributes)
			must(t, s.CreateContact(ctx(t), &kept), "CreateContact kept")
			must(t, s.CreateContact(ctx(t), &from), "CreateContact merged")
			_, err := identityOf(t, s).MergeContacts(ctx(t), kept.ID, from.ID, 0, "")
			must(t, err, "MergeContacts")
			got, err := s.ContactByID(ctx(t), kept.ID)
			must(t, err, "ContactByID")
			w := tc.want
			if got.Name != w.Name || got.Email != w.Email || got.Phone != w.Phone || got.Locale != w.Locale ||
				!maps.Equal(got.Attributes, w.Attributes) {
				t.Errorf("kept = %q %q %q %q %v, want %q %q %q %q %v", got.Name, got.Email, got.Phone, got.Locale,
					got.Attributes, w.Name, w.Email, w.Phone, w.Locale, w.Attributes)
			}
		})
	}
	// A filled name is searchable under kept.
	found, err := s.ListContacts(ctx(t), desk.ContactQuery{Search: "Wilhelmina"})
	must(t, err, "ListContacts")
	if len(found) != 1 || found[0].Name != "Wilhelmina" {
		t.Errorf("search for the filled name = %v, want the kept contact only", contactIDs(found))
	}
}

// Identities are unique by exact (kind, value), so two profiles never share
// one and a merge never collides; values that differ only in case are two
// identities, and kept gets both.
func testMergeKeepsCaseVariants(t *testing.T, s desk.Store) {
	identityOf(t, s)
	kept := newContact(t, s, "A", "", "")
	merged := newContact(t, s, "B", "", "")
	a := desk.Identity{ContactID: kept.ID, Kind: desk.IdentityEmail, Value: "Anna@Example.com"}
	b := desk.Identity{ContactID: merged.ID, Kind: desk.IdentityEmail, Value: "anna@example.com"}
	must(t, s.AddIdentity(ctx(t), &a), "AddIdentity a")
	must(t, s.AddIdentity(ctx(t), &b), "AddIdentity b")
	_, err := identityOf(t, s).MergeContacts(ctx(t), kept.ID, merged.ID, 0, "same email")
	must(t, err, "MergeContacts")
	got, err := s.ContactByID(ctx(t), kept.ID)
	must(t, err, "ContactByID")
	if want := []string{"email:Anna@Example.com", "email:anna@example.com"}; !sameStrings(identityValues(got.Identities), want) {
		t.Errorf("identities = %v, want %v", identityValues(got.Identities), want)
	}
}

func testMergeErrors(t *testing.T, s desk.Store) {
	f := newMergeFixture(t, s)
	is := identityOf(t, s)
	cases := []struct {
		name         string
		kept, merged int64
		want         error
	}{
		{"into itself", f.kept.ID, f.kept.ID, desk.ErrInvalid},
		{"missing merged", f.kept.ID, 9999, desk.ErrNotFound},
		{"missing kept", 9999, f.merged.ID, desk.ErrNotFound},
		{"missing both", 9998, 9999, desk.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := is.MergeContacts(ctx(t), tc.kept, tc.merged, 0, "")
			wantErr(t, err, tc.want, "MergeContacts")
			if m != nil {
				t.Errorf("MergeContacts returned %+v with an error", *m)
			}
		})
	}
	// Nothing was written.
	f.checkUnmerged(t, s)
}

// checkUnmerged checks that the fixture is as it was before any merge.
func (f *mergeFixture) checkUnmerged(t *testing.T, s desk.Store) {
	t.Helper()
	merged, err := s.ContactByID(ctx(t), f.merged.ID)
	must(t, err, "ContactByID(merged)")
	if got, want := identityValues(merged.Identities), identityValues(f.mergedIdents); !sameStrings(got, want) {
		t.Errorf("merged's identities = %v, want %v", got, want)
	}
	kept, err := s.ContactByID(ctx(t), f.kept.ID)
	must(t, err, "ContactByID(kept)")
	if kept.Email != "" || kept.Locale != "" || len(kept.Identities) != f.keptIdentities {
		t.Errorf("kept = email %q locale %q %d identities, want untouched", kept.Email, kept.Locale, len(kept.Identities))
	}
	for _, cv := range []*desk.Conversation{f.conv1, f.conv2} {
		if got := ownerOf(t, s, cv.ID); got != f.merged.ID {
			t.Errorf("conversation %d belongs to %d, want merged %d", cv.ID, got, f.merged.ID)
		}
	}
	list, err := identityOf(t, s).ContactMerges(ctx(t), f.kept.ID)
	must(t, err, "ContactMerges")
	if len(list) != 0 {
		t.Errorf("ContactMerges = %d merges, want none", len(list))
	}
}

// A merge is part of the caller's transaction: when that fails, the merge
// is undone with it.
func testMergeInTxRollsBack(t *testing.T, s desk.Store) {
	identityOf(t, s)
	f := newMergeFixture(t, s)
	errAbort := errors.New("abort")
	err := s.InTx(ctx(t), func(tx desk.Store) error {
		// fn may run on another goroutine (SQLite's writer): no t.Fatal here.
		is, ok := tx.(desk.IdentityStore)
		if !ok {
			return fmt.Errorf("%T does not implement desk.IdentityStore", tx)
		}
		if _, err := is.MergeContacts(ctx(t), f.kept.ID, f.merged.ID, 0, ""); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want %v", err, errAbort)
	}
	f.checkUnmerged(t, s)
}

func testUndoMerge(t *testing.T, s desk.Store) {
	f := newMergeFixture(t, s)
	is := identityOf(t, s)
	m := f.merge(t, s)
	// Meanwhile: conv2 and the telegram identity go to a third profile,
	// and kept gets a new conversation.
	third := newContact(t, s, "Third", "", "")
	must(t, is.MoveConversation(ctx(t), f.conv2.ID, third.ID), "MoveConversation")
	tg := f.mergedIdents[1]
	must(t, is.MoveIdentity(ctx(t), tg.ID, third.ID), "MoveIdentity")
	later := newConversation(t, s, f.in, f.kept, at(20))

	u, err := is.UndoMerge(ctx(t), m.ID, at(30))
	must(t, err, "UndoMerge")
	checkTime(t, "UndoneAt", u.UndoneAt, at(30))
	if u.ID != m.ID || u.KeptID != m.KeptID || u.MergedID != m.MergedID || !u.CreatedAt.Equal(m.CreatedAt) ||
		!sameIDs(u.Conversations, m.Conversations) {
		t.Errorf("UndoMerge = %+v, want the merge %+v, undone", *u, *m)
	}

	// Merged is back, with its own ID, as it was.
	got, err := s.ContactByID(ctx(t), f.merged.ID)
	must(t, err, "ContactByID(merged)")
	if got.Name != "Anna B." || got.Email != "anna.b@example.com" || got.Phone != "+31622222222" ||
		got.Locale != "en" || !maps.Equal(got.Attributes, f.merged.Attributes) {
		t.Errorf("restored = %+v, want the merged profile as it was", *got)
	}
	checkTime(t, "restored CreatedAt", got.CreatedAt, at(1))
	checkTime(t, "restored UpdatedAt", got.UpdatedAt, at(2))
	want := identityValues([]desk.Identity{f.mergedIdents[0], f.mergedIdents[2]})
	if !sameStrings(identityValues(got.Identities), want) {
		t.Errorf("restored identities = %v, want %v (the ones still with kept)", identityValues(got.Identities), want)
	}
	for _, id := range got.Identities {
		orig := f.mergedIdents[slices.IndexFunc(f.mergedIdents, func(o desk.Identity) bool { return o.Value == id.Value })]
		if id.ID != orig.ID || id.Verified != orig.Verified || !id.CreatedAt.Equal(ms(orig.CreatedAt)) {
			t.Errorf("restored identity %s = id %d verified %v at %v, want %d %v %v", id.Value, id.ID, id.Verified,
				id.CreatedAt, orig.ID, orig.Verified, ms(orig.CreatedAt))
		}
	}
	c, err := s.ContactByIdentity(ctx(t), tg.Kind, tg.Value)
	must(t, err, "ContactByIdentity telegram")
	if c.ID != third.ID {
		t.Errorf("moved identity belongs to %d, want third %d", c.ID, third.ID)
	}

	for _, tc := range []struct {
		name string
		conv int64
		want int64
	}{
		{"merged's, still with kept", f.conv1.ID, f.merged.ID},
		{"merged's, moved meanwhile", f.conv2.ID, third.ID},
		{"kept's own", f.keptConv.ID, f.kept.ID},
		{"kept's, after the merge", later.ID, f.kept.ID},
	} {
		if got := ownerOf(t, s, tc.conv); got != tc.want {
			t.Errorf("%s: conversation %d belongs to %d, want %d", tc.name, tc.conv, got, tc.want)
		}
	}
	msgs, err := s.ListMessages(ctx(t), f.conv1.ID, 0, 0)
	must(t, err, "ListMessages")
	for _, msg := range msgs {
		if msg.SenderID != f.merged.ID || msg.SenderName != "Anna B." {
			t.Errorf("message %q from %d %q, want merged %d %q", msg.Body, msg.SenderID, msg.SenderName, f.merged.ID, "Anna B.")
		}
	}

	// What the merge filled into kept stays.
	kept, err := s.ContactByID(ctx(t), f.kept.ID)
	must(t, err, "ContactByID(kept)")
	if kept.Email != "anna.b@example.com" || kept.Locale != "en" || kept.Attributes["order"] != "1234" {
		t.Errorf("kept = %q %q %v, want the filled fields kept", kept.Email, kept.Locale, kept.Attributes)
	}
	if got := identityValues(kept.Identities); !sameStrings(got, []string{"email:anna@example.com"}) {
		t.Errorf("kept's identities = %v, want its own", got)
	}

	list, err := is.ContactMerges(ctx(t), f.kept.ID)
	must(t, err, "ContactMerges")
	if len(list) != 1 {
		t.Fatalf("ContactMerges = %d merges, want 1", len(list))
	}
	checkTime(t, "listed UndoneAt", list[0].UndoneAt, at(30))
}

func testUndoErrors(t *testing.T, s desk.Store) {
	f := newMergeFixture(t, s)
	is := identityOf(t, s)
	m := f.merge(t, s)
	before := time.Now()
	u, err := is.UndoMerge(ctx(t), m.ID, time.Time{})
	must(t, err, "UndoMerge")
	if u.UndoneAt.Before(before.Truncate(time.Millisecond)) || u.UndoneAt.After(time.Now()) {
		t.Errorf("UndoneAt = %v, want now (a zero time is now)", u.UndoneAt)
	}
	cases := []struct {
		name string
		id   int64
		want error
	}{
		{"twice", m.ID, desk.ErrConflict},
		{"missing", m.ID + 100, desk.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := is.UndoMerge(ctx(t), tc.id, at(40))
			wantErr(t, err, tc.want, "UndoMerge")
			if got != nil {
				t.Errorf("UndoMerge returned %+v with an error", *got)
			}
		})
	}
	// The failed second undo changed nothing.
	list, err := is.ContactMerges(ctx(t), f.kept.ID)
	must(t, err, "ContactMerges")
	if len(list) != 1 || !list[0].UndoneAt.Equal(u.UndoneAt) {
		t.Errorf("ContactMerges = %+v, want the one merge undone at %v", list, u.UndoneAt)
	}
	if got := ownerOf(t, s, f.conv1.ID); got != f.merged.ID {
		t.Errorf("conversation belongs to %d, want merged %d", got, f.merged.ID)
	}
}

// A contact created after a merge never takes the merged contact's ID,
// even when that was the newest: the undo can always give it back.
func testUndoAfterNewContact(t *testing.T, s desk.Store) {
	kept := newContact(t, s, "Kept", "", "")
	merged := newContact(t, s, "Merged", "", "")
	is := identityOf(t, s)
	m, err := is.MergeContacts(ctx(t), kept.ID, merged.ID, 0, "")
	must(t, err, "MergeContacts")
	fresh := newContact(t, s, "Fresh", "", "")
	if fresh.ID == merged.ID {
		t.Fatalf("a new contact took the merged contact's ID %d", merged.ID)
	}
	_, err = is.UndoMerge(ctx(t), m.ID, at(1))
	must(t, err, "UndoMerge")
	for _, c := range []*desk.Contact{kept, merged, fresh} {
		got, err := s.ContactByID(ctx(t), c.ID)
		must(t, err, "ContactByID "+c.Name)
		if got.Name != c.Name {
			t.Errorf("contact %d = %q, want %q", c.ID, got.Name, c.Name)
		}
	}
}

// A merge into a contact that has since been merged away itself cannot be
// undone (ErrConflict) until that later merge is: there is no profile to
// take the identities and conversations back from.
func testUndoKeptMergedAway(t *testing.T, s desk.Store) {
	a := newContact(t, s, "A", "", "")
	b := newContact(t, s, "B", "", "")
	c := newContact(t, s, "C", "", "")
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	cConv := newConversation(t, s, in, c, at(1))
	is := identityOf(t, s)
	first, err := is.MergeContacts(ctx(t), b.ID, c.ID, 0, "")
	must(t, err, "MergeContacts c into b")
	second, err := is.MergeContacts(ctx(t), a.ID, b.ID, 0, "")
	must(t, err, "MergeContacts b into a")
	if want := []int64{cConv.ID}; !sameIDs(second.Conversations, want) {
		t.Errorf("second merge's Conversations = %v, want %v (what b had then)", second.Conversations, want)
	}
	_, err = is.UndoMerge(ctx(t), first.ID, at(2))
	wantErr(t, err, desk.ErrConflict, "UndoMerge of the first merge while b is merged away")
	_, err = is.UndoMerge(ctx(t), second.ID, at(3))
	must(t, err, "UndoMerge second")
	_, err = is.UndoMerge(ctx(t), first.ID, at(4))
	must(t, err, "UndoMerge first")
	if got := ownerOf(t, s, cConv.ID); got != c.ID {
		t.Errorf("conversation belongs to %d, want c %d", got, c.ID)
	}
}

func testContactMergesOrder(t *testing.T, s desk.Store) {
	is := identityOf(t, s)
	kept := newContact(t, s, "Kept", "", "")
	var want []int64
	for i := range 3 {
		c := newContact(t, s, name(i), "", "")
		m, err := is.MergeContacts(ctx(t), kept.ID, c.ID, 0, "")
		must(t, err, "MergeContacts")
		want = append([]int64{m.ID}, want...)
	}
	other := newContact(t, s, "Other", "", "")
	extra := newContact(t, s, "Extra", "", "")
	_, err := is.MergeContacts(ctx(t), other.ID, extra.ID, 0, "")
	must(t, err, "MergeContacts other")

	for _, tc := range []struct {
		name string
		id   int64
		want []int64
	}{
		{"newest first, only this contact's", kept.ID, want},
		{"none", extra.ID + 100, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := is.ContactMerges(ctx(t), tc.id)
			must(t, err, "ContactMerges")
			got := ids(list, func(m desk.ContactMerge) int64 { return m.ID })
			if !sameIDs(got, tc.want) {
				t.Errorf("ContactMerges = %v, want %v", got, tc.want)
			}
		})
	}
}

func testMoveIdentity(t *testing.T, s desk.Store) {
	is := identityOf(t, s)
	a := newContact(t, s, "A", "", "")
	b := newContact(t, s, "B", "", "")
	id := desk.Identity{ContactID: a.ID, Kind: desk.IdentityTelegram, Value: "77"}
	must(t, s.AddIdentity(ctx(t), &id), "AddIdentity")

	must(t, is.MoveIdentity(ctx(t), id.ID, b.ID), "MoveIdentity")
	c, err := s.ContactByIdentity(ctx(t), id.Kind, id.Value)
	must(t, err, "ContactByIdentity")
	if c.ID != b.ID {
		t.Errorf("identity belongs to %d, want %d", c.ID, b.ID)
	}
	if len(c.Identities) != 1 || c.Identities[0].ID != id.ID {
		t.Errorf("b's identities = %+v, want the moved one with its ID %d", c.Identities, id.ID)
	}
	must(t, is.MoveIdentity(ctx(t), id.ID, b.ID), "MoveIdentity to its own contact")

	for _, tc := range []struct {
		name       string
		identityID int64
		to         int64
	}{
		{"missing identity", id.ID + 100, a.ID},
		{"missing contact", id.ID, b.ID + 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, is.MoveIdentity(ctx(t), tc.identityID, tc.to), desk.ErrNotFound, "MoveIdentity")
		})
	}
	c, err = s.ContactByIdentity(ctx(t), id.Kind, id.Value)
	must(t, err, "ContactByIdentity")
	if c.ID != b.ID {
		t.Errorf("after failed moves the identity belongs to %d, want %d", c.ID, b.ID)
	}
}

// DeleteIdentity unlinks one identity of its contact (a widget's visitor
// token after the customer signed out): the value belongs to nobody, the
// contact keeps the rest.
func testDeleteIdentity(t *testing.T, s desk.Store) {
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	a := newContact(t, s, "A", "", "")
	b := newContact(t, s, "B", "", "")
	conv := newConversation(t, s, in, a, at(1))
	token := desk.Identity{ContactID: a.ID, Kind: desk.IdentityVisitor, Value: "hash-1"}
	must(t, s.AddIdentity(ctx(t), &token), "AddIdentity token")
	email := desk.Identity{ContactID: a.ID, Kind: desk.IdentityEmail, Value: "a@example.com"}
	must(t, s.AddIdentity(ctx(t), &email), "AddIdentity email")

	for _, tc := range []struct {
		name       string
		contactID  int64
		identityID int64
		want       error
	}{
		{"another contact's", b.ID, token.ID, desk.ErrNotFound},
		{"missing contact", b.ID + 100, token.ID, desk.ErrNotFound},
		{"missing identity", a.ID, email.ID + 100, desk.ErrNotFound},
		{"the contact's", a.ID, token.ID, nil},
		{"deleted already", a.ID, token.ID, desk.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, s.DeleteIdentity(ctx(t), tc.contactID, tc.identityID), tc.want, "DeleteIdentity")
		})
	}

	_, err := s.ContactByIdentity(ctx(t), token.Kind, token.Value)
	wantErr(t, err, desk.ErrNotFound, "ContactByIdentity of the deleted identity")
	got, err := s.ContactByID(ctx(t), a.ID)
	must(t, err, "ContactByID")
	if vals := identityValues(got.Identities); !sameStrings(vals, []string{"email:a@example.com"}) {
		t.Errorf("a's identities = %v, want the email only", vals)
	}
	if owner := ownerOf(t, s, conv.ID); owner != a.ID {
		t.Errorf("a's conversation belongs to %d, want %d", owner, a.ID)
	}
	// The value is free: another contact may take it without a conflict.
	again := desk.Identity{ContactID: b.ID, Kind: token.Kind, Value: token.Value}
	must(t, s.AddIdentity(ctx(t), &again), "AddIdentity of the deleted value to b")
	if c, err := s.ContactByIdentity(ctx(t), token.Kind, token.Value); err != nil || c.ID != b.ID {
		t.Errorf("ContactByIdentity after re-adding = %v, %v; want b %d", c, err, b.ID)
	}
}

func testDeleteIdentityInTx(t *testing.T, s desk.Store) {
	a := newContact(t, s, "A", "", "")
	id := desk.Identity{ContactID: a.ID, Kind: desk.IdentityVisitor, Value: "hash-tx"}
	must(t, s.AddIdentity(ctx(t), &id), "AddIdentity")
	errRollback := errors.New("roll back")
	err := s.InTx(ctx(t), func(tx desk.Store) error {
		if err := tx.DeleteIdentity(ctx(t), a.ID, id.ID); err != nil {
			return err
		}
		return errRollback
	})
	wantErr(t, err, errRollback, "InTx")
	if c, err := s.ContactByIdentity(ctx(t), id.Kind, id.Value); err != nil || c.ID != a.ID {
		t.Errorf("after the rollback ContactByIdentity = %v, %v; want a %d", c, err, a.ID)
	}
}

// A deleted identity leaves the merge records in force (of the contact and,
// down the chain, of the contacts merged into it), so that an undo neither
// brings it back nor moves an identity added later in its place (SQLite
// hands a deleted highest id out again).
func testDeleteIdentityLeavesMerges(t *testing.T, s desk.Store) {
	f := newMergeFixture(t, s)
	is := identityOf(t, s)
	first := f.merge(t, s)
	top := newContact(t, s, "Top", "", "")
	second, err := is.MergeContacts(ctx(t), top.ID, f.kept.ID, 0, "same email")
	must(t, err, "MergeContacts kept into top")
	// The newest identity (the merged email address, now top's): the id
	// SQLite would give out again.
	gone := f.mergedIdents[2]
	must(t, s.DeleteIdentity(ctx(t), top.ID, gone.ID), "DeleteIdentity")
	later := desk.Identity{ContactID: top.ID, Kind: desk.IdentityTelegram, Value: "9999"}
	must(t, s.AddIdentity(ctx(t), &later), "AddIdentity later")

	for _, tc := range []struct {
		name   string
		keptID int64
	}{
		{"merge into top", top.ID},
		{"earlier merge down the chain", f.kept.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := is.ContactMerges(ctx(t), tc.keptID)
			must(t, err, "ContactMerges")
			if len(list) != 1 {
				t.Fatalf("ContactMerges = %d merges, want 1", len(list))
			}
			for _, id := range list[0].Identities {
				if id.Value == gone.Value {
					t.Errorf("merge %d still lists the deleted identity %+v", list[0].ID, id)
				}
			}
		})
	}

	_, err = is.UndoMerge(ctx(t), second.ID, at(30))
	must(t, err, "UndoMerge second")
	_, err = is.UndoMerge(ctx(t), first.ID, at(31))
	must(t, err, "UndoMerge first")
	merged, err := s.ContactByID(ctx(t), f.merged.ID)
	must(t, err, "ContactByID merged")
	want := identityValues([]desk.Identity{f.mergedIdents[0], f.mergedIdents[1]})
	if got := identityValues(merged.Identities); !sameStrings(got, want) {
		t.Errorf("restored identities = %v, want %v (not the deleted one)", got, want)
	}
	if c, err := s.ContactByIdentity(ctx(t), later.Kind, later.Value); err != nil || c.ID != top.ID {
		t.Errorf("the identity added after the delete belongs to %v (err %v), want top %d", c, err, top.ID)
	}
	if _, err := s.ContactByIdentity(ctx(t), gone.Kind, gone.Value); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("the deleted identity came back: err = %v, want ErrNotFound", err)
	}
}

// An undo moves back only the identities that are still the ones the merge
// recorded (same id, kind and value). A merged identity that was moved to
// another contact and deleted there is out of reach of DeleteIdentity's
// scrub (it cleans the records of the contact it deletes from), so the
// record still lists its id; SQLite hands that id (the highest) out again,
// and the identity that gets it must stay where it is.
func testUndoMovesOnlyRecorded(t *testing.T, s desk.Store) {
	f := newMergeFixture(t, s)
	is := identityOf(t, s)
	m := f.merge(t, s)
	other := newContact(t, s, "Other", "", "")
	gone := f.mergedIdents[2] // the newest identity: the id SQLite gives out again
	must(t, is.MoveIdentity(ctx(t), gone.ID, other.ID), "MoveIdentity to other")
	must(t, s.DeleteIdentity(ctx(t), other.ID, gone.ID), "DeleteIdentity from other")
	later := desk.Identity{ContactID: f.kept.ID, Kind: desk.IdentityTelegram, Value: "9999"}
	must(t, s.AddIdentity(ctx(t), &later), "AddIdentity later")
	if later.ID == gone.ID {
		t.Logf("the new identity reuses the deleted one's id %d", later.ID)
	}

	_, err := is.UndoMerge(ctx(t), m.ID, at(30))
	must(t, err, "UndoMerge")
	if c, err := s.ContactByIdentity(ctx(t), later.Kind, later.Value); err != nil || c.ID != f.kept.ID {
		t.Errorf("the identity added after the merge belongs to %v (err %v), want kept %d", c, err, f.kept.ID)
	}
	merged, err := s.ContactByID(ctx(t), f.merged.ID)
	must(t, err, "ContactByID merged")
	want := identityValues([]desk.Identity{f.mergedIdents[0], f.mergedIdents[1]})
	if got := identityValues(merged.Identities); !sameStrings(got, want) {
		t.Errorf("restored identities = %v, want %v", got, want)
	}
	kept, err := s.ContactByID(ctx(t), f.kept.ID)
	must(t, err, "ContactByID kept")
	if got, want := len(kept.Identities), f.keptIdentities+1; got != want {
		t.Errorf("kept has %d identities (%v), want %d: its own and the later one", got,
			identityValues(kept.Identities), want)
	}
}

// A moved conversation keeps its messages; the customer's messages follow
// it to the new contact (an agent's stay the agent's).
func testMoveConversation(t *testing.T, s desk.Store) {
	is := identityOf(t, s)
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	a := newContact(t, s, "Ann", "", "")
	b := newContact(t, s, "Bob", "", "")
	agent := newAgent(t, s, "Agent", "agent@example.com")
	cv := newConversation(t, s, in, a, at(1))
	newMessage(t, s, cv, desk.KindMessage, desk.SenderContact, a.ID, "hi")
	newMessage(t, s, cv, desk.KindMessage, desk.SenderAgent, agent.ID, "hello")

	must(t, is.MoveConversation(ctx(t), cv.ID, b.ID), "MoveConversation")
	if got := ownerOf(t, s, cv.ID); got != b.ID {
		t.Errorf("conversation belongs to %d, want %d", got, b.ID)
	}
	for _, tc := range []struct {
		contact int64
		want    []int64
	}{{a.ID, nil}, {b.ID, []int64{cv.ID}}} {
		list, err := s.ConversationsOfContact(ctx(t), tc.contact, 0)
		must(t, err, "ConversationsOfContact")
		if got := convIDs(list); !sameIDs(got, tc.want) {
			t.Errorf("conversations of %d = %v, want %v", tc.contact, got, tc.want)
		}
	}
	msgs, err := s.ListMessages(ctx(t), cv.ID, 0, 0)
	must(t, err, "ListMessages")
	var got []string
	for _, m := range msgs {
		got = append(got, m.Body+"/"+m.SenderName)
	}
	if want := []string{"hi/Bob", "hello/Agent"}; !sameStrings(got, want) {
		t.Errorf("messages = %v, want %v", got, want)
	}

	for _, tc := range []struct {
		name     string
		conv, to int64
	}{
		{"missing conversation", cv.ID + 100, a.ID},
		{"missing contact", cv.ID, b.ID + 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, is.MoveConversation(ctx(t), tc.conv, tc.to), desk.ErrNotFound, "MoveConversation")
		})
	}
	if got := ownerOf(t, s, cv.ID); got != b.ID {
		t.Errorf("after failed moves the conversation belongs to %d, want %d", got, b.ID)
	}
}

func testContactsWithPhone(t *testing.T, s desk.Store) {
	is := identityOf(t, s)
	const e164 = "+31612345678"
	primary := newContact(t, s, "Primary", "", "+31 6 1234 5678") // the same number, written otherwise
	both := newContact(t, s, "Both", "", e164)
	byIdentity := newContact(t, s, "Identity", "", "+31611110000")
	newContact(t, s, "Other", "", "+31687654321")
	newContact(t, s, "None", "", "")
	ext := newContact(t, s, "External", "", "")
	for _, id := range []desk.Identity{
		{ContactID: both.ID, Kind: desk.IdentityPhone, Value: e164}, // primary and identity: listed once
		{ContactID: byIdentity.ID, Kind: desk.IdentityPhone, Value: "+31699999999"},
		{ContactID: ext.ID, Kind: desk.IdentityExtern, Value: "+31699999999"}, // not a phone identity
	} {
		must(t, s.AddIdentity(ctx(t), &id), "AddIdentity "+id.Value)
	}

	for _, tc := range []struct {
		name  string
		phone string
		want  []int64
	}{
		{"primary and identity, once each, by id", e164, []int64{primary.ID, both.ID}},
		{"identity only", "+31699999999", []int64{byIdentity.ID}},
		{"primary only", "+31611110000", []int64{byIdentity.ID}},
		{"unknown", "+31600000000", nil},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := is.ContactsWithPhone(ctx(t), tc.phone)
			must(t, err, "ContactsWithPhone")
			if !sameIDs(contactIDs(got), tc.want) {
				t.Errorf("ContactsWithPhone(%q) = %v, want %v", tc.phone, contactIDs(got), tc.want)
			}
		})
	}
}

func testContactsWithEmail(t *testing.T, s desk.Store) {
	is := identityOf(t, s)
	primary := newContact(t, s, "Primary", "Anna@Example.com", "")
	byIdentity := newContact(t, s, "Identity", "", "")
	both := newContact(t, s, "Both", "anna@example.com", "")
	newContact(t, s, "Other", "other@example.com", "")
	newContact(t, s, "None", "", "")
	for _, id := range []desk.Identity{
		{ContactID: byIdentity.ID, Kind: desk.IdentityEmail, Value: "ANNA@example.com"},
		{ContactID: both.ID, Kind: desk.IdentityEmail, Value: "anna@example.com"},
		{ContactID: both.ID, Kind: desk.IdentityEmail, Value: "Anna@EXAMPLE.com"},
		{ContactID: both.ID, Kind: desk.IdentityEmail, Value: "work@example.com"},
	} {
		must(t, s.AddIdentity(ctx(t), &id), "AddIdentity "+id.Value)
	}
	ext := newContact(t, s, "External", "", "")
	must(t, s.AddIdentity(ctx(t), &desk.Identity{ContactID: ext.ID, Kind: desk.IdentityExtern, Value: "anna@example.com"}),
		"AddIdentity external")

	for _, tc := range []struct {
		name  string
		email string
		want  []int64
	}{
		{"any case, primary and identities, once each, by id", "aNNa@example.COM", []int64{primary.ID, byIdentity.ID, both.ID}},
		{"identity only", "WORK@example.com", []int64{both.ID}},
		{"unknown", "nobody@example.com", nil},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := is.ContactsWithEmail(ctx(t), tc.email)
			must(t, err, "ContactsWithEmail")
			if !sameIDs(contactIDs(got), tc.want) {
				t.Errorf("ContactsWithEmail(%q) = %v, want %v", tc.email, contactIDs(got), tc.want)
			}
		})
	}
}
