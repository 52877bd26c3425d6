package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/casestatus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/feedback"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestCustomerMessagesPage: an admin turns status notices and surveys on;
// supervisors and agents may not; what the form leaves out is kept.
func TestCustomerMessagesPage(t *testing.T) {
	ctx := context.Background()
	st := testenv.OpenSQLite(t)
	clock := desk.ClockFunc(func() time.Time { return now })
	admin := &desk.Agent{Name: "Carla", Email: "carla@example.nl", Role: desk.RoleAdmin, Locale: "nl", PasswordHash: "x"}
	boss := &desk.Agent{Name: "Bram", Email: "bram@example.nl", Role: desk.RoleSupervisor, Locale: "nl", PasswordHash: "x"}
	for _, a := range []*desk.Agent{admin, boss} {
		if err := st.CreateAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	convs := conversation.New(st, bus.NewLocal(0), clock, slog.New(slog.DiscardHandler), conversation.Options{})
	fb := feedback.New(st, convs, clock, nil, feedback.Options{})
	cs := casestatus.New(st, convs, clock, casestatus.Options{})
	kept := feedback.DefaultSettings()
	kept.Questions = []feedback.Question{{Label: "Hoe snel kreeg je antwoord?", Kind: feedback.QuestionScale}}
	if err := fb.SaveSettings(ctx, kept); err != nil {
		t.Fatal(err)
	}
	h, err := New(Deps{Store: st, Auth: &fakeAuth{}, Conversations: &fakeConversations{}, Clock: clock, Notices: cs, Surveys: fb})
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
	form := url.Values{"notice_pending": {"1"}, "notice_resolved": {"1"}, "survey_enabled": {"1"}, "survey_delay": {"45"},
		"survey_low_score": {"2"}, "review_url": {"https://www.kiyoh.com/de-spaak"}, "review_threshold": {"5"}}
	refused := url.Values{"csrf_token": {"csrf-" + boss.Email}}
	for k, v := range form {
		refused[k] = v
	}
	if w := do(request(http.MethodPost, "/admin/messages", boss, refused)); w.Code != http.StatusForbidden {
		t.Errorf("supervisor: status %d, want 403", w.Code)
	}
	if w := do(request(http.MethodGet, "/admin/messages", admin, nil)); w.Code != http.StatusOK ||
		!strings.Contains(w.Body.String(), `data-testid="survey-enabled"`) || strings.Contains(w.Body.String(), `data-testid="survey-enabled" checked`) {
		t.Fatalf("page before: %d, want 200 with surveys off\n%.500s", w.Code, w.Body)
	}
	form.Set("csrf_token", "csrf-"+admin.Email)
	if w := do(request(http.MethodPost, "/admin/messages", admin, form)); w.Code != http.StatusSeeOther {
		t.Fatalf("save: status %d, want 303\n%.500s", w.Code, w.Body)
	}
	ns, err := cs.Notices(ctx)
	if err != nil || ns.Assigned || !ns.Pending || !ns.Resolved {
		t.Errorf("notices = %+v, %v; want pending and resolved", ns, err)
	}
	set, err := fb.Settings(ctx)
	if err != nil || !set.Enabled || set.DelayMinutes != 45 || set.ReviewURL != "https://www.kiyoh.com/de-spaak" || len(set.Questions) != 1 {
		t.Errorf("survey settings = %+v, %v; want on, 45 minutes, the review site, and the question kept", set, err)
	}
	form.Set("survey_delay", "-3")
	if w := do(request(http.MethodPost, "/admin/messages", admin, form)); w.Code == http.StatusSeeOther && w.Header().Get("Location") == "/admin/messages" {
		if set, _ := fb.Settings(ctx); set.DelayMinutes == -3 {
			t.Errorf("a negative delay was saved")
		}
	}
}
