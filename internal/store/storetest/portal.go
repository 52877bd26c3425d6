package storetest

import (
	"errors"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// Portal (desk/portal.go): status links, magic links, customer sessions and
// status notices.
//
// Pinned down here: a conversation has one status link, which
// PutStatusLink replaces (revocation included); reads return it live or
// not; a token two conversations share is ErrConflict; revoking keeps the
// first revocation time. UseMagicLink succeeds once, and never for an
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
	{"MagicLinks", testMagicLinks},
	{"CustomerSessions", testCustomerSessions},
	{"StatusNotices", testStatusNotices},
}

func testStatusLinks(t *testing.T, s desk.Store) {
	p := portalOf(t, s)
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Sanne", "sanne@example.com", "")
	cv := newConversation(t, s, in, c, at(0))

	l := &desk.StatusLink{ConversationID: cv.ID, Token: "tok-one", CreatedAt: at(1), ExpiresAt: at(100)}
	must(t, p.PutStatusLink(ctx(t), l), "PutStatusLink")
	got, err := p.StatusLinkByToken(ctx(t), "tok-one")
	must(t, err, "StatusLinkByToken")
	if got.ConversationID != cv.ID || got.Token != "tok-one" {
		t.Errorf("by token: got conversation %d token %q, want %d tok-one", got.ConversationID, got.Token, cv.ID)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, at(1))
	checkTime(t, "ExpiresAt", got.ExpiresAt, at(100))
	if !got.RevokedAt.IsZero() {
		t.Errorf("RevokedAt = %v, want zero", got.RevokedAt)
	}
	if !got.Live(at(99)) || got.Live(at(100)) {
		t.Errorf("Live at 99/100 = %v/%v, want true/false", got.Live(at(99)), got.Live(at(100)))
	}

	must(t, p.RevokeStatusLink(ctx(t), cv.ID, at(5)), "RevokeStatusLink")
	must(t, p.RevokeStatusLink(ctx(t), cv.ID, at(6)), "RevokeStatusLink again")
	got, err = p.StatusLinkOf(ctx(t), cv.ID)
	must(t, err, "StatusLinkOf")
	checkTime(t, "RevokedAt", got.RevokedAt, at(5))
	if got.Live(at(10)) {
		t.Error("a revoked link is live")
	}

	// Regenerating replaces the token and lifts the revocation.
	must(t, p.PutStatusLink(ctx(t), &desk.StatusLink{ConversationID: cv.ID, Token: "tok-two", CreatedAt: at(7),
		ExpiresAt: at(200)}), "PutStatusLink (regenerate)")
	if _, err := p.StatusLinkByToken(ctx(t), "tok-one"); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("old token after regenerate: err = %v, want ErrNotFound", err)
	}
	got, err = p.StatusLinkOf(ctx(t), cv.ID)
	must(t, err, "StatusLinkOf after regenerate")
	if got.Token != "tok-two" || !got.RevokedAt.IsZero() {
		t.Errorf("after regenerate: token %q revoked %v, want tok-two and not revoked", got.Token, got.RevokedAt)
	}
}

func testStatusLinkErrors(t *testing.T, s desk.Store) {
	p := portalOf(t, s)
	in := newInbox(t, s, "chat", desk.ChannelWebChat)
	c := newContact(t, s, "Sanne", "", "")
	a, b := newConversation(t, s, in, c, at(0)), newConversation(t, s, in, c, at(1))
	must(t, p.PutStatusLink(ctx(t), &desk.StatusLink{ConversationID: a.ID, Token: "same", ExpiresAt: at(10)}), "Put a")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"token of another conversation", p.PutStatusLink(ctx(t), &desk.StatusLink{ConversationID: b.ID, Token: "same",
			ExpiresAt: at(10)}), desk.ErrConflict},
		{"missing conversation", p.PutStatusLink(ctx(t), &desk.StatusLink{ConversationID: 999999, Token: "x",
			ExpiresAt: at(10)}), desk.ErrNotFound},
		{"empty token", p.PutStatusLink(ctx(t), &desk.StatusLink{ConversationID: b.ID, ExpiresAt: at(10)}), desk.ErrInvalid},
		{"revoke without link", p.RevokeStatusLink(ctx(t), b.ID, at(2)), desk.ErrNotFound},
		{"unknown token", func() error { _, err := p.StatusLinkByToken(ctx(t), "nope"); return err }(), desk.ErrNotFound},
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
