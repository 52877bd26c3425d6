package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/feedback"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestFeedbackPages: supervisors see the satisfaction report with the
// comments linked to their conversations; agents may not. Agents tag a
// conversation as an improvement signal; only supervisors notify.
func TestFeedbackPages(t *testing.T) {
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
	in := &desk.Inbox{Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mail"}
	if err := st.CreateInbox(ctx, in); err != nil {
		t.Fatal(err)
	}
	c := &desk.Contact{Name: "Klant", Email: "klant@example.nl"}
	if err := st.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	at := now.Add(-2 * time.Hour)
	cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusResolved,
		Priority: desk.PriorityNone, AssigneeID: agent.ID, LastActivityAt: at, CreatedAt: at, UpdatedAt: at, ResolvedAt: at, FirstReplyAt: at}
	if err := st.CreateConversation(ctx, cv); err != nil {
		t.Fatal(err)
	}
	convs := conversation.New(st, bus.NewLocal(0), clock, slog.New(slog.DiscardHandler), conversation.Options{})
	fb := feedback.New(st, convs, clock, nil, feedback.Options{})
	set := feedback.DefaultSettings()
	set.Enabled = true
	if err := fb.SaveSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	if _, err := fb.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	msgs, err := st.ListMessages(ctx, cv.ID, 0, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("survey messages = %d, %v; want 1", len(msgs), err)
	}
	token := regexp.MustCompile(`/survey/(\S+)$`).FindStringSubmatch(msgs[0].Body)[1]
	if _, err := fb.Submit(ctx, token, feedback.Answer{CSAT: 4, Comment: "Snel <b>geholpen</b>"}); err != nil {
		t.Fatal(err)
	}

	h, err := New(Deps{Store: st, Auth: &fakeAuth{}, Conversations: &fakeConversations{}, Clock: clock, Feedback: fb})
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
	csrf := func(a *desk.Agent, v url.Values) url.Values { v.Set("csrf_token", "csrf-"+a.Email); return v }
	convLink := `href="/app/conversations/` + strconv.FormatInt(cv.ID, 10) + `"`
	cases := []struct {
		name   string
		req    *http.Request
		status int
		want   []string
	}{
		{"agent: no report", request(http.MethodGet, "/app/reports/csat", agent, nil), http.StatusForbidden, nil},
		{"supervisor: report", request(http.MethodGet, "/app/reports/csat", boss, nil), http.StatusOK,
			[]string{`data-testid="csat-totals"`, "4.00", "100.0%", "Snel &lt;b&gt;geholpen&lt;/b&gt;", convLink, `data-testid="csat-agents"`, "Anna"}},
		{"agent: improvements", request(http.MethodGet, "/app/improvements?conversation="+strconv.FormatInt(cv.ID, 10), agent, nil), http.StatusOK,
			[]string{`data-testid="improvement-tag"`, `value="` + strconv.FormatInt(cv.ID, 10) + `"`}},
		{"agent: tag", request(http.MethodPost, "/app/improvements", agent, csrf(agent, url.Values{
			"conversation_id": {strconv.FormatInt(cv.ID, 10)}, "title": {"Factuur-pdf toont oude btw"}})), http.StatusSeeOther, nil},
		{"agent: tag without csrf", request(http.MethodPost, "/app/improvements", agent, url.Values{
			"conversation_id": {strconv.FormatInt(cv.ID, 10)}, "title": {"x"}}), http.StatusForbidden, nil},
		{"listed", request(http.MethodGet, "/app/improvements", boss, nil), http.StatusOK,
			[]string{"Factuur-pdf toont oude btw", `data-testid="improvement-notify"`}},
		{"agent: no notify button", request(http.MethodGet, "/app/improvements", agent, nil), http.StatusOK,
			[]string{"Factuur-pdf toont oude btw"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := do(tc.req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d\n%.500s", w.Code, tc.status, w.Body)
			}
			for _, s := range tc.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("page lacks %q", s)
				}
			}
		})
	}
	if body := do(request(http.MethodGet, "/app/improvements", agent, nil)).Body.String(); strings.Contains(body, `data-testid="improvement-notify"`) {
		t.Error("an agent sees the notify button; only supervisors may notify")
	}
	ims, err := fb.Improvements(ctx, desk.ImprovementOpen)
	if err != nil || len(ims) != 1 {
		t.Fatalf("open problems = %v, %v; want 1", ims, err)
	}
	notify := "/app/improvements/" + strconv.FormatInt(ims[0].ID, 10) + "/notify"
	if w := do(request(http.MethodPost, notify, agent, csrf(agent, url.Values{"body": {"Opgelost"}}))); w.Code != http.StatusForbidden {
		t.Errorf("agent notify: status %d, want 403", w.Code)
	}
	if w := do(request(http.MethodPost, notify, boss, csrf(boss, url.Values{"body": {"Opgelost!"}}))); w.Code != http.StatusSeeOther {
		t.Fatalf("supervisor notify: status %d, want 303", w.Code)
	}
	msgs, err = st.ListMessages(ctx, cv.ID, 0, 10)
	if err != nil || len(msgs) != 2 || msgs[1].Body != "Opgelost!" {
		t.Errorf("messages after notify = %d (%v), want the fix notice as the second", len(msgs), err)
	}
}
