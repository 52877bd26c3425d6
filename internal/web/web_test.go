package web

import (
	"flag"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// now is the fixed clock of every test: a Friday, 11:00 in Amsterdam.
var now = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return now.Add(time.Duration(minutes) * time.Minute) }

type fixture struct {
	h    *Handler
	mux  *http.ServeMux
	st   *fakeStore
	conv *fakeConversations
	auth *fakeAuth
	up   *fakeUploads
	// adminChanged counts calls of Deps.AdminChanged.
	adminChanged int
	agents       *recordingAgents
	signedOut    []int64     // Deps.AgentSignedOut calls
	anna         *desk.Agent // agent, Dutch
	bram         *desk.Agent // supervisor, English
	carla        *desk.Agent // admin, English
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := newFakeStore()
	f := &fixture{st: st, conv: &fakeConversations{}, auth: &fakeAuth{st: st, password: "correct horse battery"},
		up: &fakeUploads{stored: map[string][]byte{}}}
	f.anna = &desk.Agent{ID: 1, Name: "Anna Jansen", Email: "anna@example.nl", Role: desk.RoleAgent, Locale: "nl", TeamIDs: []int64{10},
		Availability: desk.Online}
	f.bram = &desk.Agent{ID: 2, Name: "Bram de Boer", Email: "bram@example.nl", Role: desk.RoleSupervisor, Locale: "en"}
	f.carla = &desk.Agent{ID: 3, Name: "Carla Smit", Email: "carla@example.nl", Role: desk.RoleAdmin, Locale: "en"}
	for _, a := range []*desk.Agent{f.anna, f.bram, f.carla} {
		c := *a
		st.agents[a.ID] = &c
	}
	st.teams[10] = &desk.Team{ID: 10, Name: "Klantenservice"}
	st.teams[11] = &desk.Team{ID: 11, Name: "Finance"}
	st.inboxes[20] = &desk.Inbox{ID: 20, Name: "Website", Channel: desk.ChannelWebChat, PublicKey: "k1", TeamID: 10,
		Settings: map[string]string{"greeting": "Hoi!", "color": "#1f6feb"}}
	st.inboxes[21] = &desk.Inbox{ID: 21, Name: "Shop API", Channel: desk.ChannelAPI, PublicKey: "k2",
		Settings: map[string]string{"webhook_url": "https://shop.example/hook", "webhook_secret": "s3cret"}}
	st.tokens[50] = &desk.APIToken{ID: 50, AgentID: 1, Name: "Shop-koppeling", Prefix: "blt_Xy12", CreatedAt: at(-60 * 24 * 10),
		LastUsedAt: at(-30)}
	st.tokens[51] = &desk.APIToken{ID: 51, AgentID: 1, Name: "Oud script", Prefix: "blt_Ab34", CreatedAt: at(-60 * 24 * 100)}
	st.tokens[52] = &desk.APIToken{ID: 52, AgentID: 3, Name: "Carla's token", Prefix: "blt_Cc56", CreatedAt: at(-60)}
	st.webhooks[60] = &desk.Webhook{ID: 60, URL: "https://shop.example/balie-events?x=<b>", Secret: "stored-secret-never-shown", Active: true, CreatedAt: at(-600)}
	st.webhooks[61] = &desk.Webhook{ID: 61, URL: "https://crm.example/hook", Secret: "another-stored-secret",
		Events: []string{desk.EventConversationCreated, desk.EventConversationAssigned}, CreatedAt: at(-60)}
	st.contacts[30] = &desk.Contact{ID: 30, Name: "Jan de Vries", Email: "jan@example.nl", Phone: "+31612345678", Locale: "nl",
		Identities: []desk.Identity{{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, {Kind: desk.IdentityVisitor, Value: "hashed-secret"}},
		CreatedAt:  at(-60 * 24 * 40)}
	st.contacts[31] = &desk.Contact{ID: 31, Name: `<img src=x onerror=alert(1)>`, CreatedAt: at(-30)}
	st.convs[40] = &desk.Conversation{ID: 40, InboxID: 20, Channel: desk.ChannelWebChat, ContactID: 30, Status: desk.StatusOpen,
		Priority: desk.PriorityHigh, AssigneeID: 1, TeamID: 10, Labels: []string{"billing"}, LastActivityAt: at(-5),
		LastMessage: "Mijn factuur klopt niet <script>", WaitingSince: at(-5), CreatedAt: at(-90)}
	st.convs[41] = &desk.Conversation{ID: 41, InboxID: 21, Channel: desk.ChannelAPI, ContactID: 30, Status: desk.StatusResolved,
		Priority: desk.PriorityNone, Subject: "Retour", LastActivityAt: at(-60 * 24 * 3), LastMessage: "Dank je!", CreatedAt: at(-60 * 24 * 4)}
	st.convs[42] = &desk.Conversation{ID: 42, InboxID: 20, Channel: desk.ChannelWebChat, ContactID: 31, Status: desk.StatusOpen,
		Priority: desk.PriorityNone, LastActivityAt: at(-60 * 24 * 400), LastMessage: "hello", CreatedAt: at(-60 * 24 * 400)}
	st.msgs[40] = []desk.Message{
		{ID: 1, ConversationID: 40, Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: 30, SenderName: "Jan de Vries",
			Body: "Mijn factuur klopt niet <script>alert(1)</script>\nZie bijlage.", CreatedAt: at(-90),
			Attachments: []desk.Attachment{
				{ID: 7, Name: "factuur.png", ContentType: "image/png", Size: 2048, ThumbKey: "t7"},
				{ID: 8, Name: "factuur.pdf", ContentType: "application/pdf", Size: 3 << 20},
			}},
		{ID: 2, ConversationID: 40, Kind: desk.KindActivity, Sender: desk.SenderSystem, SenderID: 1, SenderName: "Anna Jansen",
			Body: "Anna Jansen: assigned to Anna Jansen; priority high", CreatedAt: at(-80),
			Activity: []desk.ActivityItem{{Key: desk.ActivityAssigned, Args: []string{"Anna Jansen"}},
				{Key: desk.ActivityPriority, Args: []string{"high"}}}},
		{ID: 3, ConversationID: 40, Kind: desk.KindNote, Sender: desk.SenderAgent, SenderID: 1, SenderName: "Anna Jansen",
			Body: "Check met finance", CreatedAt: at(-70)},
		{ID: 4, ConversationID: 40, Kind: desk.KindMessage, Sender: desk.SenderAgent, SenderID: 1, SenderName: "Anna Jansen",
			Body: "We kijken ernaar.", Delivery: desk.DeliveryDelivered, CreatedAt: at(-60)},
		{ID: 5, ConversationID: 40, Kind: desk.KindMessage, Sender: desk.SenderAgent, SenderID: 1, SenderName: "Anna Jansen",
			Body: "Nog een vraag?", Delivery: desk.DeliveryFailed, Error: "mailbox full", CreatedAt: at(-5)},
	}
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	// The real agent rules, over the fake store.
	f.agents = &recordingAgents{Agents: auth.NewAgents(st, nil)}
	h, err := New(Deps{Store: st, Conversations: f.conv, Contacts: &fakeContacts{}, Auth: f.auth, Agents: f.agents,
		Uploads: f.up, AdminChanged: func() { f.adminChanged++ },
		AgentSignedOut: func(id int64) { f.signedOut = append(f.signedOut, id) },
		Clock:          desk.ClockFunc(func() time.Time { return now }), Location: loc})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.h, f.mux = h, http.NewServeMux()
	h.Routes(f.mux)
	return f
}

// request builds a request as a as the server's auth middleware would pass
// it on: with the principal in the context (a nil a: none).
func request(method, target string, a *desk.Agent, form url.Values) *http.Request {
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if a != nil {
		p := &auth.Principal{Agent: a, Session: &desk.Session{ID: "sid", AgentID: a.ID, CSRFToken: "csrf-" + a.Email}}
		r = r.WithContext(auth.WithPrincipal(r.Context(), p))
	}
	return r
}

func (f *fixture) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w
}

// post sends a form with the agent's CSRF token.
func (f *fixture) post(a *desk.Agent, target string, form url.Values) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", "csrf-"+a.Email)
	return f.do(request(http.MethodPost, target, a, form))
}

var assetVersion = regexp.MustCompile(`\?v=[0-9a-f]+`)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = assetVersion.ReplaceAll(got, []byte("?v=X"))
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file; run go test ./internal/web -update and review the diff\n%s", name, firstDiff(string(got), string(want)))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return ""
}

func TestGoldenPages(t *testing.T) {
	f := newFixture(t)
	annaEN := *f.anna
	annaEN.Locale = "en"
	tests := []struct {
		name string
		req  *http.Request
	}{
		{"login_nl.html", withLang(request(http.MethodGet, "/login", nil, nil), "nl-NL,nl;q=0.9,en;q=0.5")},
		{"login_en.html", withLang(request(http.MethodGet, "/login", nil, nil), "en-GB,en;q=0.9")},
		{"inbox_nl.html", request(http.MethodGet, "/app?view=all", f.anna, nil)},
		{"inbox_en.html", request(http.MethodGet, "/app?view=all", &annaEN, nil)},
		{"conversation_nl.html", request(http.MethodGet, "/app/conversations/40", f.anna, nil)},
		{"conversation_en.html", request(http.MethodGet, "/app/conversations/40", &annaEN, nil)},
		{"profile_nl.html", request(http.MethodGet, "/app/profile", f.anna, nil)},
		{"webhooks_en.html", request(http.MethodGet, "/admin/webhooks", f.carla, nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do(tc.req)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body:\n%s", w.Code, w.Body)
			}
			body := w.Body.Bytes()
			if strings.HasPrefix(tc.name, "login") {
				// The login form's token is random.
				body = regexp.MustCompile(`name="csrf_token" value="[^"]*"`).ReplaceAll(body, []byte(`name="csrf_token" value="X"`))
			}
			golden(t, tc.name, body)
		})
	}
}

func withLang(r *http.Request, lang string) *http.Request {
	r.Header.Set("Accept-Language", lang)
	return r
}

func TestCatalogueParity(t *testing.T) {
	cats, err := loadCatalogs(localeFS)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"nl", "en"} {
		if _, ok := cats[want]; !ok {
			t.Fatalf("no %s catalogue", want)
		}
	}
	// A key written twice loads silently (the last wins): refuse it.
	for _, lang := range []string{"nl", "en"} {
		b, err := fs.ReadFile(localeFS, "locales/"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^\s*"([^"]+)"\s*:`).FindAllSubmatch(b, -1) {
			if k := string(m[1]); seen[k] {
				t.Errorf("%s.json has key %q twice", lang, k)
			} else {
				seen[k] = true
			}
		}
	}
	verbs := regexp.MustCompile(`%[sd]`)
	for la, ca := range cats {
		for lb, cb := range cats {
			for k, va := range ca {
				vb, ok := cb[k]
				if !ok {
					t.Errorf("key %q is in %s but not in %s", k, la, lb)
					continue
				}
				if la < lb && len(verbs.FindAllString(va, -1)) != len(verbs.FindAllString(vb, -1)) {
					t.Errorf("key %q: %s has %q, %s has %q: different placeholders", k, la, va, lb, vb)
				}
				if strings.TrimSpace(va) == "" {
					t.Errorf("key %q is empty in %s", k, la)
				}
			}
		}
	}
}

// TestTemplateKeys checks that every key the templates and code ask for is
// in the catalogues, so that no page shows a bare key.
func TestTemplateKeys(t *testing.T) {
	cats, err := loadCatalogs(localeFS)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	lit := regexp.MustCompile(`T "([a-z0-9_.]+)"`)
	err = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		keys = append(keys, "view."+string(v))
	}
	for _, s := range statuses {
		keys = append(keys, "status."+string(s))
	}
	for _, c := range channels {
		keys = append(keys, "channel."+string(c))
	}
	for _, p := range priorities {
		keys = append(keys, "priority."+string(p))
	}
	for _, r := range roles {
		keys = append(keys, "role."+string(r))
	}
	for _, d := range []desk.Delivery{desk.DeliveryQueued, desk.DeliverySent, desk.DeliveryDelivered, desk.DeliveryRead, desk.DeliveryFailed} {
		keys = append(keys, "delivery."+string(d))
	}
	for _, k := range []desk.IdentityKind{desk.IdentityEmail, desk.IdentityPhone, desk.IdentityVisitor, desk.IdentityExtern} {
		keys = append(keys, "identity."+string(k))
	}
	for _, s := range []int{400, 401, 403, 404, 409, 413, 415, 422, 429, 500} {
		keys = append(keys, errorKey(s))
	}
	keys = append(keys, "login.failed", "login.expired", "login.rate_limited", "date.months",
		"snooze.hour", "snooze.hours4", "snooze.tomorrow", "snooze.monday", "field.unknown",
		"js.typing", "js.note", "js.updated", "js.reload", "js.offline", "js.new_activity",
		"js.files_too_many", "js.file_too_big")
	keys = append(keys, activityKeys...)
	for _, a := range availabilities {
		keys = append(keys, "avail."+string(a))
	}
	keys = append(keys, catalogKeysInGo(t)...)
	for _, k := range keys {
		for lang, c := range cats {
			if _, ok := c[k]; !ok {
				t.Errorf("key %q missing from %s", k, lang)
			}
		}
	}
}

// catalogKeysInGo finds the "flash.*" keys the handlers use.
func catalogKeysInGo(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`"(flash\.[a-z_]+)"`)
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			out = append(out, m[1])
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d flash keys in the code; the pattern is stale", len(out))
	}
	return out
}

func TestCSRF(t *testing.T) {
	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantCalls  int
	}{
		{"no token", "", http.StatusForbidden, 0},
		{"wrong token", "csrf-someone-else", http.StatusForbidden, 0},
		{"right token", "csrf-anna@example.nl", http.StatusSeeOther, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			form := url.Values{"body": {"Hallo"}}
			if tc.token != "" {
				form.Set("csrf_token", tc.token)
			}
			w := f.do(request(http.MethodPost, "/app/conversations/40/messages", f.anna, form))
			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			if got := len(f.conv.Calls()); got != tc.wantCalls {
				t.Errorf("service calls = %d (%v), want %d", got, f.conv.Calls(), tc.wantCalls)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		req        func() *httptest.ResponseRecorder
		wantStatus int
	}{
		{"agent may not open admin", func() *httptest.ResponseRecorder {
			return f.do(request(http.MethodGet, "/admin", f.anna, nil))
		}, http.StatusForbidden},
		{"agent may not open the agent list", func() *httptest.ResponseRecorder {
			return f.do(request(http.MethodGet, "/admin/agents", f.anna, nil))
		}, http.StatusForbidden},
		{"agent may not add an agent", func() *httptest.ResponseRecorder {
			return f.post(f.anna, "/admin/agents", url.Values{"name": {"X"}, "email": {"x@example.nl"}, "role": {"admin"}, "locale": {"en"}, "password": {"0123456789ab"}})
		}, http.StatusForbidden},
		{"supervisor may view agents", func() *httptest.ResponseRecorder {
			return f.do(request(http.MethodGet, "/admin/agents", f.bram, nil))
		}, http.StatusOK},
		{"supervisor may not add an agent", func() *httptest.ResponseRecorder {
			return f.post(f.bram, "/admin/agents", url.Values{"name": {"X"}, "email": {"x@example.nl"}, "role": {"admin"}, "locale": {"en"}, "password": {"0123456789ab"}})
		}, http.StatusForbidden},
		{"supervisor may not add an inbox", func() *httptest.ResponseRecorder {
			return f.post(f.bram, "/admin/inboxes", url.Values{"name": {"X"}, "channel": {"webchat"}})
		}, http.StatusForbidden},
		{"supervisor may add a team", func() *httptest.ResponseRecorder {
			return f.post(f.bram, "/admin/teams", url.Values{"name": {"Logistiek"}})
		}, http.StatusSeeOther},
		{"admin may add an agent", func() *httptest.ResponseRecorder {
			return f.post(f.carla, "/admin/agents", url.Values{"name": {"Dirk"}, "email": {"dirk@example.nl"}, "role": {"agent"}, "locale": {"nl"}, "password": {"0123456789ab"}})
		}, http.StatusSeeOther},
		{"nobody is sent to login", func() *httptest.ResponseRecorder {
			return f.do(request(http.MethodGet, "/app/conversations/40", nil, nil))
		}, http.StatusSeeOther},
		{"nobody may post", func() *httptest.ResponseRecorder {
			return f.do(request(http.MethodPost, "/app/conversations/40/messages", nil, url.Values{"body": {"x"}}))
		}, http.StatusUnauthorized},
		{"API tokens do not open pages", func() *httptest.ResponseRecorder {
			r := request(http.MethodGet, "/app", nil, nil)
			return f.do(r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Agent: f.carla, ViaToken: true})))
		}, http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.req()
			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
		})
	}
	agents, _ := f.st.ListAgents(t.Context())
	if !slices.ContainsFunc(agents, func(a desk.Agent) bool {
		return a.Email == "dirk@example.nl" && checkPW(a.PasswordHash, "0123456789ab")
	}) {
		t.Errorf("the admin's new agent was not stored: %+v", agents)
	}
	if f.agents.creates != 1 {
		t.Errorf("agents created = %d, want 1 (only the admin's request)", f.agents.creates)
	}
}

func TestAdminListsHideFormsFromSupervisors(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name     string
		who      *desk.Agent
		path     string
		wantForm bool
	}{
		{"supervisor agents", f.bram, "/admin/agents", false},
		{"admin agents", f.carla, "/admin/agents", true},
		{"supervisor inboxes", f.bram, "/admin/inboxes", false},
		{"admin inboxes", f.carla, "/admin/inboxes", true},
		{"supervisor teams", f.bram, "/admin/teams", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do(request(http.MethodGet, tc.path, tc.who, nil))
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d", w.Code)
			}
			got := strings.Contains(w.Body.String(), `method="post" action="`+tc.path+`"`)
			if got != tc.wantForm {
				t.Errorf("add form shown = %v, want %v", got, tc.wantForm)
			}
		})
	}
}

func TestUntrustedTextIsEscaped(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/app/conversations/40", "/app/conversations/42", "/app?view=all", "/app/search?q=factuur", "/app/contacts/31"} {
		t.Run(path, func(t *testing.T) {
			w := f.do(request(http.MethodGet, path, f.anna, nil))
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d", w.Code)
			}
			body := w.Body.String()
			for _, bad := range []string{"<script>alert", "<img src=x", "<script>\n"} {
				if strings.Contains(body, bad) {
					t.Errorf("page contains %q unescaped", bad)
				}
			}
			if n := strings.Count(body, "<script"); n != 2 {
				t.Errorf("page has %d <script elements, want 2 (app.js and the i18n data)", n)
			}
		})
	}
	w := f.do(request(http.MethodGet, "/app/conversations/40", f.anna, nil))
	if !strings.Contains(w.Body.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the customer's script tag is not shown as text")
	}
}

func TestThreadMarkup(t *testing.T) {
	f := newFixture(t)
	body := f.do(request(http.MethodGet, "/app/conversations/40", f.anna, nil)).Body.String()
	kinds := regexp.MustCompile(`data-testid="message" data-kind="([a-z]+)" data-id="(\d+)"`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, k := range kinds {
		got = append(got, k[2]+":"+k[1])
	}
	want := []string{"1:message", "2:activity", "3:note", "4:message", "5:message"}
	if !slices.Equal(got, want) {
		t.Errorf("thread = %v, want %v", got, want)
	}
	for _, s := range []string{
		`href="/attachments/7"`, `src="/attachments/7/thumb"`, // image thumbnail links to the file
		`href="/attachments/8" download`, "3.0 MB", // other files are downloads
		"Niet afgeleverd: mailbox full", // failed delivery with reason
		`data-testid="reply-body"`, `data-testid="send-button"`,
		`href="/app/conversations/41"`, // the customer's earlier conversation
		"websitebezoeker",              // visitor identity hidden
	} {
		if !strings.Contains(body, s) {
			t.Errorf("conversation page lacks %q", s)
		}
	}
	if strings.Contains(body, "hashed-secret") {
		t.Error("the visitor identity's secret value is shown")
	}
}

func TestInboxFiltersAndPaging(t *testing.T) {
	f := newFixture(t)
	for i := range 60 {
		id := int64(1000 + i)
		f.st.convs[id] = &desk.Conversation{ID: id, InboxID: 20, Channel: desk.ChannelEmail, ContactID: 30,
			Status: desk.StatusOpen, Priority: desk.PriorityNone, TeamID: 11, LastActivityAt: at(-100 - i)}
	}
	rowIDs := func(body string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`data-testid="conversation-row" data-id="(\d+)"`).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	w := f.do(request(http.MethodGet, "/app?view=all&channel=email", f.anna, nil))
	first := rowIDs(w.Body.String())
	if len(first) != pageSize || first[0] != "1000" {
		t.Fatalf("first page: %d rows starting %v, want %d starting 1000", len(first), first[:1], pageSize)
	}
	older := regexp.MustCompile(`href="(/app\?[^"]+)" data-testid="older"`).FindStringSubmatch(w.Body.String())
	if older == nil {
		t.Fatal("no link to older conversations")
	}
	next := strings.ReplaceAll(older[1], "&amp;", "&")
	second := rowIDs(f.do(request(http.MethodGet, next, f.anna, nil)).Body.String())
	if len(second) != 10 || second[0] != "1050" || second[9] != "1059" {
		t.Errorf("second page = %v, want 1050..1059", second)
	}

	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"40"}}, // mine, open
		{"view=unassigned&channel=webchat", []string{"42"}},
		{"view=all&status=resolved", []string{"41"}},
		{"view=all&label=billing", []string{"40"}},
		{"view=teams&channel=webchat", []string{"40"}},
		{"view=bogus&status=bogus", []string{"40"}}, // defaults
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			got := rowIDs(f.do(request(http.MethodGet, "/app?"+tc.query, f.anna, nil)).Body.String())
			if !slices.Equal(got, tc.want) {
				t.Errorf("rows = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRowFragment(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, path string
		want       int
	}{
		{"in view", "/app/fragments/conversation-row/40?view=mine", http.StatusOK},
		{"not in view", "/app/fragments/conversation-row/42?view=mine", http.StatusNoContent},
		{"filtered out by status", "/app/fragments/conversation-row/41?view=all", http.StatusNoContent},
		{"missing", "/app/fragments/conversation-row/999?view=all", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do(request(http.MethodGet, tc.path, f.anna, nil))
			if w.Code != tc.want {
				t.Fatalf("status = %d, want %d", w.Code, tc.want)
			}
			if tc.want == http.StatusOK {
				b := w.Body.String()
				if !strings.HasPrefix(b, `<li class="row`) || !strings.Contains(b, `data-id="40"`) || strings.Contains(b, "<html") {
					t.Errorf("fragment is not one row:\n%s", b)
				}
			}
		})
	}
}

func TestConversationActions(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		form     url.Values
		wantCall string
		wantKey  string
		check    func(t *testing.T, f *fixture)
	}{
		{"reply", "/messages", url.Values{"body": {"Hallo Jan"}}, "reply 40 by 1: Hallo Jan", "flash.sent", nil},
		{"note", "/messages", url.Values{"body": {"intern"}, "note": {"1"}}, "note 40 by 1: intern", "flash.noted", nil},
		{"assign to me", "/assign", url.Values{"me": {"1"}}, "update 40 by 1", "flash.assigned", func(t *testing.T, f *fixture) {
			if ch := f.conv.changes[0]; ch.AssigneeID == nil || *ch.AssigneeID != 1 {
				t.Errorf("assignee = %v, want 1", ch.AssigneeID)
			}
		}},
		{"transfer", "/transfer", url.Values{"team_id": {"11"}, "assignee_id": {"0"}, "note": {"graag"}}, "update 40 by 1", "flash.transferred", func(t *testing.T, f *fixture) {
			ch := f.conv.changes[0]
			if ch.TeamID == nil || *ch.TeamID != 11 || ch.Note != "graag" {
				t.Errorf("change = %+v, want team 11 with note", ch)
			}
		}},
		{"labels", "/labels", url.Values{"labels": {"a, b"}}, "update 40 by 1", "flash.saved", nil},
		{"resolve", "/status", url.Values{"status": {"resolved"}}, "update 40 by 1", "flash.resolved", nil},
		{"snooze tomorrow", "/snooze", url.Values{"until": {"2025-03-15T08:00:00Z"}}, "update 40 by 1", "flash.snoozed", nil},
		{"snooze custom in Amsterdam time", "/snooze", url.Values{"until": {"custom"}, "custom": {"2025-03-20T14:30"}}, "update 40 by 1", "flash.snoozed", func(t *testing.T, f *fixture) {
			want := time.Date(2025, 3, 20, 13, 30, 0, 0, time.UTC)
			if got := f.conv.changes[0].SnoozedUntil; got == nil || !got.Equal(want) {
				t.Errorf("snoozed until %v, want %v", got, want)
			}
		}},
		{"snooze without a time", "/snooze", url.Values{"until": {"custom"}}, "", "flash.invalid", nil},
		{"bad assignee", "/assign", url.Values{"assignee_id": {"x"}}, "", "flash.invalid", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			w := f.post(f.anna, "/app/conversations/40"+tc.path, tc.form)
			if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/app/conversations/40") {
				t.Fatalf("got %d to %q, want 303 back to the conversation", w.Code, w.Header().Get("Location"))
			}
			calls := f.conv.Calls()
			if tc.wantCall == "" && len(calls) != 0 || tc.wantCall != "" && !slices.Equal(calls, []string{tc.wantCall}) {
				t.Errorf("calls = %q, want %q", calls, tc.wantCall)
			}
			if got := flashOf(w); !strings.Contains(got, "|"+tc.wantKey+"|") {
				t.Errorf("flash = %q, want key %s", got, tc.wantKey)
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

func flashOf(w *httptest.ResponseRecorder) string {
	for _, c := range w.Result().Cookies() {
		if c.Name == flashCookie {
			return c.Value
		}
	}
	return ""
}

func TestFlashIsShownInTheAgentsLanguage(t *testing.T) {
	f := newFixture(t)
	f.conv.err = desk.Invalid("body", "a message needs text")
	w := f.post(f.anna, "/app/conversations/40/messages", url.Values{"body": {""}})
	cookie := flashOf(w)
	for _, tc := range []struct {
		who  *desk.Agent
		want string
	}{{f.anna, "Controleer het veld bericht."}, {f.bram, "Please check the message."}} {
		r := request(http.MethodGet, "/app/conversations/40", tc.who, nil)
		r.AddCookie(&http.Cookie{Name: flashCookie, Value: cookie})
		body := f.do(r).Body.String()
		if !strings.Contains(body, tc.want) {
			t.Errorf("%s: page lacks %q", tc.who.Locale, tc.want)
		}
	}
	// A forged cookie cannot inject text.
	r := request(http.MethodGet, "/app", f.anna, nil)
	r.AddCookie(&http.Cookie{Name: flashCookie, Value: "error|<b>hi</b>|"})
	if strings.Contains(f.do(r).Body.String(), `data-testid="flash"`) {
		t.Error("a forged flash key was shown")
	}
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name        string
		password    string
		limited     bool
		noToken     bool
		next        string
		wantStatus  int
		wantPlace   string
		wantSession bool
		wantText    string
	}{
		{"good", "correct horse battery", false, false, "/app/conversations/40", http.StatusSeeOther, "/app/conversations/40", true, ""},
		{"open redirect refused", "correct horse battery", false, false, "//evil.example/", http.StatusSeeOther, "/app", true, ""},
		{"wrong password", "nope", false, false, "", http.StatusUnauthorized, "", false, "E-mailadres of wachtwoord klopt niet."},
		{"rate limited", "correct horse battery", true, false, "", http.StatusTooManyRequests, "", false, "Te veel pogingen"},
		{"no form token", "correct horse battery", false, true, "", http.StatusForbidden, "", false, "Het formulier is verlopen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.auth.limited = tc.limited
			page := f.do(withLang(request(http.MethodGet, "/login", nil, nil), "nl"))
			var token string
			for _, c := range page.Result().Cookies() {
				if c.Name == loginCSRFCookie {
					token = c.Value
				}
			}
			if token == "" {
				t.Fatal("login page set no form token cookie")
			}
			form := url.Values{"email": {"anna@example.nl"}, "password": {tc.password}, "next": {tc.next}, "csrf_token": {token}}
			r := withLang(request(http.MethodPost, "/login", nil, form), "nl")
			if !tc.noToken {
				r.AddCookie(&http.Cookie{Name: loginCSRFCookie, Value: token})
			}
			w := f.do(r)
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			if got := w.Header().Get("Location"); got != tc.wantPlace {
				t.Errorf("Location = %q, want %q", got, tc.wantPlace)
			}
			gotSession := false
			for _, c := range w.Result().Cookies() {
				if c.Name == auth.CookieName && c.Value == "cookie-value" {
					gotSession = true
				}
			}
			if gotSession != tc.wantSession {
				t.Errorf("session cookie set = %v, want %v", gotSession, tc.wantSession)
			}
			if tc.wantText != "" && !strings.Contains(w.Body.String(), tc.wantText) {
				t.Errorf("page lacks %q", tc.wantText)
			}
			if tc.wantText != "" && !strings.Contains(w.Body.String(), `value="anna@example.nl"`) {
				t.Error("the email address was not kept in the form")
			}
		})
	}
}

func TestLogout(t *testing.T) {
	f := newFixture(t)
	r := request(http.MethodPost, "/logout", f.anna, url.Values{"csrf_token": {"wrong"}})
	if w := f.do(r); w.Code != http.StatusForbidden {
		t.Errorf("logout with a wrong token: status %d, want 403", w.Code)
	}
	r = request(http.MethodPost, "/logout", f.anna, url.Values{"csrf_token": {"csrf-anna@example.nl"}})
	r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: "the-cookie"})
	w := f.do(r)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login" {
		t.Errorf("logout: %d to %q, want 303 to /login", w.Code, w.Header().Get("Location"))
	}
	if !slices.Equal(f.auth.loggedOut, []string{"the-cookie"}) {
		t.Errorf("sessions ended = %v, want [the-cookie]", f.auth.loggedOut)
	}
}

func TestAdminInboxes(t *testing.T) {
	f := newFixture(t)
	w := f.post(f.carla, "/admin/inboxes", url.Values{"channel": {"webchat"}, "name": {"Support site"}, "team_id": {"10"},
		"greeting": {"Welkom"}, "color": {"#AA3300"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: status %d", w.Code)
	}
	loc := w.Header().Get("Location")
	body := f.do(request(http.MethodGet, loc, f.carla, nil)).Body.String()
	re := regexp.MustCompile(`&lt;script src=&#34;/widget.js&#34; data-inbox=&#34;([a-z0-9]+)&#34; async&gt;&lt;/script&gt;`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no widget snippet on %s", loc)
	}
	var created *desk.Inbox
	for _, in := range f.st.inboxes {
		if in.Name == "Support site" {
			created = in
		}
	}
	if created == nil || created.PublicKey != m[1] || created.Settings["color"] != "#aa3300" || created.TeamID != 10 {
		t.Errorf("stored inbox = %+v, snippet key %s", created, m[1])
	}

	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"bad colour", url.Values{"channel": {"webchat"}, "name": {"X"}, "color": {"red;"}}},
		{"bad webhook", url.Values{"channel": {"api"}, "name": {"X"}, "webhook_url": {"javascript:alert(1)"}}},
		{"unknown channel", url.Values{"channel": {"pigeon"}, "name": {"X"}}},
		{"no name", url.Values{"channel": {"api"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(f.st.inboxes)
			w := f.post(f.carla, "/admin/inboxes", tc.form)
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `data-testid="problems"`) {
				t.Errorf("status %d, want 422 with the problems listed", w.Code)
			}
			if len(f.st.inboxes) != n {
				t.Error("an invalid inbox was stored")
			}
		})
	}

	// The API inbox's secret is for admins only.
	if b := f.do(request(http.MethodGet, "/admin/inboxes/21", f.bram, nil)).Body.String(); strings.Contains(b, "s3cret") {
		t.Error("a supervisor sees the webhook secret")
	}
	if b := f.do(request(http.MethodGet, "/admin/inboxes/21", f.carla, nil)).Body.String(); !strings.Contains(b, "s3cret") {
		t.Error("the admin does not see the webhook secret")
	}
}

func TestAdminAgentsAndTeams(t *testing.T) {
	f := newFixture(t)
	// Admins cannot lock themselves out.
	w := f.post(f.carla, "/admin/agents/3", url.Values{"name": {"Carla"}, "role": {"agent"}, "locale": {"en"}})
	if !strings.HasPrefix(flashOf(w), "error|") {
		t.Errorf("self-demotion: flash %q, want an error", flashOf(w))
	}
	if a, _ := f.st.AgentByID(t.Context(), 3); a.Role != desk.RoleAdmin {
		t.Errorf("admin demoted herself to %s", a.Role)
	}
	// Edit another agent: role, teams, disabled.
	w = f.post(f.carla, "/admin/agents/1", url.Values{"name": {"Anna J."}, "role": {"supervisor"}, "locale": {"nl"},
		"team": {"10", "11"}, "disabled": {"1"}})
	if !strings.HasPrefix(flashOf(w), "ok|") {
		t.Fatalf("edit: flash %q", flashOf(w))
	}
	a, _ := f.st.AgentByID(t.Context(), 1)
	if a.Name != "Anna J." || a.Role != desk.RoleSupervisor || !a.Disabled || !slices.Equal(a.TeamIDs, []int64{10, 11}) {
		t.Errorf("agent = %+v", a)
	}
	if !slices.Contains(f.auth.invalidated, 1) {
		t.Error("cached credentials of the edited agent were not dropped")
	}
	// Team members are set from the team page.
	w = f.post(f.bram, "/admin/teams/11", url.Values{"name": {"Finance"}, "member": {"2"}})
	if !strings.HasPrefix(flashOf(w), "ok|") {
		t.Fatalf("team edit: flash %q", flashOf(w))
	}
	anna, _ := f.st.AgentByID(t.Context(), 1)
	bram, _ := f.st.AgentByID(t.Context(), 2)
	if !slices.Equal(anna.TeamIDs, []int64{10}) || !slices.Equal(bram.TeamIDs, []int64{11}) {
		t.Errorf("teams: anna %v (want [10]), bram %v (want [11])", anna.TeamIDs, bram.TeamIDs)
	}
	// Reset a password: too short is refused.
	w = f.post(f.carla, "/admin/agents/2/password", url.Values{"password": {"short"}})
	if flashOf(w) != "error|flash.invalid|password" {
		t.Errorf("short password: flash %q", flashOf(w))
	}
	f.post(f.carla, "/admin/agents/2/password", url.Values{"password": {"a much longer one"}})
	if b, _ := f.st.AgentByID(t.Context(), 2); !checkPW(b.PasswordHash, "a much longer one") {
		t.Errorf("password hash = %q, does not match the new password", b.PasswordHash)
	}
	// Delete a team.
	w = f.post(f.bram, "/admin/teams/11/delete", nil)
	if _, err := f.st.TeamByID(t.Context(), 11); err == nil || w.Header().Get("Location") != "/admin/teams" {
		t.Errorf("team not deleted (err %v, Location %q)", err, w.Header().Get("Location"))
	}
}

func TestStatic(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		path, wantType, wantCache string
	}{
		{"/static/app.css?v=" + f.h.version["app.css"], "text/css", "immutable"},
		{"/static/app.js", "javascript", "max-age=3600"},
	} {
		w := f.do(request(http.MethodGet, tc.path, nil, nil))
		if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Type"), tc.wantType) ||
			!strings.Contains(w.Header().Get("Cache-Control"), tc.wantCache) {
			t.Errorf("%s: %d %q %q", tc.path, w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"))
		}
	}
}

func TestPickLanguage(t *testing.T) {
	cats := map[string]catalog{"nl": {}, "en": {}}
	tests := []struct{ header, want string }{
		{"", ""},
		{"nl-NL,nl;q=0.9,en-US;q=0.8", "nl"},
		{"en-GB,en;q=0.9", "en"},
		{"de-DE,de;q=0.9,en;q=0.5", "en"},
		{"fr;q=0.9, nl;q=0.3, en;q=0.6", "en"},
		{"de", ""},
		{"en;q=bogus, nl", "nl"},
	}
	for _, tc := range tests {
		if got := pickLanguage(tc.header, cats); got != tc.want {
			t.Errorf("pickLanguage(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/app"},
		{"/app/conversations/4", "/app/conversations/4"},
		{"//evil.example", "/app"},
		{"/\\evil.example", "/app"},
		{"https://evil.example", "/app"},
		{"/app\r\nSet-Cookie: x", "/app"},
	}
	for _, tc := range tests {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := &desk.Cursor{At: time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC), ID: 42}
	got := parseCursor(formatCursor(c))
	if got == nil || !got.At.Equal(c.At) || got.ID != c.ID {
		t.Errorf("round trip = %+v, want %+v", got, c)
	}
	for _, bad := range []string{"", "x-1", "1-x", "1", "5--3"} {
		if parseCursor(bad) != nil {
			t.Errorf("parseCursor(%q) accepted", bad)
		}
	}
}
