package web_test

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/sqlite"
	"github.com/balie-dev/balie/internal/web"
)

// collisionRig is the pages on a real store with two agents, Anna and
// Sanne, and one conversation with a customer's question.
type collisionRig struct {
	st          *sqlite.Store
	convs       *conversation.Service
	mux         *http.ServeMux
	anna, sanne *desk.Agent
	conv        int64
}

func newCollisionRig(t *testing.T) *collisionRig {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "balie.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	clock, log := desk.SystemClock{}, slog.New(slog.DiscardHandler)
	r := &collisionRig{st: st}
	r.anna = &desk.Agent{Email: "anna@example.nl", Name: "Anna", Role: desk.RoleAgent, Locale: "en", Availability: desk.Online}
	r.sanne = &desk.Agent{Email: "sanne@example.nl", Name: "Sanne", Role: desk.RoleAgent, Locale: "nl", Availability: desk.Online}
	for _, a := range []*desk.Agent{r.anna, r.sanne} {
		if err := st.CreateAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	inbox := &desk.Inbox{Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mail", Settings: map[string]string{}}
	if err := st.CreateInbox(ctx, inbox); err != nil {
		t.Fatal(err)
	}
	r.convs = conversation.New(st, bus.NewLocal(0), clock, log, conversation.Options{})
	res, err := r.convs.Ingest(ctx, desk.Inbound{InboxID: inbox.ID, ExternalID: "m1",
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, FromName: "Jan", Body: "Waar blijft mijn pakket?"})
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	r.conv = res.Conversation.ID
	h, err := web.New(web.Deps{Store: st, Conversations: r.convs, Auth: auth.New(st, clock, auth.Options{}), Clock: clock, Logger: log})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	r.mux = http.NewServeMux()
	h.Routes(r.mux)
	return r
}

// as sends a request as agent a, signed in with a session.
func (r *collisionRig) as(a *desk.Agent, method, target string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		form.Set("csrf_token", "csrf-"+a.Email)
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	p := &auth.Principal{Agent: a, Session: &desk.Session{ID: "sid-" + a.Email, AgentID: a.ID, CSRFToken: "csrf-" + a.Email}}
	req = req.WithContext(auth.WithPrincipal(req.Context(), p))
	w := httptest.NewRecorder()
	r.mux.ServeHTTP(w, req)
	return w
}

var (
	lastIDRe  = regexp.MustCompile(`name="last_message_id" value="(\d+)"`)
	confirmRe = regexp.MustCompile(`name="confirm" value="1"`)
)

// lastSeen opens the conversation as a and returns the reply box's
// last_message_id.
func (r *collisionRig) lastSeen(t *testing.T, a *desk.Agent) string {
	t.Helper()
	w := r.as(a, http.MethodGet, "/app/conversations/"+itoa(r.conv), nil)
	m := lastIDRe.FindStringSubmatch(w.Body.String())
	if w.Code != http.StatusOK || m == nil {
		t.Fatalf("conversation page: status %d, last_message_id %v", w.Code, m)
	}
	return m[1]
}

// replies lists the conversation's public replies as "sender: body".
func (r *collisionRig) replies(t *testing.T) []string {
	t.Helper()
	msgs, err := r.st.ListMessages(context.Background(), r.conv, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if m.Kind == desk.KindMessage && m.Sender == desk.SenderAgent {
			out = append(out, m.SenderName+": "+m.Body)
		}
	}
	return out
}

func TestCollisionConfirmFlow(t *testing.T) {
	r := newCollisionRig(t)
	ctx := t.Context()
	path := "/app/conversations/" + itoa(r.conv) + "/messages"
	seen := r.lastSeen(t, r.anna)

	// Sanne answers while Anna types.
	if _, err := r.convs.Reply(ctx, conversation.Actor{AgentID: r.sanne.ID, Name: "Sanne"}, r.conv, "Het is onderweg!", nil); err != nil {
		t.Fatal(err)
	}
	w := r.as(r.anna, http.MethodPost, path, url.Values{"body": {"Ik kijk het na <b>even</b>."}, "last_message_id": {seen}})
	if w.Code != http.StatusConflict {
		t.Fatalf("stale send: status = %d, want 409", w.Code)
	}
	page := w.Body.String()
	for _, want := range []string{
		`data-testid="collision"`,
		"Sanne just replied: send anyway?",
		`data-testid="collision-message"`,
		"Het is onderweg!",
		html.EscapeString("Ik kijk het na <b>even</b>."), // the draft is kept, escaped
		">Send anyway</button>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the held-back page lacks %q", want)
		}
	}
	if got := r.replies(t); len(got) != 1 {
		t.Fatalf("replies after the held-back send = %q, want only Sanne's", got)
	}

	// Sending again from that page (its own last_message_id, confirm=1)
	// sends.
	m := lastIDRe.FindStringSubmatch(page)
	if m == nil || !confirmRe.MatchString(page) {
		t.Fatal("the held-back page has no confirm form")
	}
	w = r.as(r.anna, http.MethodPost, path, url.Values{"body": {"Ik kijk het na."}, "last_message_id": {m[1]}, "confirm": {"1"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("confirmed send: status = %d, want 303\n%s", w.Code, w.Body)
	}
	if got, want := strings.Join(r.replies(t), " | "), "Sanne: Het is onderweg! | Anna: Ik kijk het na."; got != want {
		t.Errorf("replies = %q, want %q", got, want)
	}
}

func TestCollisionOnlyForOtherAgentsReplies(t *testing.T) {
	tests := []struct {
		name string
		// meanwhile happens between Anna opening the page and sending.
		meanwhile func(t *testing.T, r *collisionRig)
		form      func(seen string) url.Values
		status    int
	}{
		{"nothing happened", func(*testing.T, *collisionRig) {},
			func(seen string) url.Values { return url.Values{"body": {"Hallo"}, "last_message_id": {seen}} }, http.StatusSeeOther},
		{"Sanne replied", sanneReplies,
			func(seen string) url.Values { return url.Values{"body": {"Hallo"}, "last_message_id": {seen}} }, http.StatusConflict},
		{"Sanne replied, confirmed", sanneReplies,
			func(seen string) url.Values {
				return url.Values{"body": {"Hallo"}, "last_message_id": {seen}, "confirm": {"1"}}
			}, http.StatusSeeOther},
		{"Sanne only noted", func(t *testing.T, r *collisionRig) {
			if _, err := r.convs.Note(t.Context(), conversation.Actor{AgentID: r.sanne.ID, Name: "Sanne"}, r.conv, "intern"); err != nil {
				t.Fatal(err)
			}
		}, func(seen string) url.Values { return url.Values{"body": {"Hallo"}, "last_message_id": {seen}} }, http.StatusSeeOther},
		{"Anna replied in another tab", func(t *testing.T, r *collisionRig) {
			if _, err := r.convs.Reply(t.Context(), conversation.Actor{AgentID: r.anna.ID, Name: "Anna"}, r.conv, "eerste", nil); err != nil {
				t.Fatal(err)
			}
		}, func(seen string) url.Values { return url.Values{"body": {"Hallo"}, "last_message_id": {seen}} }, http.StatusSeeOther},
		{"the customer wrote again", func(t *testing.T, r *collisionRig) {
			c, err := r.st.ConversationByID(t.Context(), r.conv)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.convs.Ingest(t.Context(), desk.Inbound{InboxID: c.InboxID, ContactID: c.ContactID, ConversationID: c.ID,
				ExternalID: "m2", Body: "Hallo?"}); err != nil {
				t.Fatal(err)
			}
		}, func(seen string) url.Values { return url.Values{"body": {"Hallo"}, "last_message_id": {seen}} }, http.StatusSeeOther},
		{"a note is never held", sanneReplies,
			func(seen string) url.Values {
				return url.Values{"body": {"Hallo"}, "note": {"1"}, "last_message_id": {seen}}
			}, http.StatusSeeOther},
		{"an old form without the field", sanneReplies,
			func(string) url.Values { return url.Values{"body": {"Hallo"}} }, http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newCollisionRig(t)
			seen := r.lastSeen(t, r.anna)
			tc.meanwhile(t, r)
			w := r.as(r.anna, http.MethodPost, "/app/conversations/"+itoa(r.conv)+"/messages", tc.form(seen))
			if w.Code != tc.status {
				t.Errorf("status = %d, want %d", w.Code, tc.status)
			}
		})
	}
}

func sanneReplies(t *testing.T, r *collisionRig) {
	t.Helper()
	if _, err := r.convs.Reply(t.Context(), conversation.Actor{AgentID: r.sanne.ID, Name: "Sanne"}, r.conv, "Het is onderweg!", nil); err != nil {
		t.Fatal(err)
	}
}
