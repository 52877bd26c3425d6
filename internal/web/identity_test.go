package web_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/sqlite"
	"github.com/balie-dev/balie/internal/web"
)

// identityEnv is the contact page on a real SQLite store: the identity
// graph (merge, undo, split) is the store's, so the fake cannot stand in.
type identityEnv struct {
	st    desk.Store
	convs *conversation.Service
	mux   *http.ServeMux
	agent *desk.Agent
	email *desk.Inbox
	wa    *desk.Inbox
}

func newIdentityEnv(t *testing.T) *identityEnv {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "balie.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	clock := desk.SystemClock{}
	log := slog.New(slog.DiscardHandler)
	e := &identityEnv{st: st}
	// A plain agent: merging and splitting are for every agent.
	e.agent = &desk.Agent{Email: "anna@example.nl", Name: "Anna", Role: desk.RoleAgent, Locale: "en"}
	if err := st.CreateAgent(ctx, e.agent); err != nil {
		t.Fatal(err)
	}
	e.email = &desk.Inbox{Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mail", Settings: map[string]string{}}
	e.wa = &desk.Inbox{Name: "WhatsApp", Channel: desk.ChannelWhatsApp, PublicKey: "wa", Settings: map[string]string{}}
	for _, in := range []*desk.Inbox{e.email, e.wa} {
		if err := st.CreateInbox(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	e.convs = conversation.New(st, bus.NewLocal(0), clock, log, conversation.Options{})
	h, err := web.New(web.Deps{Store: st, Conversations: e.convs, Contacts: contact.New(st, clock),
		Auth: auth.New(st, clock, auth.Options{}), Clock: clock, Logger: log})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	e.mux = http.NewServeMux()
	h.Routes(e.mux)
	return e
}

// ingest stores a customer message and returns its conversation.
func (e *identityEnv) ingest(t *testing.T, in desk.Inbound) *desk.Conversation {
	t.Helper()
	res, err := e.convs.Ingest(t.Context(), in)
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	return res.Conversation
}

func (e *identityEnv) do(t *testing.T, method, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if form != nil {
		form.Set("csrf_token", "csrf")
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	p := &auth.Principal{Agent: e.agent, Session: &desk.Session{ID: "sid", AgentID: e.agent.ID, CSRFToken: "csrf"}}
	r = r.WithContext(auth.WithPrincipal(r.Context(), p))
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r)
	return w
}

func (e *identityEnv) page(t *testing.T, contactID int64) string {
	t.Helper()
	w := e.do(t, http.MethodGet, "/app/contacts/"+strconv.FormatInt(contactID, 10), nil)
	if w.Code != http.StatusOK {
		t.Fatalf("contact page %d: status %d\n%s", contactID, w.Code, w.Body)
	}
	return w.Body.String()
}

func (e *identityEnv) contactOf(t *testing.T, conversationID int64) int64 {
	t.Helper()
	c, err := e.st.ConversationByID(t.Context(), conversationID)
	if err != nil {
		t.Fatal(err)
	}
	return c.ContactID
}

// testIDs finds data-id values of elements with a data-testid.
func testIDs(body, testid string) []string {
	re := regexp.MustCompile(`data-testid="` + testid + `" data-id="(\d+)"`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestMergeUndoFromTheContactPage(t *testing.T) {
	e := newIdentityEnv(t)
	at := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	// Two profiles with one phone number: one wrote by email, one on
	// WhatsApp.
	a := &desk.Contact{Name: "Jan de Vries", Email: "jan@example.nl", Phone: "+31612345678"}
	b := &desk.Contact{Name: "Jan", Phone: "+31612345678"}
	for _, c := range []*desk.Contact{a, b} {
		if err := e.st.CreateContact(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	mail := e.ingest(t, desk.Inbound{InboxID: e.email.ID, ExternalID: "m1", At: at, ContactID: a.ID,
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, Body: "Mijn bestelling"})
	chat := e.ingest(t, desk.Inbound{InboxID: e.wa.ID, ExternalID: "w1", At: at.Add(time.Hour), ContactID: b.ID,
		Body: "Hallo", Attachments: []desk.InboundAttachment{{Name: "foto.jpg", ContentType: "image/jpeg", Size: 1234,
			BlobKey: "b1", ThumbKey: "t1"}}})
	kept, merged := e.contactOf(t, mail.ID), e.contactOf(t, chat.ID)
	if kept != a.ID || merged != b.ID {
		t.Fatalf("conversations went to contacts %d and %d, want %d and %d", kept, merged, a.ID, b.ID)
	}

	body := e.page(t, kept)
	if got := testIDs(body, "duplicate"); len(got) != 1 || got[0] != strconv.FormatInt(merged, 10) {
		t.Fatalf("duplicates = %v, want [%d]", got, merged)
	}
	if !strings.Contains(body, "same phone &#43;31612345678") {
		t.Error("the duplicate's evidence (same phone) is not shown")
	}

	w := e.do(t, http.MethodPost, "/app/contacts/"+strconv.FormatInt(kept, 10)+"/merge",
		url.Values{"merged_id": {strconv.FormatInt(merged, 10)}, "reason": {"same phone +31612345678"}})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(flash(w), "ok|flash.merged") {
		t.Fatalf("merge: status %d, flash %q", w.Code, flash(w))
	}
	if got := e.contactOf(t, chat.ID); got != kept {
		t.Errorf("after the merge the WhatsApp conversation belongs to %d, want %d", got, kept)
	}
	body = e.page(t, kept)
	records := testIDs(body, "merge-record")
	if len(records) != 1 {
		t.Fatalf("merge history rows = %v, want one", records)
	}
	for _, want := range []string{"Jan merged by Anna", "Evidence: same phone &#43;31612345678", `data-testid="undo-merge"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the merge history lacks %q", want)
		}
	}
	if got := testIDs(body, "duplicate"); len(got) != 0 {
		t.Errorf("duplicates after the merge = %v, want none", got)
	}
	if got := testIDs(body, "attachment"); len(got) != 1 {
		t.Errorf("attachments after the merge = %v, want the WhatsApp photo", got)
	}

	w = e.do(t, http.MethodPost, "/app/contact-merges/"+records[0]+"/undo", url.Values{"contact": {strconv.FormatInt(kept, 10)}})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(flash(w), "ok|flash.merge_undone") {
		t.Fatalf("undo: status %d, flash %q", w.Code, flash(w))
	}
	if got := e.contactOf(t, chat.ID); got != merged {
		t.Errorf("after the undo the WhatsApp conversation belongs to %d, want %d again", got, merged)
	}
	body = e.page(t, kept)
	if !strings.Contains(body, `data-undone="1"`) || strings.Contains(body, `data-testid="undo-merge"`) {
		t.Error("the undone merge is not shown as undone")
	}
	// Undoing twice is a conflict, told in a flash.
	w = e.do(t, http.MethodPost, "/app/contact-merges/"+records[0]+"/undo", url.Values{"contact": {strconv.FormatInt(kept, 10)}})
	if got := flash(w); !strings.HasPrefix(got, "error|flash.conflict") {
		t.Errorf("second undo: flash %q, want a conflict", got)
	}
}

func TestSplitFromTheContactPage(t *testing.T) {
	e := newIdentityEnv(t)
	at := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	first := e.ingest(t, desk.Inbound{InboxID: e.email.ID, ExternalID: "m1", At: at,
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "fam@example.nl"}, FromName: "Familie Jansen", Body: "Vraag 1"})
	id := e.contactOf(t, first.ID)
	// The partner writes from WhatsApp; an agent linked it to the same
	// profile (the API knows the contact).
	second := e.ingest(t, desk.Inbound{InboxID: e.wa.ID, ExternalID: "w1", At: at.Add(time.Hour),
		From: desk.Identity{Kind: desk.IdentityPhone, Value: "+31687654321"}, ContactID: id, Body: "Vraag 2"})
	c, err := e.st.ContactByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var phoneID int64
	for _, idn := range c.Identities {
		if idn.Kind == desk.IdentityPhone {
			phoneID = idn.ID
		}
	}
	body := e.page(t, id)
	if !strings.Contains(body, `data-testid="split"`) {
		t.Fatal("no split form on the contact page")
	}

	tests := []struct {
		name      string
		form      url.Values
		wantFlash string
	}{
		{"nothing chosen", url.Values{"name": {"Piet"}}, "error|flash.invalid|split"},
		{"not an id", url.Values{"identity": {"x"}}, "error|flash.invalid|identities"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(t, http.MethodPost, "/app/contacts/"+strconv.FormatInt(id, 10)+"/split", tc.form)
			if got := flash(w); got != tc.wantFlash {
				t.Errorf("flash = %q, want %q", got, tc.wantFlash)
			}
		})
	}

	form := url.Values{"name": {"Piet Jansen"}, "conversation": {strconv.FormatInt(second.ID, 10)}}
	if phoneID != 0 {
		form.Set("identity", strconv.FormatInt(phoneID, 10))
	}
	w := e.do(t, http.MethodPost, "/app/contacts/"+strconv.FormatInt(id, 10)+"/split", form)
	loc := w.Header().Get("Location")
	m := regexp.MustCompile(`^/app/contacts/(\d+)$`).FindStringSubmatch(loc)
	if w.Code != http.StatusSeeOther || m == nil || m[1] == strconv.FormatInt(id, 10) {
		t.Fatalf("split: status %d, location %q, flash %q; want the new profile", w.Code, loc, flash(w))
	}
	newID, _ := strconv.ParseInt(m[1], 10, 64)
	if got := e.contactOf(t, second.ID); got != newID {
		t.Errorf("the split-off conversation belongs to %d, want the new profile %d", got, newID)
	}
	if got := e.contactOf(t, first.ID); got != id {
		t.Errorf("the other conversation moved to %d", got)
	}
	body = e.page(t, newID)
	if !strings.Contains(body, "Piet Jansen") {
		t.Error("the new profile's page does not show its name")
	}
}

func TestContactAttachmentsNewestFirst(t *testing.T) {
	e := newIdentityEnv(t)
	at := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	from := desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}
	old := e.ingest(t, desk.Inbound{InboxID: e.email.ID, ExternalID: "m1", At: at, From: from, Body: "factuur",
		Attachments: []desk.InboundAttachment{{Name: "factuur.pdf", ContentType: "application/pdf", Size: 3 << 20, BlobKey: "b1"}}})
	id := e.contactOf(t, old.ID)
	e.ingest(t, desk.Inbound{InboxID: e.wa.ID, ExternalID: "w1", At: at.Add(48 * time.Hour), ContactID: id,
		From: desk.Identity{Kind: desk.IdentityPhone, Value: "+31612345678"}, Body: "foto",
		Attachments: []desk.InboundAttachment{{Name: "kapot.png", ContentType: "image/png", Size: 2048, BlobKey: "b2", ThumbKey: "t2"}}})
	body := e.page(t, id)
	got := testIDs(body, "attachment")
	if len(got) != 2 {
		t.Fatalf("attachments = %v, want two", got)
	}
	png, pdf := strings.Index(body, "kapot.png"), strings.Index(body, "factuur.pdf")
	if png < 0 || pdf < 0 || png > pdf {
		t.Errorf("the newer photo (at %d) is not listed before the older PDF (at %d)", png, pdf)
	}
	if !strings.Contains(body, `/attachments/`+got[0]+`/thumb`) {
		t.Error("the image has no thumbnail")
	}
	for _, want := range []string{"3.0 MB", "WhatsApp", `href="/app/conversations/`} {
		if !strings.Contains(body, want) {
			t.Errorf("the attachments list lacks %q", want)
		}
	}
}

func flash(w *httptest.ResponseRecorder) string {
	for _, c := range w.Result().Cookies() {
		if c.Name == "balie_flash" {
			return c.Value
		}
	}
	return ""
}
