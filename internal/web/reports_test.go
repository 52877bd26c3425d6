package web_test

import (
	"encoding/csv"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/sqlite"
	"github.com/balie-dev/balie/internal/web"
)

// TestReportPages renders the dashboard, the staffing view and the CSV on
// a real store with three weeks of chats, as a supervisor, and refuses
// them to an agent.
func TestReportPages(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "balie.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2025, 3, 20, 15, 0, 0, 0, time.UTC)
	clock, log := desk.ClockFunc(func() time.Time { return now }), slog.New(slog.DiscardHandler)
	boss := &desk.Agent{Email: "sanne@example.nl", Name: "Sanne", Role: desk.RoleSupervisor, Locale: "nl", Availability: desk.Online}
	agent := &desk.Agent{Email: "anna@example.nl", Name: "Anna", Role: desk.RoleAgent, Locale: "en", Availability: desk.Online}
	for _, a := range []*desk.Agent{boss, agent} {
		if err := st.CreateAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	team := &desk.Team{Name: "Klantenservice"}
	if err := st.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	if err := st.SetTeamMembers(ctx, team.ID, []int64{agent.ID}); err != nil {
		t.Fatal(err)
	}
	in := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "chat", Settings: map[string]string{}}
	if err := st.CreateInbox(ctx, in); err != nil {
		t.Fatal(err)
	}
	c := &desk.Contact{Name: "=HYPERLINK(\"x\")"}
	if err := st.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	for d := 1; d <= 21; d++ {
		for h := 9; h < 17; h += 2 {
			created := now.AddDate(0, 0, -d).Truncate(24 * time.Hour).Add(time.Duration(h) * time.Hour)
			cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusResolved,
				TeamID: team.ID, AssigneeID: agent.ID, Category: "=billing", CreatedAt: created,
				FirstReplyAt: created.Add(40 * time.Second), ResolvedAt: created.Add(8 * time.Minute)}
			if err := st.CreateConversation(ctx, cv); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := st.RebuildStats(ctx, time.Time{}); err != nil {
		t.Fatalf("RebuildStats: %v", err)
	}
	convs := conversation.New(st, bus.NewLocal(0), clock, log, conversation.Options{})
	h, err := web.New(web.Deps{Store: st, Conversations: convs, Auth: auth.New(st, clock, auth.Options{}), Clock: clock, Logger: log})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	mux := http.NewServeMux()
	h.Routes(mux)
	get := func(a *desk.Agent, target string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		p := &auth.Principal{Agent: a, Session: &desk.Session{ID: "sid-" + a.Email, AgentID: a.ID, CSRFToken: "csrf"}}
		req = req.WithContext(auth.WithPrincipal(req.Context(), p))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w
	}

	tests := []struct {
		name   string
		as     *desk.Agent
		target string
		status int
		want   []string
	}{
		{"dashboard", boss, "/app/reports?period=30", http.StatusOK, []string{`data-testid="report-volume"`,
			`data-testid="report-heatmap"`, `<dd>84</dd>`, "Klantenservice", "Anna", "<title>", "aria-current=\"page\" data-testid=\"nav-reports\""}},
		{"filtered to nothing", boss, "/app/reports?from=2025-03-01&to=2025-03-05&channel=email", http.StatusOK,
			[]string{"Geen gesprekken in deze periode."}},
		{"bad period", boss, "/app/reports?period=5000", http.StatusUnprocessableEntity, nil},
		{"staffing", boss, "/app/reports/staffing?channel=webchat", http.StatusOK, []string{`data-testid="staffing-chart"`,
			"<polyline", `data-testid="staffing-days"`}},
		{"agent may not", agent, "/app/reports", http.StatusForbidden, nil},
		{"agent may not export", agent, "/app/reports/conversations.csv", http.StatusForbidden, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := get(tc.as, tc.target)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; body:\n%.2000s", w.Code, tc.status, w.Body)
			}
			for _, s := range tc.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("page lacks %q", s)
				}
			}
			if strings.Contains(w.Body.String(), "style=") {
				t.Error("page has an inline style, which the CSP refuses")
			}
		})
	}

	t.Run("csv", func(t *testing.T) {
		w := get(boss, "/app/reports/conversations.csv?period=7")
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("status = %d, type %q", w.Code, w.Header().Get("Content-Type"))
		}
		rows, err := csv.NewReader(w.Body).ReadAll()
		if err != nil {
			t.Fatalf("csv: %v", err)
		}
		// The last 7 days up to today: days 1..6 before now, 4 a day.
		if got, want := len(rows), 1+6*4; got != want {
			t.Errorf("csv has %d rows, want %d", got, want)
		}
		if rows[1][5] != "'=billing" || rows[1][7] != "Anna" || rows[1][11] != "40" || rows[1][16] != "1" {
			t.Errorf("first row = %q", rows[1])
		}
	})
}
