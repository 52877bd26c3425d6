package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Portal (desk/portal.go): status links, magic links, customer sessions and
// status notices.
//
// Pinned down here: status links are found by their token's hash; a
// conversation may have several, StatusLinkOf returning the newest (a live
// one over a revoked one made at the same instant); reads return links live
// or not; a hash seen before is ErrConflict; revoking stops every link of
// the conversation and keeps the first revocation time. UseMagicLink succeeds once, and never for an
// expired link. Customer sessions are found only while unexpired, and
// DeleteExpiredPortal removes what is expired. MarkStatusNotice reports
// news only when the state differs from the last recorded one.

func portalOf(t *testing.T, s desk.Store) desk.PortalStore {
	t.Helper()
	st, ok := any(s).(desk.PortalStore)
	if !ok {
		t.Skipf("%T does not implement desk.PortalStore", s)
	}
	return st
}

var portalTests = []test{
	{"StatusLinks", testStatusLinks},
	{"StatusLinkErrors", testStatusLinkErrors},
	{"StatusLinkSweep", testStatusLinkSweep},
	{"MagicLinks", testMagicLinks},
	{"CustomerSessions", testCustomerSessions},
	{"StatusNotices", testStatusNotices},
}

func testStatusLinks(t *testing.T, s desk.Store) {
	p := portalOf(t, s)
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Sanne", "sanne@example.com", "")
	cv := newConversation(t, s, in, c, at(0))
	other := newConversation(t, s, in, c, at(0))

	l := &desk.StatusLink{ConversationID: cv.ID, TokenHash: "hash-one", CreatedAt: at(1), ExpiresAt: at(100)}
	must(t, p.CreateStatusLink(ctx(t), l), "CreateStatusLink")
	must(t, p.CreateStatusLink(ctx(t), &desk.StatusLink{ConversationID: other.ID, TokenHash: "hash-other",
		CreatedAt: at(1), ExpiresAt: at(100)}), "CreateStatusLink (other conversation)")
	got, err := p.StatusLinkByHash(ctx(t), "hash-one")
	must(t, err, "StatusLinkByHash")
	if got.ConversationID != cv.ID || got.TokenHash != "hash-one" {
		t.Errorf("by hash: got conversation %d hash %q, want %d hash-one", got.ConversationID, got.TokenHash, cv.ID)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, at(1))
	checkTime(t, "ExpiresAt", got.ExpiresAt, at(100))
	if !got.RevokedAt.IsZero() {
		t.Errorf("RevokedAt = %v, want zero", got.RevokedAt)
	}
	if !got.Live(at(99)) || got.Live(at(100)) {
		t.Errorf("Live at 99/100 = %v/%v, want true/false", got.Live(at(99)), got.Live(at(100)))
	}

	// A second link leaves the first in force; the newest is the
	// conversation's link.
	must(t, p.CreateStatusLink(ctx(t), &desk.StatusLink{ConversationID: cv.ID, TokenHash: "hash-two",
		CreatedAt: at(3), ExpiresAt: at(150)}), "CreateStatusLink (second)")
	got, err = p.StatusLinkOf(ctx(t), cv.ID)
	must(t, err, "StatusLinkOf")
	if got.TokenHash != "hash-two" {
		t.Errorf("StatusLinkOf = %q, want the newest, hash-two", got.TokenHash)
	}
	if first, err := p.StatusLinkByHash(ctx(t), "hash-one"); err != nil || !first.Live(at(4)) {
		t.Errorf("first link after a second: %+v, %v; want still live", first, err)
	}

	// Revoking stops every link of the conversation, once, and no other's.
	must(t, p.RevokeStatusLink(ctx(t), cv.ID, at(5)), "RevokeStatusLink")
	must(t, p.RevokeStatusLink(ctx(t), cv.ID, at(6)), "RevokeStatusLink again")
	for _, h := range []string{"hash-one", "hash-two"} {
		got, err := p.StatusLinkByHash(ctx(t), h)
		must(t, err, "StatusLinkByHash "+h)
		checkTime(t, "RevokedAt of "+h, got.RevokedAt, at(5))
		if got.Live(at(10)) {
			t.Errorf("revoked link %s is live", h)
		}
	}
	if got, err := p.StatusLinkByHash(ctx(t), "hash-other"); err != nil || !got.RevokedAt.IsZero() {
		t.Errorf("other conversation's link: %+v, %v; want not revoked", got, err)
	}

	// Of two links made at the same instant the live one is the newest
	// (regenerating revokes, then makes a link at the same clock reading).
	must(t, p.CreateStatusLink(ctx(t), &desk.StatusLink{ConversationID: cv.ID, TokenHash: "hash-three",
		CreatedAt: at(3), ExpiresAt: at(200)}), "CreateStatusLink (regenerate)")
	got, err = p.StatusLinkOf(ctx(t), cv.ID)
	must(t, err, "StatusLinkOf after regenerate")
	if got.TokenHash != "hash-three" || !got.RevokedAt.IsZero() {
		t.Errorf("after regenerate: hash %q revoked %v, want hash-three and not revoked", got.TokenHash, got.RevokedAt)
	}
}

func testStatusLinkErrors(t *testing.T, s desk.Store) {
	p := portalOf(t, s)
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Sanne", "", "")
	a, b := newConversation(t, s, in, c, at(0)), newConversation(t, s, in, c, at(1))
	must(t, p.CreateStatusLink(ctx(t), &desk.StatusLink{ConversationID: a.ID, TokenHash: "same", ExpiresAt: at(10)}), "Create a")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"hash of another conversation", p.CreateStatusLink(ctx(t), &desk.StatusLink{ConversationID: b.ID, TokenHash: "same",
			ExpiresAt: at(10)}), desk.ErrConflict},
		{"same hash twice", p.CreateStatusLink(ctx(t), &desk.StatusLink{ConversationID: a.ID, TokenHash: "same",
			ExpiresAt: at(10)}), desk.ErrConflict},
		{"missing conversation", p.CreateStatusLink(ctx(t), &desk.StatusLink{ConversationID: 999999, TokenHash: "x",
			ExpiresAt: at(10)}), desk.ErrNotFound},
		{"empty hash", p.CreateStatusLink(ctx(t), &desk.StatusLink{ConversationID: b.ID, ExpiresAt: at(10)}), desk.ErrInvalid},
		{"revoke without link", p.RevokeStatusLink(ctx(t), b.ID, at(2)), desk.ErrNotFound},
		{"unknown hash", func() error { _, err := p.StatusLinkByHash(ctx(t), "nope"); return err }(), desk.ErrNotFound},
		{"no link of conversation", func() error { _, err := p.StatusLinkOf(ctx(t), b.ID); return err }(), desk.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("err = %v, want %v", tc.err, tc.want)
			}
		})
	}
}

// DeleteExpiredPortal removes status links expired or revoked
// desk.StatusLinkKeep or longer ago, keeping a conversation's newest link
// when it is revoked (the revocation stays in force: no new link after it).
func testStatusLinkSweep(t *testing.T, s desk.Store) {
	p := portalOf(t, s)
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Sanne", "", "")
	day := func(n int) time.Time { return at(0).Add(time.Duration(n) * 24 * time.Hour) }
	never := time.Time{}
	now := day(100) // everything dead at or before day 70 goes
	if cut := now.Add(-desk.StatusLinkKeep); !cut.Equal(day(70)) {
		t.Fatalf("the test assumes a 30-day StatusLinkKeep; cut-off is %v, want %v", cut, day(70))
	}
	convs := map[string]*desk.Conversation{}
	for _, name := range []string{"plain", "regenerated", "revoked", "regenerated at once", "revoked lately"} {
		convs[name] = newConversation(t, s, in, c, at(0))
	}
	links := []struct {
		hash, conv                string
		created, expires, revoked time.Time
		kept                      bool
	}{
		{"expired long ago", "plain", day(0), day(60), never, false},
		{"expired at the cut-off", "plain", day(1), day(70), never, false},
		{"expired lately", "plain", day(10), day(80), never, true},
		{"live", "plain", day(20), day(110), never, true},
		{"revoked long ago, unexpired", "regenerated", day(1), day(91), day(50), false},
		{"its successor", "regenerated", day(50), day(140), never, true},
		{"older revoked", "revoked", day(0), day(40), day(5), false},
		{"newest revoked", "revoked", day(1), day(41), day(5), true},
		{"revoked at regeneration", "regenerated at once", day(30), day(120), day(30), false},
		{"made at regeneration, expired", "regenerated at once", day(30), day(60), never, false},
		{"revoked lately", "revoked lately", day(20), day(110), day(75), true},
		{"successor of one revoked lately", "revoked lately", day(75), day(165), never, true},
	}
	for _, l := range links {
		must(t, p.CreateStatusLink(ctx(t), &desk.StatusLink{TokenHash: l.hash, ConversationID: convs[l.conv].ID,
			CreatedAt: l.created, ExpiresAt: l.expires, RevokedAt: l.revoked}), "CreateStatusLink "+l.hash)
	}

	must(t, p.DeleteExpiredPortal(ctx(t), now), "DeleteExpiredPortal")
	for _, l := range links {
		t.Run(l.hash, func(t *testing.T) {
			_, err := p.StatusLinkByHash(ctx(t), l.hash)
			switch {
			case l.kept && err != nil:
				t.Errorf("StatusLinkByHash: err = %v, want the link kept", err)
			case !l.kept && !errors.Is(err, desk.ErrNotFound):
				t.Errorf("StatusLinkByHash: err = %v, want ErrNotFound (deleted)", err)
			}
		})
	}
	// The newest link of a revoked conversation is still there, revoked;
	// one whose links were all dead long enough has none.
	got, err := p.StatusLinkOf(ctx(t), convs["revoked"].ID)
	if err != nil || got.RevokedAt.IsZero() {
		t.Errorf("StatusLinkOf(revoked) = %+v, %v; want the newest link, revoked", got, err)
	}
	_, err = p.StatusLinkOf(ctx(t), convs["regenerated at once"].ID)
	wantErr(t, err, desk.ErrNotFound, "StatusLinkOf(regenerated at once)")
	// A second sweep finds nothing more to take.
	must(t, p.DeleteExpiredPortal(ctx(t), now), "DeleteExpiredPortal again")
	if _, err := p.StatusLinkByHash(ctx(t), "newest revoked"); err != nil {
		t.Errorf("after a second sweep the newest revoked link: err = %v, want kept", err)
	}
}

func testMagicLinks(t *testing.T, s desk.Store) {
	p := portalOf(t, s)
	c := newContact(t, s, "Sanne", "sanne@example.com", "")
	must(t, p.CreateMagicLink(ctx(t), &desk.MagicLink{TokenHash: "h1", ContactID: c.ID, CreatedAt: at(0),
		ExpiresAt: at(15)}), "CreateMagicLink h1")
	must(t, p.CreateMagicLink(ctx(t), &desk.MagicLink{TokenHash: "h2", ContactID: c.ID, CreatedAt: at(0),
		ExpiresAt: at(15)}), "CreateMagicLink h2")
	if err := p.CreateMagicLink(ctx(t), &desk.MagicLink{TokenHash: "h1", ContactID: c.ID, ExpiresAt: at(15)}); !errors.Is(err, desk.ErrConflict) {
		t.Errorf("duplicate hash: err = %v, want ErrConflict", err)
	}
	if err := p.CreateMagicLink(ctx(t), &desk.MagicLink{TokenHash: "h3", ContactID: 999999, ExpiresAt: at(15)}); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("missing contact: err = %v, want ErrNotFound", err)
	}

	m, err := p.UseMagicLink(ctx(t), "h1", at(3))
	must(t, err, "UseMagicLink")
	if m.ContactID != c.ID {
		t.Errorf("ContactID = %d, want %d", m.ContactID, c.ID)
	}
	checkTime(t, "UsedAt", m.UsedAt, at(3))
	tests := []struct {
		name string
		hash string
		now  int
	}{
		{"used twice", "h1", 4},
		{"expired", "h2", 15},
		{"unknown", "zz", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := p.UseMagicLink(ctx(t), tc.hash, at(tc.now)); !errors.Is(err, desk.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
	must(t, p.DeleteExpiredPortal(ctx(t), at(20)), "DeleteExpiredPortal")
}

func testCustomerSessions(t *testing.T, s desk.Store) {
	p := portalOf(t, s)
	c := newContact(t, s, "Sanne", "", "")
	must(t, p.CreateCustomerSession(ctx(t), &desk.CustomerSession{IDHash: "s1", ContactID: c.ID, CreatedAt: at(0),
		ExpiresAt: at(60)}), "CreateCustomerSession")
	if err := p.CreateCustomerSession(ctx(t), &desk.CustomerSession{IDHash: "s2", ContactID: 999999,
		ExpiresAt: at(60)}); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("missing contact: err = %v, want ErrNotFound", err)
	}
	got, err := p.CustomerSessionByHash(ctx(t), "s1", at(59))
	must(t, err, "CustomerSessionByHash")
	if got.ContactID != c.ID {
		t.Errorf("ContactID = %d, want %d", got.ContactID, c.ID)
	}
	checkTime(t, "ExpiresAt", got.ExpiresAt, at(60))
	if _, err := p.CustomerSessionByHash(ctx(t), "s1", at(60)); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("expired: err = %v, want ErrNotFound", err)
	}
	must(t, p.DeleteCustomerSession(ctx(t), "s1"), "DeleteCustomerSession")
	must(t, p.DeleteCustomerSession(ctx(t), "s1"), "DeleteCustomerSession again")
	if _, err := p.CustomerSessionByHash(ctx(t), "s1", at(1)); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("deleted: err = %v, want ErrNotFound", err)
	}
	must(t, p.CreateCustomerSession(ctx(t), &desk.CustomerSession{IDHash: "s3", ContactID: c.ID, ExpiresAt: at(10)}), "Create s3")
	must(t, p.DeleteExpiredPortal(ctx(t), at(11)), "DeleteExpiredPortal")
	if _, err := p.CustomerSessionByHash(ctx(t), "s3", at(0)); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("after DeleteExpiredPortal: err = %v, want ErrNotFound", err)
	}
}

func testStatusNotices(t *testing.T, s desk.Store) {
	p := portalOf(t, s)
	in := newInbox(t, s, "mail", desk.ChannelEmail)
	c := newContact(t, s, "Sanne", "", "")
	cv := newConversation(t, s, in, c, at(0))
	steps := []struct {
		state string
		want  bool
	}{
		{"handled:t1:a0", true},
		{"handled:t1:a0", false},
		{"pending", true},
		{"pending", false},
		{"handled:t1:a0", true},
		{"resolved", true},
	}
	for i, st := range steps {
		got, err := p.MarkStatusNotice(ctx(t), cv.ID, st.state, at(i))
		must(t, err, "MarkStatusNotice")
		if got != st.want {
			t.Errorf("step %d (%s): news = %v, want %v", i, st.state, got, st.want)
		}
	}
}
