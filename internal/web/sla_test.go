package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/slawatch"
	"github.com/balie-dev/balie/internal/testenv"
)

// slaFixture is the pages over a real store with the SLA service.
type slaFixture struct {
	t      *testing.T
	ctx    context.Context
	st     desk.Store
	sla    *slawatch.Service
	convs  *conversation.Service
	mux    *http.ServeMux
	now    time.Time
	team   *desk.Team
	inbox  *desk.Inbox
	agent  *desk.Agent // role agent
	sup    *desk.Agent // supervisor
	admin  *desk.Agent
	convID int64
}

// slaBus drops events.
type slaBus struct{}

func (slaBus) Publish(context.Context, desk.Event) {}
func (slaBus) Subscribe(func(desk.Event)) func()   { return func() {} }

func newSLAFixture(t *testing.T) *slaFixture {
	t.Helper()
	amsterdam, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	f := &slaFixture{t: t, ctx: context.Background(), st: testenv.OpenSQLite(t),
		now: time.Date(2026, 11, 24, 10, 0, 0, 0, amsterdam)}
	clock := desk.ClockFunc(func() time.Time { return f.now })
	f.team = &desk.Team{Name: "Klantenservice", CreatedAt: f.now}
	if err := f.st.CreateTeam(f.ctx, f.team); err != nil {
		t.Fatal(err)
	}
	f.inbox = &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "k1", TeamID: f.team.ID, CreatedAt: f.now}
	if err := f.st.CreateInbox(f.ctx, f.inbox); err != nil {
		t.Fatal(err)
	}
	for _, a := range []**desk.Agent{&f.agent, &f.sup, &f.admin} {
		*a = &desk.Agent{CreatedAt: f.now, Locale: "nl"}
	}
	f.agent.Email, f.agent.Name, f.agent.Role = "anna@example.nl", "Anna", desk.RoleAgent
	f.sup.Email, f.sup.Name, f.sup.Role = "bram@example.nl", "Bram", desk.RoleSupervisor
	f.admin.Email, f.admin.Name, f.admin.Role = "carla@example.nl", "Carla", desk.RoleAdmin
	for _, a := range []*desk.Agent{f.agent, f.sup, f.admin} {
		if err := f.st.CreateAgent(f.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.DiscardHandler)
	f.convs = conversation.New(f.st, slaBus{}, clock, log, conversation.Options{})
	ss, ok := any(f.st).(slawatch.Store)
	if !ok {
		t.Fatalf("%T has no SLA policy methods", f.st)
	}
	f.sla = slawatch.New(ss, f.convs, slaBus{}, clock, slawatch.Options{Log: log})
	res, err := f.convs.Ingest(f.ctx, desk.Inbound{InboxID: f.inbox.ID,
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, FromName: "Jan", Body: "Waar blijft mijn pakket?"})
	if err != nil {
		t.Fatal(err)
	}
	f.convID = res.Conversation.ID
	h, err := New(Deps{Store: f.st, Conversations: f.convs, Contacts: &fakeContacts{}, Auth: &fakeAuth{},
		SLA: f.sla, Clock: clock, Logger: log, Location: amsterdam})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.mux = http.NewServeMux()
	h.Routes(f.mux)
	return f
}

func (f *slaFixture) get(a *desk.Agent, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, request(http.MethodGet, target, a, nil))
	return w
}

func (f *slaFixture) post(a *desk.Agent, target string, form url.Values) *httptest.ResponseRecorder {
	form.Set("csrf_token", "csrf-"+a.Email)
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, request(http.MethodPost, target, a, form))
	return w
}

func (f *slaFixture) policies() []desk.SLAPolicy {
	f.t.Helper()
	ps, err := f.sla.Policies(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return ps
}

func policyValues(name string) url.Values {
	return url.Values{"name": {name}, "enabled": {"on"}, "priority": {"urgent", "high"}, "channel": {"email"},
		"segments": {"VIP, zakelijk"}, "first_response": {"30"}, "first_response_unit": {"m"},
		"resolution": {"8"}, "resolution_unit": {"h"}, "warn_at": {"80"}, "business_hours": {"on"}}
}

func TestSLAPolicyPagesAreForAdmins(t *testing.T) {
	f := newSLAFixture(t)
	tests := []struct {
		name   string
		a      *desk.Agent
		method string
		path   string
		want   int
	}{
		{"agent list", f.agent, "GET", "/admin/sla", http.StatusForbidden},
		{"supervisor list", f.sup, "GET", "/admin/sla", http.StatusForbidden},
		{"supervisor create", f.sup, "POST", "/admin/sla", http.StatusForbidden},
		{"admin list", f.admin, "GET", "/admin/sla", http.StatusOK},
		{"agent board", f.agent, "GET", "/app/sla", http.StatusForbidden},
		{"supervisor board", f.sup, "GET", "/app/sla", http.StatusOK},
		{"agent team hours", f.agent, "GET", "/admin/teams/" + strconv.FormatInt(f.team.ID, 10) + "/hours", http.StatusForbidden},
		{"supervisor team hours", f.sup, "GET", "/admin/teams/" + strconv.FormatInt(f.team.ID, 10) + "/hours", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w *httptest.ResponseRecorder
			if tt.method == "POST" {
				w = f.post(tt.a, tt.path, policyValues("Mag niet"))
			} else {
				w = f.get(tt.a, tt.path)
			}
			if w.Code != tt.want {
				t.Errorf("%s %s as %s: status %d, want %d", tt.method, tt.path, tt.a.Role, w.Code, tt.want)
			}
		})
	}
	if n := len(f.policies()); n != 0 {
		t.Errorf("%d policies after refused posts, want 0", n)
	}
}

func TestSLAPolicyCRUD(t *testing.T) {
	f := newSLAFixture(t)
	if w := f.post(f.admin, "/admin/sla", policyValues("VIP e-mail")); w.Code != http.StatusSeeOther {
		t.Fatalf("create: status %d, want 303; body %s", w.Code, w.Body)
	}
	if w := f.post(f.admin, "/admin/sla", policyValues("Alles")); w.Code != http.StatusSeeOther {
		t.Fatalf("create second: status %d", w.Code)
	}
	ps := f.policies()
	if len(ps) != 2 {
		t.Fatalf("%d policies, want 2", len(ps))
	}
	p := ps[0]
	if p.Name != "VIP e-mail" || p.FirstResponse != 30*time.Minute || p.Resolution != 8*time.Hour || p.WarnAt != 0.8 ||
		!p.BusinessHours || !p.Enabled || len(p.Priorities) != 2 || len(p.Channels) != 1 ||
		strings.Join(p.Segments, ",") != "vip,zakelijk" {
		t.Errorf("stored %+v, want the form's values (segments lower case)", p)
	}
	w := f.get(f.admin, "/admin/sla")
	if body := w.Body.String(); !strings.Contains(body, "VIP e-mail") || strings.Count(body, `data-testid="sla-policy-row"`) != 2 {
		t.Errorf("list does not show both policies:\n%s", body)
	}

	// Move the second up: it is tried first.
	id2 := strconv.FormatInt(ps[1].ID, 10)
	if w := f.post(f.admin, "/admin/sla/"+id2+"/move", url.Values{"dir": {"up"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("move: status %d", w.Code)
	}
	if got := f.policies(); got[0].ID != ps[1].ID {
		t.Errorf("after moving up: first is %q, want %q", got[0].Name, ps[1].Name)
	}

	// Edit: turn off, change a target.
	v := policyValues("Alles")
	v.Del("enabled")
	v.Set("first_response", "2")
	v.Set("first_response_unit", "h")
	if w := f.post(f.admin, "/admin/sla/"+id2, v); w.Code != http.StatusSeeOther {
		t.Fatalf("update: status %d; %s", w.Code, w.Body)
	}
	if got, _ := f.sla.Policy(f.ctx, ps[1].ID); got.Enabled || got.FirstResponse != 2*time.Hour {
		t.Errorf("after update: enabled %v, first response %s; want off, 2h", got.Enabled, got.FirstResponse)
	}

	if w := f.post(f.admin, "/admin/sla/"+id2+"/delete", url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("delete: status %d", w.Code)
	}
	if n := len(f.policies()); n != 1 {
		t.Errorf("%d policies after delete, want 1", n)
	}
}

func TestSLAPolicyFormErrors(t *testing.T) {
	tests := []struct {
		name    string
		change  func(url.Values)
		testid  string
		keeping string // a value the re-shown form keeps
	}{
		{"no name", func(v url.Values) { v.Set("name", " ") }, "error-name", `value="30"`},
		{"no target", func(v url.Values) { v.Del("first_response"); v.Del("resolution") }, "error-targets", "VIP e-mail"},
		{"not a number", func(v url.Values) { v.Set("first_response", "half uur") }, "error-first_response", "half uur"},
		{"warning over 99", func(v url.Values) { v.Set("warn_at", "120") }, "error-warn_at", `value="120"`},
		{"unknown channel", func(v url.Values) { v.Set("channel", "pigeon") }, "error-channels", "VIP e-mail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSLAFixture(t)
			v := policyValues("VIP e-mail")
			tt.change(v)
			w := f.post(f.admin, "/admin/sla", v)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", w.Code)
			}
			body := w.Body.String()
			if !strings.Contains(body, `data-testid="`+tt.testid+`"`) {
				t.Errorf("no %s next to the field:\n%s", tt.testid, body)
			}
			if !strings.Contains(body, tt.keeping) {
				t.Errorf("the form lost %q", tt.keeping)
			}
			if n := len(f.policies()); n != 0 {
				t.Errorf("%d policies stored, want 0", n)
			}
		})
	}
}

func hoursValues() url.Values {
	v := url.Values{"mode": {"round_robin"}, "hours": {"on"}, "zone": {"Europe/Amsterdam"}, "public": {"nl"},
		"holidays": {"2026-12-24 Kerstavond 09:00-15:00\n2026-12-31 Oudjaarsdag"},
		"away_nl":  {"We zijn er weer {{next_open}}."}, "away_en": {"Back {{next_open}}."}}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
		v.Set("day_"+d, "09:00-12:30, 13:00-17:00")
	}
	v.Set("day_sat", "closed")
	v.Set("day_sun", "")
	return v
}

func TestTeamHoursForm(t *testing.T) {
	f := newSLAFixture(t)
	path := "/admin/teams/" + strconv.FormatInt(f.team.ID, 10) + "/hours"
	if w := f.post(f.agent, path, hoursValues()); w.Code != http.StatusForbidden {
		t.Errorf("agent: status %d, want 403", w.Code)
	}
	if w := f.post(f.sup, path, hoursValues()); w.Code != http.StatusSeeOther {
		t.Fatalf("save: status %d, want 303; %s", w.Code, w.Body)
	}
	team, err := f.st.TeamByID(f.ctx, f.team.ID)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := slawatch.TeamHours(team)
	if !ok || team.Mode != desk.RouteRoundRobin || team.Settings[desk.TeamAwayNL] != "We zijn er weer {{next_open}}." {
		t.Fatalf("team %+v: want hours, round robin and the away text", team)
	}
	monday := time.Date(2026, 11, 23, 12, 45, 0, 0, h.Loc)
	if h.Open(monday) || !h.Open(monday.Add(30*time.Minute)) || len(h.Holidays) != 2 {
		t.Errorf("hours %+v: want the lunch break closed and two holidays", h)
	}
	// The page shows what was saved.
	body := f.get(f.sup, path).Body.String()
	for _, want := range []string{"09:00-12:30, 13:00-17:00", "2026-12-24 Kerstavond 09:00-15:00", `value="round_robin" selected`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	bad := []struct {
		name   string
		change func(url.Values)
		testid string
	}{
		{"day", func(v url.Values) { v.Set("day_tue", "9-17") }, "error-day-tue"},
		{"overlap", func(v url.Values) { v.Set("day_wed", "09:00-13:00, 12:00-17:00") }, "error-day-wed"},
		{"zone", func(v url.Values) { v.Set("zone", "Mars/Olympus") }, "error-zone"},
		{"holiday", func(v url.Values) { v.Set("holidays", "24-12-2026 Kerstavond") }, "error-holidays"},
		{"never open", func(v url.Values) {
			for _, d := range slawatch.WeekdayKeys {
				v.Set("day_"+d, "closed")
			}
		}, "error-week"},
		{"mode", func(v url.Values) { v.Set("mode", "lottery") }, "error-mode"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			v := hoursValues()
			tt.change(v)
			v.Set("away_nl", "Bewaard? "+tt.name)
			w := f.post(f.sup, path, v)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", w.Code)
			}
			body := w.Body.String()
			if !strings.Contains(body, `data-testid="`+tt.testid+`"`) {
				t.Errorf("no %s shown:\n%s", tt.testid, body)
			}
			if !strings.Contains(body, "Bewaard? "+tt.name) {
				t.Errorf("the form lost the away text")
			}
			team, err := f.st.TeamByID(f.ctx, f.team.ID)
			if err != nil {
				t.Fatal(err)
			}
			if team.Settings[desk.TeamAwayNL] != "We zijn er weer {{next_open}}." {
				t.Errorf("a refused form changed the team: %q", team.Settings[desk.TeamAwayNL])
			}
		})
	}

	// Hours off: always open, the setting removed.
	v := hoursValues()
	v.Del("hours")
	if w := f.post(f.sup, path, v); w.Code != http.StatusSeeOther {
		t.Fatalf("hours off: status %d", w.Code)
	}
	team, _ = f.st.TeamByID(f.ctx, f.team.ID)
	if _, ok := slawatch.TeamHours(team); ok {
		t.Errorf("hours off: team still has hours %q", team.Settings[desk.TeamHours])
	}
}

func TestSLABadgePanelAndBoard(t *testing.T) {
	f := newSLAFixture(t)
	p := &desk.SLAPolicy{Name: "Chat", Enabled: true, FirstResponse: time.Hour, Resolution: 8 * time.Hour, WarnAt: 0.5}
	if err := f.sla.CreatePolicy(f.ctx, p); err != nil {
		t.Fatal(err)
	}
	start := f.now
	f.now = start.Add(time.Minute)
	if err := f.sla.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.now = start.Add(48 * time.Minute)
	if err := f.sla.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	inbox := f.get(f.agent, "/app?view=all").Body.String()
	if !strings.Contains(inbox, `data-testid="sla-badge"`) || !strings.Contains(inbox, "⏱ 12 min") ||
		!strings.Contains(inbox, "chip--sla-warning") {
		t.Errorf("inbox row lacks the warning badge with 12 min left:\n%s", inbox)
	}
	page := f.get(f.agent, "/app/conversations/"+strconv.FormatInt(f.convID, 10)).Body.String()
	for _, want := range []string{`data-testid="sla-panel"`, `data-kind="first_response" data-state="warning"`,
		`data-kind="resolution" data-state="running"`, "Eerste reactie"} {
		if !strings.Contains(page, want) {
			t.Errorf("conversation page lacks %q", want)
		}
	}
	f.now = start.Add(2 * time.Hour)
	if err := f.sla.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want int
	}{{"/app/sla", 1}, {"/app/sla?state=warning", 1}, {"/app/sla?state=breached", 1}}
	for _, tt := range tests {
		body := f.get(f.sup, tt.path).Body.String()
		if got := strings.Count(body, `data-testid="conversation-row"`); got != tt.want {
			t.Errorf("%s: %d rows, want %d", tt.path, got, tt.want)
		}
		if !strings.Contains(body, "SLA geschonden") {
			t.Errorf("%s: no breached badge", tt.path)
		}
	}
}

func TestSLAGoldenPages(t *testing.T) {
	f := newSLAFixture(t)
	p := &desk.SLAPolicy{Name: "VIP e-mail", Enabled: true, Priorities: []desk.Priority{desk.PriorityUrgent},
		Channels: []desk.ChannelKind{desk.ChannelEmail}, Segments: []string{"vip"}, FirstResponse: 30 * time.Minute,
		Resolution: 8 * time.Hour, WarnAt: 0.8, BusinessHours: true}
	if err := f.sla.CreatePolicy(f.ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := f.sla.CreatePolicy(f.ctx, &desk.SLAPolicy{Name: "Chat", Enabled: true, FirstResponse: time.Hour, WarnAt: 0.5}); err != nil {
		t.Fatal(err)
	}
	start := f.now
	f.now = start.Add(time.Minute)
	if err := f.sla.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.now = start.Add(45 * time.Minute)
	adminEN := *f.admin
	adminEN.Locale = "en"
	team := "/admin/teams/" + strconv.FormatInt(f.team.ID, 10) + "/hours"
	tests := []struct {
		name string
		a    *desk.Agent
		path string
	}{
		{"admin_sla_en.html", &adminEN, "/admin/sla"},
		{"admin_team_hours_nl.html", f.admin, team},
		{"sla_board_en.html", &adminEN, "/app/sla"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.get(tc.a, tc.path)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body:\n%s", w.Code, w.Body)
			}
			golden(t, tc.name, w.Body.Bytes())
		})
	}
}
