package helpcenter

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
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

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// hostileTitle is an author's title that tries to break out of every
// context it lands in.
const hostileTitle = `Retour </script><script>alert(1)</script>`

// fixture is a help center on a real store with a small knowledge base.
type fixture struct {
	st    desk.Store
	kb    *kb.Service
	flows *flow.Service
	front *front.Service
	conv  *conversation.Service
	clock *testClock
	h     *Handler
	mux   *http.ServeMux

	adres, address, betalen, draft, internal, hostile *desk.Article
	// pakket has an English translation, parcel; concept is a draft.
	pakket, parcel, concept *desk.Flow
	inbox                   *desk.Inbox
}

// hostileMessage is a flow message that tries to run a script.
const hostileMessage = "Kijk ook bij de **buren**. <script>alert(7)</script>"

// pakketFlow is the Dutch flow: a question whose first option shows the
// address article (yes: solved, no: hand-over) and whose second asks an
// order number, says something and ends solved.
func pakketFlow(articleGroup int64) string {
	return fmt.Sprintf(`{"start":"kind","steps":[
 {"id":"kind","kind":"question","text":"Wat is er aan de hand?","options":[
   {"label":"Ik ben verhuisd","next":"adres"},{"label":"Iets anders","next":"order"}]},
 {"id":"adres","kind":"article","article":%d,"text":"Lees eerst dit artikel.","next":"agent"},
 {"id":"order","kind":"input","text":"Wat is je ordernummer?","pattern":"[0-9]{5}","next":"tip"},
 {"id":"tip","kind":"message","text":%q,"next":"done"},
 {"id":"done","kind":"end","outcome":"solved"},
 {"id":"agent","kind":"end","outcome":"handover","text":"Een collega helpt je verder."}]}`, articleGroup, hostileMessage)
}

func newFixture(t *testing.T, open func(testing.TB) desk.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	st := open(t)
	f := &fixture{st: st, clock: &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}}
	f.kb = kb.New(st, bus.NewLocal(0), f.clock, nil, kb.Options{})
	agent := &desk.Agent{Email: "auteur@example.nl", Name: "Auteur", Role: desk.RoleSupervisor, Locale: "nl",
		PasswordHash: "x", Availability: desk.Online}
	if err := st.CreateAgent(ctx, agent); err != nil {
		t.Fatal(err)
	}
	if err := f.kb.SetTheme(ctx, kb.Theme{Name: "Fietsen & Co", PrimaryColor: "#0a7d3b",
		Links: []kb.Link{{Label: "Webshop", URL: "https://fietsen.example.nl"}}, Footer: "© Fietsen & Co"}); err != nil {
		t.Fatal(err)
	}
	cat := func(in kb.CategoryInput) *desk.KBCategory {
		t.Helper()
		c, err := f.kb.CreateCategory(ctx, in)
		if err != nil {
			t.Fatalf("CreateCategory(%q): %v", in.Name, err)
		}
		return c
	}
	bestellen := cat(kb.CategoryInput{Locale: "nl", Name: "Bestellen", Description: "Alles over je bestelling"})
	betalenSec := cat(kb.CategoryInput{Locale: "nl", Name: "Betalen", ParentID: bestellen.ID})
	ordering := cat(kb.CategoryInput{Locale: "en", Name: "Ordering", TranslationOf: bestellen.ID})
	cat(kb.CategoryInput{Locale: "nl", Name: "Leeg"}) // no articles: not on the home, not in the sitemap

	art := func(in kb.ArticleInput) *desk.Article {
		t.Helper()
		if in.Status == "" {
			in.Status = desk.ArticlePublished
		}
		a, err := f.kb.CreateArticle(ctx, agent, in)
		if err != nil {
			t.Fatalf("CreateArticle(%q): %v", in.Title, err)
		}
		return a
	}
	f.adres = art(kb.ArticleInput{Locale: "nl", Title: "Adres wijzigen", CategoryID: bestellen.ID,
		Description: "Zo wijzig je het bezorgadres van je bestelling.",
		Questions:   []string{"verhuisd", "ander bezorgadres"},
		Body: "Je kunt je adres wijzigen zolang de bestelling niet is verzonden.\n\n" +
			"## In je account\n\nGa naar Mijn account.\n\n## Via de klantenservice\n\nBel ons.\n\n## Na verzending\n\nDan kan het niet meer.\n"})
	f.address = art(kb.ArticleInput{Locale: "en", Title: "Change your address", Slug: "change-address",
		CategoryID: ordering.ID, TranslationOf: f.adres.ID, Body: "You can change your delivery address before we ship."})
	f.betalen = art(kb.ArticleInput{Locale: "nl", Title: "Betaalmethoden", CategoryID: betalenSec.ID,
		Body: "Je betaalt met iDEAL, creditcard of achteraf.", Related: []int64{f.adres.GroupID}})
	f.draft = art(kb.ArticleInput{Locale: "nl", Title: "Concept over adres", Slug: "concept", Status: desk.ArticleDraft,
		Body: "Nog niet af: adres."})
	f.internal = art(kb.ArticleInput{Locale: "nl", Title: "Intern adresbeleid", Slug: "intern", Internal: true,
		Body: "Alleen voor medewerkers: adres."})
	f.hostile = art(kb.ArticleInput{Locale: "nl", Title: hostileTitle, Slug: "retour",
		Description: `</script><script>alert(2)</script> "quotes" & <b>tags</b>`,
		Body:        "Retourneren kan binnen 30 dagen. <script>alert(3)</script>\n"})
	// The adres article links back to betalen once betalen exists.
	in := kb.ArticleInput{Locale: "nl", Title: f.adres.Title, Slug: f.adres.Slug, Description: f.adres.Description,
		Questions: f.adres.Questions, Body: f.adres.Body, CategoryID: f.adres.CategoryID, Status: desk.ArticlePublished,
		Related: []int64{f.betalen.GroupID}, Reviewed: true}
	var err error
	if f.adres, err = f.kb.UpdateArticle(ctx, agent, f.adres.ID, in); err != nil {
		t.Fatal(err)
	}
	if err := f.kb.Load(ctx); err != nil {
		t.Fatal(err)
	}
	f.addFront(t, agent)
	f.h, err = New(f.deps())
	if err != nil {
		t.Fatal(err)
	}
	f.mux = http.NewServeMux()
	f.h.Routes(f.mux)
	return f
}

// addFront adds flows, the classifier, conversations and an inbox.
func (f *fixture) addFront(t *testing.T, agent *desk.Agent) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	f.conv = conversation.New(f.st, bus.NewLocal(0), f.clock, log, conversation.Options{})
	f.flows = flow.New(f.st, f.clock, flow.Options{Articles: f.kb})
	f.front = front.New(f.st, f.conv, f.clock, log, front.Options{})
	if err := f.front.Retrain(ctx); err != nil {
		t.Fatal(err)
	}
	f.inbox = &desk.Inbox{Name: "Helpcentrum", Channel: desk.ChannelEmail, PublicKey: "pk_help", CreatedAt: f.clock.Now()}
	if err := f.st.CreateInbox(ctx, f.inbox); err != nil {
		t.Fatal(err)
	}
	publish := func(in flow.Input, publish bool) *desk.Flow {
		t.Helper()
		fl, err := f.flows.Create(ctx, in)
		if err != nil {
			t.Fatalf("create flow %q: %v", in.Title, err)
		}
		if publish {
			if fl, err = f.flows.Publish(ctx, agent, fl.ID); err != nil {
				t.Fatalf("publish flow %q: %v", in.Title, err)
			}
		}
		return fl
	}
	f.pakket = publish(flow.Input{Locale: "nl", Title: "Pakket niet bezorgd",
		Description: "Hulp als je pakket niet is aangekomen of je adres is veranderd.",
		Definition:  pakketFlow(f.adres.GroupID)}, true)
	f.parcel = publish(flow.Input{Locale: "en", Title: "Parcel not delivered", Slug: "parcel-not-delivered",
		TranslationOf: f.pakket.ID}, true)
	f.concept = publish(flow.Input{Locale: "nl", Title: "Concept stappenplan", Slug: "concept-stappenplan"}, false)
}

// deps are the help center's dependencies on the fixture.
func (f *fixture) deps() Deps {
	return Deps{KB: f.kb, Clock: f.clock, BaseURL: "https://help.example.com/", Flows: f.flows, Front: f.front,
		Visits: f.st, Settings: f.st, Conversations: f.conv}
}

// forEachStore runs fn on SQLite and, when configured, PostgreSQL.
func forEachStore(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) { fn(t, newFixture(t, o.Open)) })
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request from the client 192.0.2.10 unless headers say
// otherwise ("RemoteAddr" is taken as the address).
func (f *fixture) do(t *testing.T, method, target string, form url.Values, headers map[string]string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	req.RemoteAddr = "192.0.2.10:5555"
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		switch k {
		case "RemoteAddr":
			req.RemoteAddr = v
			continue
		case "Host":
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.mux.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Result().Header, body: rec.Body.String()}
}

func (f *fixture) get(t *testing.T, target string) response {
	t.Helper()
	return f.do(t, http.MethodGet, target, nil, nil)
}
