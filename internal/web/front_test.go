package web

import (
	"context"
	"html"
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
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/testenv"
)

// frontStore is the storage the front line needs on top of desk.Store.
type frontStore interface {
	desk.Store
	desk.IntentExampleStore
	desk.BotSessionStore
	desk.SavedReplyStore
	desk.FlowStore
}

// frontFixture runs the pages with the real conversation, knowledge-base,
// front-line and flow services on a real store: a web chat with the bot
// on, one conversation the bot handed over, one a customer started about a
// return, a saved reply and a published flow.
type frontFixture struct {
	mux   *http.ServeMux
	st    frontStore
	conv  *conversation.Service
	front *front.Service
	flows *flow.Service
	kb    *kb.Service
	team  *desk.Team
	inbox *desk.Inbox
	anna  *desk.Agent // agent in team Klantenservice, Dutch
	bram  *desk.Agent // supervisor, English
	carla *desk.Agent // admin, English
	// handed is the conversation the bot handed over; retour the one about
	// a return, which the bot did not see.
	handed, retour *desk.Conversation
	reply          *desk.SavedReply
	flow           *desk.Flow
}

// flowDef is a small valid flow: a question, an input, and the ends.
const flowDef = `{"start": "ask", "steps": [
 {"id": "ask", "kind": "question", "text": "Is je pakket bezorgd?",
  "options": [{"label": "Ja", "next": "done"}, {"label": "Nee", "next": "order"}]},
 {"id": "order", "kind": "input", "text": "Wat is je ordernummer?", "var": "order", "next": "agent"},
 {"id": "done", "kind": "end", "outcome": "solved"},
 {"id": "agent", "kind": "end", "outcome": "handover", "text": "Een collega kijkt mee."}]}`

func newFrontFixture(t *testing.T) *frontFixture {
	t.Helper()
	ctx := context.Background()
	raw := testenv.OpenSQLite(t)
	st, ok := raw.(frontStore)
	if !ok {
		t.Skip("the store has no front-line storage")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	clock := desk.ClockFunc(func() time.Time { return now })
	f := &frontFixture{st: st}
	f.team = &desk.Team{Name: "Klantenservice"}
	must(st.CreateTeam(ctx, f.team))
	f.anna = &desk.Agent{Name: "Anna Jansen", Email: "anna@example.nl", Role: desk.RoleAgent, Locale: "nl", PasswordHash: "x",
		Availability: desk.Online}
	f.bram = &desk.Agent{Name: "Bram de Boer", Email: "bram@example.nl", Role: desk.RoleSupervisor, Locale: "en", PasswordHash: "x"}
	f.carla = &desk.Agent{Name: "Carla Smit", Email: "carla@example.nl", Role: desk.RoleAdmin, Locale: "en", PasswordHash: "x"}
	for _, a := range []*desk.Agent{f.anna, f.bram, f.carla} {
		must(st.CreateAgent(ctx, a))
	}
	must(st.SetAgentTeams(ctx, f.anna.ID, []int64{f.team.ID}))
	f.anna.TeamIDs = []int64{f.team.ID}
	f.inbox = &desk.Inbox{Name: "Webshop", Channel: desk.ChannelWebChat, PublicKey: "pk", TeamID: f.team.ID,
		Settings: map[string]string{"bot": "on", "greeting": "Hoi!"}, CreatedAt: now}
	must(st.CreateInbox(ctx, f.inbox))

	b := bus.NewLocal(0)
	f.conv = conversation.New(st, b, clock, nil, conversation.Options{})
	kbs := kb.New(st, b, clock, nil, kb.Options{})
	must(kbs.Load(ctx))
	f.kb = kbs
	f.flows = flow.New(st, clock, flow.Options{Articles: kbs})
	f.front = front.New(st, f.conv, clock, nil, front.Options{})
	bot := f.front.NewBot(front.BotOptions{KB: kbs, Flows: front.FlowsFrom(f.flows, st, "https://shop.example"),
		BaseURL: "https://shop.example"})
	must(f.front.Retrain(ctx))

	// The bot hands over a customer who asks for a person.
	res, err := f.conv.Ingest(ctx, desk.Inbound{InboxID: f.inbox.ID, ExternalID: "m1", NewConversation: true,
		Body: "Ik wil een medewerker spreken over mijn factuur", FromName: "Els Bakker",
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "els@example.nl"}, At: now.Add(-30 * time.Minute)})
	must(err)
	bot.Handle(ctx, res.Conversation.ID, res.Message)
	f.handed, err = st.ConversationByID(ctx, res.Conversation.ID)
	must(err)

	// Agents answer the rest: the bot is off from here on.
	f.inbox.Settings = map[string]string{"greeting": "Hoi!"}
	must(st.UpdateInbox(ctx, f.inbox))
	f.conv.InvalidateCaches()
	res, err = f.conv.Ingest(ctx, desk.Inbound{InboxID: f.inbox.ID, ExternalID: "m2", NewConversation: true,
		Body: "Ik wil bestelling 1004321 terugsturen, hoe doe ik dat?", FromName: "Jan de Boer",
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, At: now.Add(-10 * time.Minute)})
	must(err)
	f.retour, err = st.ConversationByID(ctx, res.Conversation.ID)
	must(err)

	f.reply = &desk.SavedReply{Locale: "nl", Title: "Retour aanmelden", Category: "returns", Shortcut: "/retour", TeamID: f.team.ID,
		Body: "Hoi {{contact.first_name}}, je kunt bestelling {{order.number}} retour melden via Mijn account. Groet, {{agent.first_name}}"}
	must(f.front.SaveReply(ctx, f.bram, f.reply))
	must(f.front.SaveReply(ctx, f.bram, &desk.SavedReply{Locale: "en", Title: "Opening hours", Body: "We are open from 9 to 5."}))

	f.flow, err = f.flows.Create(ctx, flow.Input{Locale: "nl", Title: "Pakket niet bezorgd", Category: "order", Definition: flowDef})
	must(err)
	_, err = f.flows.Publish(ctx, f.bram, f.flow.ID)
	must(err)
	// One customer went through it and was handed over.
	run, _, err := f.flows.StartRun(ctx, flow.RunInput{FlowID: f.flow.ID, Source: desk.SourceHelpCenter, VisitorKey: "v1"})
	must(err)
	_, _, err = f.flows.AnswerRun(ctx, run.ID, "Nee", "v1")
	must(err)
	_, _, err = f.flows.AnswerRun(ctx, run.ID, "ORD-12345", "v1")
	must(err)

	loc, err := time.LoadLocation("Europe/Amsterdam")
	must(err)
	h, err := New(Deps{Store: st, Conversations: f.conv, Auth: &fakeAuth{}, KB: kbs, Front: f.front, Flows: f.flows,
		Clock: clock, Location: loc})
	must(err)
	f.mux = http.NewServeMux()
	h.Routes(f.mux)
	return f
}

func (f *frontFixture) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w
}

func (f *frontFixture) get(t *testing.T, a *desk.Agent, target string) string {
	t.Helper()
	w := f.do(request(http.MethodGet, target, a, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200\n%s", target, w.Code, w.Body)
	}
	return w.Body.String()
}

func (f *frontFixture) post(a *desk.Agent, target string, form url.Values) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", "csrf-"+a.Email)
	return f.do(request(http.MethodPost, target, a, form))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestFrontGoldenPages(t *testing.T) {
	f := newFrontFixture(t)
	tests := []struct {
		name   string
		who    *desk.Agent
		target string
	}{
		{"conversation_front_nl.html", f.anna, "/app/conversations/" + itoa(f.handed.ID)},
		{"conversation_suggest_nl.html", f.anna, "/app/conversations/" + itoa(f.retour.ID)},
		{"front_admin_en.html", f.carla, "/admin/front?test=" + url.QueryEscape("Mijn pakket is niet aangekomen")},
		{"replies_nl.html", f.anna, "/app/replies"},
		{"replies_edit_en.html", f.bram, "/app/replies/" + itoa(f.reply.ID)},
		{"flows_en.html", f.bram, "/app/flows"},
		{"flow_edit_en.html", f.bram, "/app/flows/" + itoa(f.flow.ID)},
		{"flow_stats_en.html", f.bram, "/app/flows/" + itoa(f.flow.ID) + "/stats?days=7"},
		{"admin_inbox_bot_en.html", f.carla, "/admin/inboxes/" + itoa(f.inbox.ID)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, []byte(f.get(t, tc.who, tc.target)))
		})
	}
}

// TestFrontRoles: agents correct categories and read saved replies; only
// supervisors write replies and flows, and only admins change the front
// line's settings and an inbox's bot.
func TestFrontRoles(t *testing.T) {
	f := newFrontFixture(t)
	fl := "/app/flows/" + itoa(f.flow.ID)
	rep := "/app/replies/" + itoa(f.reply.ID)
	inbox := "/admin/inboxes/" + itoa(f.inbox.ID) + "/bot"
	tests := []struct {
		name   string
		who    *desk.Agent
		method string
		path   string
		want   int
	}{
		{"nobody to login", nil, http.MethodGet, "/app/flows", http.StatusSeeOther},
		{"agent reads replies", f.anna, http.MethodGet, "/app/replies", http.StatusOK},
		{"agent sets a category", f.anna, http.MethodPost, "/app/conversations/" + itoa(f.retour.ID) + "/category", http.StatusSeeOther},
		{"agent may not open a reply", f.anna, http.MethodGet, rep, http.StatusForbidden},
		{"agent may not create a reply", f.anna, http.MethodPost, "/app/replies", http.StatusForbidden},
		{"agent may not change a reply", f.anna, http.MethodPost, rep, http.StatusForbidden},
		{"agent may not delete a reply", f.anna, http.MethodPost, rep + "/delete", http.StatusForbidden},
		{"agent may not list flows", f.anna, http.MethodGet, "/app/flows", http.StatusForbidden},
		{"agent may not create a flow", f.anna, http.MethodPost, "/app/flows", http.StatusForbidden},
		{"agent may not edit a flow", f.anna, http.MethodPost, fl, http.StatusForbidden},
		{"agent may not publish", f.anna, http.MethodPost, fl + "/publish", http.StatusForbidden},
		{"agent may not preview", f.anna, http.MethodGet, fl + "/preview", http.StatusForbidden},
		{"agent may not see flow stats", f.anna, http.MethodGet, fl + "/stats", http.StatusForbidden},
		{"agent may not open the front line", f.anna, http.MethodGet, "/admin/front", http.StatusForbidden},
		{"agent may not change categories", f.anna, http.MethodPost, "/admin/front/categories", http.StatusForbidden},
		{"agent may not import", f.anna, http.MethodPost, "/admin/front/examples", http.StatusForbidden},
		{"agent may not change the bot", f.anna, http.MethodPost, inbox, http.StatusForbidden},
		{"supervisor may not open the front line", f.bram, http.MethodGet, "/admin/front", http.StatusForbidden},
		{"supervisor may not set hours", f.bram, http.MethodPost, "/admin/front/hours", http.StatusForbidden},
		{"supervisor may not change the bot", f.bram, http.MethodPost, inbox, http.StatusForbidden},
		{"supervisor may not delete a flow", f.bram, http.MethodPost, fl + "/delete", http.StatusForbidden},
		{"supervisor previews", f.bram, http.MethodGet, fl + "/preview", http.StatusOK},
		{"supervisor opens a reply", f.bram, http.MethodGet, rep, http.StatusOK},
		{"admin opens the front line", f.carla, http.MethodGet, "/admin/front", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w *httptest.ResponseRecorder
			switch {
			case tc.method == http.MethodGet || tc.who == nil:
				w = f.do(request(tc.method, tc.path, tc.who, nil))
			default:
				w = f.post(tc.who, tc.path, url.Values{})
			}
			if w.Code != tc.want {
				t.Errorf("%s %s: status %d, want %d\n%.400s", tc.method, tc.path, w.Code, tc.want, w.Body)
			}
		})
	}
}

// TestCategoryCorrection: an agent's category is stored on the
// conversation as the agent's, and the first customer message becomes a
// training example.
func TestCategoryCorrection(t *testing.T) {
	f := newFrontFixture(t)
	ctx := context.Background()
	target := "/app/conversations/" + itoa(f.retour.ID) + "/category"

	w := f.post(f.anna, target, url.Values{"category": {"no-such-category"}})
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Set-Cookie"), "flash.invalid") {
		t.Errorf("unknown category: status %d, cookie %q; want a redirect with an error", w.Code, w.Header().Get("Set-Cookie"))
	}
	w = f.post(f.anna, target, url.Values{"category": {"returns"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want 303\n%s", w.Code, w.Body)
	}
	c, err := f.st.ConversationByID(ctx, f.retour.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Category != "returns" || c.CategoryBy != desk.CategoryByAgent {
		t.Errorf("category = %q by %q, want returns by agent", c.Category, c.CategoryBy)
	}
	ex, err := f.st.ListIntentExamples(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range ex {
		if e.ConversationID == f.retour.ID {
			found = true
			if e.Category != "returns" || e.Source != "agent" || !strings.Contains(e.Text, "terugsturen") {
				t.Errorf("example = %+v, want the first message labelled returns by an agent", e)
			}
		}
	}
	if !found {
		t.Errorf("no training example for conversation %d among %d", f.retour.ID, len(ex))
	}
	page := f.get(t, f.anna, "/app/conversations/"+itoa(f.retour.ID))
	if !strings.Contains(page, `data-testid="category">Retour en terugbetaling<`) || !strings.Contains(page, "door een medewerker") {
		t.Errorf("the page does not show the category as the agent's")
	}
}

// TestSuggestedReplies: the saved reply is suggested with its variables
// filled in; Send posts it through the reply path and records a pick,
// Edit puts it in the reply box and sending that records an edit.
func TestSuggestedReplies(t *testing.T) {
	f := newFrontFixture(t)
	ctx := context.Background()
	convPath := "/app/conversations/" + itoa(f.retour.ID)
	page := f.get(t, f.anna, convPath)
	want := "Hoi Jan, je kunt bestelling 1004321 retour melden via Mijn account. Groet, Anna"
	if !strings.Contains(html.UnescapeString(page), want) {
		t.Fatalf("the suggestions do not show %q", want)
	}
	ref := itoa(f.reply.ID)
	if !strings.Contains(page, `?use=saved:`+ref+`#reply`) {
		t.Errorf("no edit link for the saved reply")
	}

	w := f.post(f.anna, convPath+"/messages", url.Values{"body": {want}, "suggestion_kind": {"saved"}, "suggestion_ref": {ref}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("send: status %d\n%s", w.Code, w.Body)
	}
	msgs, err := f.st.ListMessages(ctx, f.retour.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if last := msgs[len(msgs)-1]; last.Body != want || last.Sender != desk.SenderAgent {
		t.Errorf("last message = %q by %s, want the suggestion by the agent", last.Body, last.Sender)
	}

	edit := f.get(t, f.anna, convPath+"?use=saved:"+ref)
	if !regexp.MustCompile(`(?s)<textarea id="reply-body"[^>]*>Hoi Jan,`).MatchString(edit) ||
		!strings.Contains(edit, `name="suggestion_edited" value="1"`) {
		t.Errorf("Edit did not put the suggestion in the reply box")
	}
	w = f.post(f.anna, convPath+"/messages", url.Values{"body": {"Hoi Jan, stuur het pakket terug met het label."},
		"suggestion_kind": {"saved"}, "suggestion_ref": {ref}, "suggestion_edited": {"1"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("send edited: status %d", w.Code)
	}
	stats, err := f.st.SuggestionStats(ctx, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got desk.SuggestionStat
	for _, s := range stats {
		if s.Kind == "saved" && s.Ref == ref {
			got.Picked += s.Picked
			got.Edited += s.Edited
			got.Shown += s.Shown
		}
	}
	if got.Picked != 1 || got.Edited != 1 || got.Shown == 0 {
		t.Errorf("events = %+v, want shown, 1 picked and 1 edited", got)
	}
	r, err := f.front.Reply(ctx, f.reply.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uses != 2 {
		t.Errorf("uses = %d, want 2", r.Uses)
	}
}

// TestHandoverSummary: the conversation the bot handed over shows what
// happened before.
func TestHandoverSummary(t *testing.T) {
	f := newFrontFixture(t)
	page := f.get(t, f.anna, "/app/conversations/"+itoa(f.handed.ID))
	if !strings.Contains(page, `data-testid="bot-summary"`) || !strings.Contains(page, `data-testid="bot-reason"`) {
		t.Errorf("no hand-over summary with a reason on the handed-over conversation")
	}
	other := f.get(t, f.anna, "/app/conversations/"+itoa(f.retour.ID))
	if strings.Contains(other, `data-testid="bot-summary"`) {
		t.Errorf("a hand-over summary on a conversation the bot never saw")
	}
}

var flowLocation = regexp.MustCompile(`^/app/flows/(\d+)$`)

// TestFlowAuthoring: create a flow, save an invalid definition (the error
// names the step), save a valid one, publish, and walk the preview to the
// end without the script.
func TestFlowAuthoring(t *testing.T) {
	f := newFrontFixture(t)
	ctx := context.Background()
	w := f.post(f.bram, "/app/flows", url.Values{"title": {"Wachtwoord vergeten"}, "locale": {"nl"}, "category": {"technical"}})
	m := flowLocation.FindStringSubmatch(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || m == nil {
		t.Fatalf("create: status %d, location %q", w.Code, w.Header().Get("Location"))
	}
	path := m[1]
	id, _ := strconv.ParseInt(path, 10, 64)

	broken := `{"start": "ask", "steps": [
 {"id": "ask", "kind": "question", "text": "Heb je de mail ontvangen?", "options": [{"label": "Ja", "next": "nergens"}]},
 {"id": "klaar", "kind": "end", "outcome": "solved"}]}`
	form := url.Values{"title": {"Wachtwoord vergeten"}, "definition": {broken}}
	w = f.post(f.bram, "/app/flows/"+path, form)
	if w.Code != http.StatusUnprocessableEntity && w.Code != http.StatusBadRequest {
		t.Fatalf("invalid definition: status %d, want 422 or 400", w.Code)
	}
	body := w.Body.String()
	if !strings.Contains(body, `data-testid="flow-problems"`) || !strings.Contains(body, `href="#step-ask"`) {
		t.Errorf("the refused save does not name step ask\n%.2000s", body)
	}
	if !strings.Contains(body, "nergens") {
		t.Errorf("the refused save lost the typed definition")
	}
	fl, err := f.flows.Flow(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fl.Definition, "nergens") {
		t.Errorf("the invalid definition was stored")
	}

	valid := `{"start": "ask", "steps": [
 {"id": "ask", "kind": "question", "text": "Heb je de mail ontvangen?",
  "options": [{"label": "Ja", "next": "klaar"}, {"label": "Nee", "next": "mail"}]},
 {"id": "mail", "kind": "input", "text": "Op welk adres?", "next": "agent"},
 {"id": "klaar", "kind": "end", "outcome": "solved"},
 {"id": "agent", "kind": "end", "outcome": "handover"}]}`
	form.Set("definition", valid)
	if w = f.post(f.bram, "/app/flows/"+path, form); w.Code != http.StatusSeeOther {
		t.Fatalf("valid definition: status %d\n%.1000s", w.Code, w.Body)
	}
	if w = f.post(f.bram, "/app/flows/"+path+"/publish", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("publish: status %d", w.Code)
	}
	if fl, err = f.flows.Flow(ctx, id); err != nil || fl.Status != desk.ArticlePublished || fl.Version != 1 {
		t.Fatalf("after publish: %+v %v, want published version 1", fl, err)
	}

	// The preview: question → "Nee" → input → an address → the hand-over.
	page := f.get(t, f.bram, "/app/flows/"+path+"/preview")
	steps := []struct {
		answer   string
		wantKind string
	}{
		{"", "question"},
		{"2", "input"},
		{"klant@example.nl", "end"},
	}
	kind := regexp.MustCompile(`data-testid="preview" data-kind="([a-z]+)"`)
	state := regexp.MustCompile(`name="state" value="([^"]*)"`)
	for i, s := range steps {
		if i > 0 {
			st := state.FindStringSubmatch(page)
			if st == nil {
				t.Fatalf("step %d: no state in the preview form", i)
			}
			w := f.post(f.bram, "/app/flows/"+path+"/preview", url.Values{"state": {html.UnescapeString(st[1])}, "answer": {s.answer}})
			if w.Code != http.StatusOK {
				t.Fatalf("step %d: status %d", i, w.Code)
			}
			page = w.Body.String()
		}
		if got := kind.FindStringSubmatch(page); got == nil || got[1] != s.wantKind {
			t.Fatalf("step %d: view %v, want %s\n%.1500s", i, got, s.wantKind, page)
		}
	}
	if !strings.Contains(page, `data-testid="preview-end"`) || !strings.Contains(page, "Handed over") {
		t.Errorf("the preview did not end in a hand-over")
	}
	runs, err := f.st.FlowRuns(ctx, id, time.Time{}, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 0 {
		t.Errorf("the preview stored %d runs, want none", len(runs))
	}
}

// TestInboxBotSettings: the bot section round-trips through the inbox's
// settings; bad proactive triggers are refused and nothing is stored.
func TestInboxBotSettings(t *testing.T) {
	f := newFrontFixture(t)
	ctx := context.Background()
	target := "/admin/inboxes/" + itoa(f.inbox.ID) + "/bot"
	triggers := `[{"url": "/checkout*", "after_seconds": 30, "message_nl": "Hulp nodig?", "message_en": "Need help?"}]`
	form := url.Values{"bot": {"on"}, "greeting_nl": {"Hoi! Waarmee kan ik helpen?"}, "greeting_en": {"Hi! How can I help?"},
		"threshold": {"0,6"}, "human_only": {"billing", "returns"}, "tone": {"formal"}, "proactive": {triggers}}
	if w := f.post(f.carla, target, form); w.Code != http.StatusSeeOther || strings.Contains(w.Header().Get("Set-Cookie"), "error") {
		t.Fatalf("save: status %d, cookie %q", w.Code, w.Header().Get("Set-Cookie"))
	}
	in, err := f.st.InboxByID(ctx, f.inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	cfg := front.BotConfigOf(in)
	if !cfg.Enabled || !cfg.Formal || cfg.Threshold != 0.6 || strings.Join(cfg.HumanOnly, ",") != "billing,returns" ||
		cfg.Greeting["nl"] != "Hoi! Waarmee kan ik helpen?" || cfg.Greeting["en"] != "Hi! How can I help?" {
		t.Errorf("bot config = %+v", cfg)
	}
	if in.Settings["greeting"] != "Hoi!" {
		t.Errorf("the widget's own greeting changed: %q", in.Settings["greeting"])
	}
	if !strings.Contains(in.Settings["proactive"], `"url":"/checkout*"`) {
		t.Errorf("proactive = %q", in.Settings["proactive"])
	}
	page := f.get(t, f.carla, "/admin/inboxes/"+itoa(f.inbox.ID))
	for _, want := range []string{`value="billing" checked`, `value="formal" checked`, `value="0.6"`, "/checkout*"} {
		if !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("the page does not show %s", want)
		}
	}

	bad := []struct{ name, proactive string }{
		{"not JSON", `[{"url": "/x"`},
		{"no message", `[{"url": "/x"}]`},
		{"url not a path", `[{"url": "checkout", "message_nl": "Hoi"}]`},
		{"unknown field", `[{"url": "/x", "message_nl": "Hoi", "delay": 3}]`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			form.Set("proactive", tc.proactive)
			form.Set("greeting_nl", "changed")
			w := f.post(f.carla, target, form)
			if !strings.Contains(w.Header().Get("Set-Cookie"), "flash.invalid") {
				t.Errorf("cookie %q, want an invalid flash", w.Header().Get("Set-Cookie"))
			}
			in, err := f.st.InboxByID(ctx, f.inbox.ID)
			if err != nil {
				t.Fatal(err)
			}
			if in.Settings["bot_greeting_nl"] == "changed" {
				t.Errorf("a refused form was stored")
			}
		})
	}
}

// TestFrontAdmin: categories, business hours and examples save through the
// front line.
func TestFrontAdmin(t *testing.T) {
	f := newFrontFixture(t)
	ctx := context.Background()
	form := url.Values{"rows": {"2"},
		"key_0": {"order"}, "name_nl_0": {"Bestellingen"}, "name_en_0": {"Orders"}, "team_0": {itoa(f.team.ID)},
		"flow_0": {itoa(f.flow.GroupID)}, "article_0": {"7"},
		"key_1": {"fraude"}, "name_nl_1": {"Fraude"}, "name_en_1": {"Fraud"}, "human_1": {"1"}}
	if w := f.post(f.carla, "/admin/front/categories", form); w.Code != http.StatusSeeOther || strings.Contains(w.Header().Get("Set-Cookie"), "error") {
		t.Fatalf("categories: status %d, cookie %q", w.Code, w.Header().Get("Set-Cookie"))
	}
	cats, err := f.front.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []front.Category{
		{Key: "order", NameNL: "Bestellingen", NameEN: "Orders", TeamID: f.team.ID, FlowGroupID: f.flow.GroupID, ArticleGroupID: 7},
		{Key: "fraude", NameNL: "Fraude", NameEN: "Fraud", HumanOnly: true},
	}
	if len(cats) != len(want) || cats[0] != want[0] || cats[1] != want[1] {
		t.Errorf("categories = %+v, want %+v", cats, want)
	}

	hours := url.Values{"zone": {"Europe/Amsterdam"}, "open_1": {"08:30"}, "close_1": {"17:00"}, "open_6": {"10:00"}, "close_6": {"14:00"}}
	if w := f.post(f.carla, "/admin/front/hours", hours); strings.Contains(w.Header().Get("Set-Cookie"), "error") {
		t.Fatalf("hours refused: %q", w.Header().Get("Set-Cookie"))
	}
	got := f.front.Hours(ctx)
	if len(got.Days) != 2 || got.Days["1"] != [2]string{"08:30", "17:00"} || got.Days["6"] != [2]string{"10:00", "14:00"} {
		t.Errorf("hours = %+v", got)
	}

	w := f.post(f.carla, "/admin/front/examples", url.Values{"examples": {"fraude\tIemand heeft met mijn account besteld\nfraude\tEr is geld van mijn rekening gehaald dat ik niet ken\n"}})
	if strings.Contains(w.Header().Get("Set-Cookie"), "error") || !strings.Contains(w.Header().Get("Set-Cookie"), "flash.examples_imported") {
		t.Errorf("import: cookie %q", w.Header().Get("Set-Cookie"))
	}
	w = f.post(f.carla, "/admin/front/examples", url.Values{"examples": {"zonder tab"}})
	if !strings.Contains(w.Header().Get("Set-Cookie"), "flash.invalid|examples") {
		t.Errorf("a line without a tab: cookie %q", w.Header().Get("Set-Cookie"))
	}
}

// TestSavedRepliesManage: a supervisor creates, edits and deletes a saved
// reply; a refused one is shown again with what was typed.
func TestSavedRepliesManage(t *testing.T) {
	f := newFrontFixture(t)
	ctx := context.Background()
	form := url.Values{"title": {"Bedankt"}, "body": {"Dank je wel, {{contact.first_name}}!"}, "shortcut": {"/retour"},
		"team_id": {itoa(f.team.ID)}, "locale": {"nl"}, "category": {""}}
	w := f.post(f.bram, "/app/replies", form)
	if w.Code == http.StatusSeeOther || !strings.Contains(w.Body.String(), `data-testid="reply-error"`) ||
		!strings.Contains(w.Body.String(), "Dank je wel") {
		t.Fatalf("a taken shortcut: status %d, want the form again with an error", w.Code)
	}
	form.Set("shortcut", "/bedankt")
	if w = f.post(f.bram, "/app/replies", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create: status %d\n%.500s", w.Code, w.Body)
	}
	rs, err := f.front.Replies(ctx, f.anna, "nl")
	if err != nil {
		t.Fatal(err)
	}
	var made *desk.SavedReply
	for i := range rs {
		if rs[i].Shortcut == "/bedankt" {
			made = &rs[i]
		}
	}
	if made == nil {
		t.Fatalf("the new reply is not among Anna's: %+v", rs)
	}
	form.Set("title", "Bedankt!")
	if w = f.post(f.bram, "/app/replies/"+itoa(made.ID), form); w.Code != http.StatusSeeOther {
		t.Fatalf("update: status %d", w.Code)
	}
	r, err := f.front.Reply(ctx, made.ID)
	if err != nil || r.Title != "Bedankt!" || r.AgentID != f.bram.ID {
		t.Errorf("after update: %+v %v", r, err)
	}
	if w = f.post(f.bram, "/app/replies/"+itoa(made.ID)+"/delete", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("delete: status %d", w.Code)
	}
	if _, err := f.front.Reply(ctx, made.ID); err == nil {
		t.Errorf("the reply is still there")
	}
}
