package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/problems"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestProblemsPage: supervisors see the recurring problems with what
// customers wrote; agents may not; "Analyse now" computes the report.
func TestProblemsPage(t *testing.T) {
	ctx := context.Background()
	st := testenv.OpenSQLite(t)
	clock := desk.ClockFunc(func() time.Time { return now })
	agent := &desk.Agent{Name: "Anna", Email: "anna@example.nl", Role: desk.RoleAgent, Locale: "nl", PasswordHash: "x"}
	boss := &desk.Agent{Name: "Bram", Email: "bram@example.nl", Role: desk.RoleSupervisor, Locale: "nl", PasswordHash: "x"}
	for _, a := range []*desk.Agent{agent, boss} {
		if err := st.CreateAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	in := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "chat"}
	if err := st.CreateInbox(ctx, in); err != nil {
		t.Fatal(err)
	}
	c := &desk.Contact{Name: "Klant"}
	if err := st.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	texts := []string{"Betaling mislukt bij het afrekenen <script>x</script>", "Mijn betaling is mislukt", "iDEAL betaling mislukt",
		"Pakket niet bezorgd", "Mijn pakket is niet bezorgd", "Waar is mijn pakket, niet bezorgd"}
	for i, text := range texts {
		at := now.Add(-time.Duration(i+1) * time.Hour)
		cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusOpen,
			Priority: desk.PriorityNone, LastActivityAt: at, CreatedAt: at, UpdatedAt: at}
		if err := st.CreateConversation(ctx, cv); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateMessage(ctx, &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage,
			Sender: desk.SenderContact, SenderID: c.ID, Body: text, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := New(Deps{Store: st, Auth: &fakeAuth{}, Conversations: &fakeConversations{}, Clock: clock, Problems: problems.New(st, clock, nil, problems.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Routes(mux)
	do := func(r *http.Request) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w
	}
	if w := do(request(http.MethodGet, "/app/problems", agent, nil)); w.Code != http.StatusForbidden {
		t.Errorf("agent: status %d, want 403", w.Code)
	}
	w := do(request(http.MethodGet, "/app/problems", boss, nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `data-testid="problems-empty"`) {
		t.Fatalf("before the first analysis: status %d, want 200 and the empty state\n%.600s", w.Code, w.Body)
	}
	if w := do(request(http.MethodPost, "/app/problems/refresh", agent, url.Values{"csrf_token": {"csrf-" + agent.Email}})); w.Code != http.StatusForbidden {
		t.Errorf("agent refresh: status %d, want 403", w.Code)
	}
	w = do(request(http.MethodPost, "/app/problems/refresh", boss, url.Values{"csrf_token": {"csrf-" + boss.Email}}))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("refresh: status %d, want 303\n%.600s", w.Code, w.Body)
	}
	body := do(request(http.MethodGet, "/app/problems", boss, nil)).Body.String()
	for _, want := range []string{`data-testid="problems-topics"`, "betaling", "bezorgd", "Terugkerende problemen"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>x") {
		t.Error("customer text is not escaped")
	}
}
