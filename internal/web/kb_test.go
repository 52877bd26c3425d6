package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/testenv"
)

// kbFixture runs the knowledge-base pages on a real store with the real
// kb.Service, filled with a small Dutch and English knowledge base.
type kbFixture struct {
	mux   *http.ServeMux
	st    desk.Store
	kb    *kb.Service
	anna  *desk.Agent // agent, Dutch
	bram  *desk.Agent // supervisor, English
	carla *desk.Agent // admin, English
	// The seeded rows.
	catNL, sectionNL, catEN    *desk.KBCategory
	address, addressEN, manual *desk.Article
	draft                      *desk.Article
}

func newKBFixture(t *testing.T, st desk.Store) *kbFixture {
	t.Helper()
	ctx := context.Background()
	clock := desk.ClockFunc(func() time.Time { return now })
	f := &kbFixture{st: st}
	f.anna = &desk.Agent{Name: "Anna Jansen", Email: "anna@example.nl", Role: desk.RoleAgent, Locale: "nl", PasswordHash: "x"}
	f.bram = &desk.Agent{Name: "Bram de Boer", Email: "bram@example.nl", Role: desk.RoleSupervisor, Locale: "en", PasswordHash: "x"}
	f.carla = &desk.Agent{Name: "Carla Smit", Email: "carla@example.nl", Role: desk.RoleAdmin, Locale: "en", PasswordHash: "x"}
	for _, a := range []*desk.Agent{f.anna, f.bram, f.carla} {
		if err := st.CreateAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	f.kb = kb.New(st, bus.NewLocal(0), clock, nil, kb.Options{})
	if err := f.kb.Load(ctx); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	f.catNL, err = f.kb.CreateCategory(ctx, kb.CategoryInput{Locale: "nl", Name: "Bezorging", Icon: "truck"})
	must(err)
	f.sectionNL, err = f.kb.CreateCategory(ctx, kb.CategoryInput{Locale: "nl", Name: "Adres", ParentID: f.catNL.ID})
	must(err)
	f.catEN, err = f.kb.CreateCategory(ctx, kb.CategoryInput{Locale: "en", Name: "Delivery", TranslationOf: f.catNL.ID})
	must(err)
	long := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
	recent := now.Add(-10 * 24 * time.Hour)
	f.address, err = f.kb.CreateArticle(ctx, f.bram, kb.ArticleInput{Locale: "nl", Title: "Bezorgadres wijzigen",
		Description: "Zo pas je het adres aan.", Questions: []string{"ander adres", "adres veranderen"},
		Body:       "Dat kan **tot verzending**.\n\n1. Open je bestelling\n2. Kies *Adres wijzigen*\n\n<script>alert(1)</script>",
		CategoryID: f.sectionNL.ID, Status: desk.ArticlePublished, Contexts: []string{"url:/checkout"}, ReviewedAt: &long})
	must(err)
	f.addressEN, err = f.kb.CreateArticle(ctx, f.bram, kb.ArticleInput{Locale: "en", Title: "Change the delivery address",
		Body: "You can until the parcel ships.", CategoryID: f.catEN.ID, Status: desk.ArticlePublished,
		TranslationOf: f.address.ID, ReviewedAt: &recent})
	must(err)
	f.manual, err = f.kb.CreateArticle(ctx, f.carla, kb.ArticleInput{Locale: "nl", Title: "Retouren handmatig verwerken",
		Body: "Alleen voor medewerkers: zet de retour in het magazijnsysteem.", Status: desk.ArticlePublished, Internal: true,
		Related: []int64{f.address.GroupID}})
	must(err)
	f.draft, err = f.kb.CreateArticle(ctx, f.bram, kb.ArticleInput{Locale: "nl", Title: "Cadeaubon gebruiken", Body: "Nog schrijven."})
	must(err)
	// What customers did: a search without results, one with, and votes.
	for _, q := range []string{"factuur kwijt", "factuur kwijt", "bezorgadres"} {
		_, err := f.kb.Search(ctx, kb.SearchRequest{Query: q, Locale: "nl", Source: desk.SourceHelpCenter,
			Visitor: kb.Visitor{IP: "192.0.2.10"}})
		must(err)
	}
	must(f.kb.Feedback(ctx, kb.FeedbackInput{ArticleID: f.address.ID, Helpful: false, Comment: "Mijn bestelling is al <b>onderweg</b>",
		Visitor: kb.Visitor{IP: "192.0.2.1"}}))
	must(f.kb.Feedback(ctx, kb.FeedbackInput{ArticleID: f.address.ID, Helpful: true, Visitor: kb.Visitor{IP: "198.51.100.1"}}))

	loc, err := time.LoadLocation("Europe/Amsterdam")
	must(err)
	h, err := New(Deps{Store: st, Conversations: &fakeConversations{}, Auth: &fakeAuth{}, KB: f.kb, Clock: clock, Location: loc})
	must(err)
	f.mux = http.NewServeMux()
	h.Routes(f.mux)
	return f
}

func (f *kbFixture) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w
}

func (f *kbFixture) get(t *testing.T, a *desk.Agent, target string) string {
	t.Helper()
	w := f.do(request(http.MethodGet, target, a, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200\n%s", target, w.Code, w.Body)
	}
	return w.Body.String()
}

func (f *kbFixture) post(a *desk.Agent, target string, form url.Values) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", "csrf-"+a.Email)
	return f.do(request(http.MethodPost, target, a, form))
}

func id(a *desk.Article) string { return strconv.FormatInt(a.ID, 10) }

// newArticleForm is the editor's form for a new article.
func newArticleForm(title, body string) url.Values {
	return url.Values{"title": {title}, "locale": {"nl"}, "body": {body}, "status": {"draft"}, "category_id": {"0"},
		"questions": {"eerste vraag\n\ntweede vraag\n"}, "contexts": {"url:/Checkout/\nlabel:retour"}}
}

func TestKBGoldenPages(t *testing.T) {
	f := newKBFixture(t, testenv.OpenSQLite(t))
	tests := []struct {
		name   string
		who    *desk.Agent
		target string
	}{
		{"kb_list_en.html", f.bram, "/app/kb"},
		{"kb_list_nl.html", f.anna, "/app/kb?locale=nl"},
		{"kb_article_nl.html", f.anna, "/app/kb/articles/" + id(f.address)},
		{"kb_article_en.html", f.carla, "/app/kb/articles/" + id(f.address)},
		{"kb_edit_en.html", f.bram, "/app/kb/articles/" + id(f.address) + "/edit"},
		{"kb_categories_en.html", f.bram, "/app/kb/categories"},
		{"kb_analytics_en.html", f.bram, "/app/kb/analytics?days=7"},
		{"kb_settings_en.html", f.carla, "/app/kb/settings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, []byte(f.get(t, tc.who, tc.target)))
		})
	}
}

// TestKBRoles: agents read and search, supervisors write, admins delete and
// change the search settings; nobody signed in is sent to the login page.
func TestKBRoles(t *testing.T) {
	f := newKBFixture(t, testenv.OpenSQLite(t))
	art := "/app/kb/articles/" + id(f.draft)
	cat := "/app/kb/categories/" + strconv.FormatInt(f.sectionNL.ID, 10)
	type who int
	const (
		nobody who = iota
		agent
		supervisor
		admin
	)
	tests := []struct {
		name   string
		who    who
		method string
		path   string
		form   url.Values
		want   int
	}{
		{"nobody to login", nobody, http.MethodGet, "/app/kb", nil, http.StatusSeeOther},
		{"nobody may not post", nobody, http.MethodPost, "/app/kb/articles", newArticleForm("X", "y"), http.StatusUnauthorized},
		{"agent lists", agent, http.MethodGet, "/app/kb", nil, http.StatusOK},
		{"agent searches", agent, http.MethodGet, "/app/kb?q=adres", nil, http.StatusOK},
		{"agent reads", agent, http.MethodGet, art, nil, http.StatusOK},
		{"agent reads categories", agent, http.MethodGet, "/app/kb/categories", nil, http.StatusOK},
		{"agent may not open the editor", agent, http.MethodGet, "/app/kb/new", nil, http.StatusForbidden},
		{"agent may not edit", agent, http.MethodGet, art + "/edit", nil, http.StatusForbidden},
		{"agent may not create", agent, http.MethodPost, "/app/kb/articles", newArticleForm("X", "y"), http.StatusForbidden},
		{"agent may not save", agent, http.MethodPost, art, newArticleForm("X", "y"), http.StatusForbidden},
		{"agent may not publish", agent, http.MethodPost, art + "/status", url.Values{"status": {"published"}}, http.StatusForbidden},
		{"agent may not restore", agent, http.MethodPost, art + "/revisions/1/restore", nil, http.StatusForbidden},
		{"agent may not preview", agent, http.MethodPost, "/app/kb/preview", url.Values{"body": {"x"}}, http.StatusForbidden},
		{"agent may not add a category", agent, http.MethodPost, "/app/kb/categories", url.Values{"locale": {"nl"}, "name": {"X"}}, http.StatusForbidden},
		{"agent may not see analytics", agent, http.MethodGet, "/app/kb/analytics", nil, http.StatusForbidden},
		{"agent may not draft", agent, http.MethodPost, "/app/kb/analytics/draft", url.Values{"query": {"x"}}, http.StatusForbidden},
		{"supervisor may not delete", supervisor, http.MethodPost, art + "/delete", nil, http.StatusForbidden},
		{"supervisor may not delete a category", supervisor, http.MethodPost, cat + "/delete", nil, http.StatusForbidden},
		{"supervisor may not open settings", supervisor, http.MethodGet, "/app/kb/settings", nil, http.StatusForbidden},
		{"supervisor may not set synonyms", supervisor, http.MethodPost, "/app/kb/settings/synonyms", url.Values{"synonyms": {"a = b"}}, http.StatusForbidden},
		{"supervisor publishes", supervisor, http.MethodPost, art + "/status", url.Values{"status": {"published"}}, http.StatusSeeOther},
		{"admin deletes", admin, http.MethodPost, art + "/delete", nil, http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := map[who]*desk.Agent{agent: f.anna, supervisor: f.bram, admin: f.carla}[tc.who]
			var w *httptest.ResponseRecorder
			switch {
			case tc.method == http.MethodGet:
				w = f.do(request(tc.method, tc.path, a, nil))
			case a == nil:
				w = f.do(request(tc.method, tc.path, nil, tc.form))
			default:
				w = f.post(a, tc.path, tc.form)
			}
			if w.Code != tc.want {
				t.Fatalf("status = %d, want %d", w.Code, tc.want)
			}
			if tc.who == nobody && tc.method == http.MethodGet && !strings.HasPrefix(w.Header().Get("Location"), "/login") {
				t.Errorf("Location = %q, want the login page", w.Header().Get("Location"))
			}
		})
	}
	// Nothing a refused request asked for happened.
	n, err := f.kb.CountArticles(context.Background(), desk.ArticleQuery{})
	if err != nil || n != 3 {
		t.Errorf("articles = %d, %v; want 3 (four seeded, one deleted by the admin)", n, err)
	}
}

func TestKBCSRF(t *testing.T) {
	f := newKBFixture(t, testenv.OpenSQLite(t))
	art := "/app/kb/articles/" + id(f.draft)
	for _, path := range []string{"/app/kb/articles", art, art + "/status", art + "/delete", "/app/kb/categories",
		"/app/kb/analytics/draft", "/app/kb/settings/synonyms", "/app/kb/settings/theme", "/app/kb/preview"} {
		for _, token := range []string{"", "csrf-someone-else"} {
			form := newArticleForm("Nieuw", "x")
			form.Set("status", "published")
			form.Set("query", "iets")
			form.Set("synonyms", "a = b")
			form.Set("name", "X")
			if token != "" {
				form.Set("csrf_token", token)
			}
			if w := f.do(request(http.MethodPost, path, f.carla, form)); w.Code != http.StatusForbidden {
				t.Errorf("POST %s with token %q: status %d, want 403", path, token, w.Code)
			}
		}
	}
	n, _ := f.kb.CountArticles(context.Background(), desk.ArticleQuery{})
	syn, _ := f.kb.Synonyms(context.Background())
	if n != 4 || len(syn) != 0 {
		t.Errorf("after refused posts: %d articles, synonyms %v; want 4 and none", n, syn)
	}
	if d, _ := f.kb.Article(context.Background(), f.draft.ID); d.Status != desk.ArticleDraft {
		t.Errorf("the draft is %s after refused posts", d.Status)
	}
}

var locationID = regexp.MustCompile(`^/app/kb/articles/(\d+)`)

// TestKBAuthoring writes an article through the pages on every store:
// create, edit, publish, see the history, restore.
func TestKBAuthoring(t *testing.T) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) {
			f := newKBFixture(t, o.Open(t))
			ctx := context.Background()
			w := f.post(f.bram, "/app/kb/articles", newArticleForm("Pakket kwijt", "Eerste versie."))
			if w.Code != http.StatusSeeOther {
				t.Fatalf("create: status %d\n%s", w.Code, w.Body)
			}
			m := locationID.FindStringSubmatch(w.Header().Get("Location"))
			if m == nil {
				t.Fatalf("create redirects to %q, want the article", w.Header().Get("Location"))
			}
			aid, _ := strconv.ParseInt(m[1], 10, 64)
			a, err := f.kb.Article(ctx, aid)
			if err != nil {
				t.Fatal(err)
			}
			if a.Slug != "pakket-kwijt" || a.Status != desk.ArticleDraft || a.AuthorID != f.bram.ID ||
				!slices.Equal(a.Questions, []string{"eerste vraag", "tweede vraag"}) ||
				!slices.Equal(a.Contexts, []string{"url:/checkout", "label:retour"}) {
				t.Errorf("created %+v", a)
			}

			edit := f.get(t, f.bram, "/app/kb/articles/"+m[1]+"/edit")
			if !strings.Contains(edit, `name="revision" value="1"`) || !strings.Contains(edit, "Eerste versie.") {
				t.Errorf("the editor lacks the revision or the body:\n%s", edit)
			}
			form := newArticleForm("Pakket kwijt", "Tweede versie.")
			form.Set("revision", "1")
			form.Set("note", "duidelijker")
			form.Set("related", id(f.addressEN)) // any translation: stored as its group
			form.Set("reviewed", "1")
			if w := f.post(f.bram, "/app/kb/articles/"+m[1], form); w.Code != http.StatusSeeOther {
				t.Fatalf("save: status %d\n%s", w.Code, w.Body)
			}
			if w := f.post(f.bram, "/app/kb/articles/"+m[1]+"/status", url.Values{"status": {"published"}}); w.Code != http.StatusSeeOther {
				t.Fatalf("publish: status %d", w.Code)
			}
			a, _ = f.kb.Article(ctx, aid)
			if a.Status != desk.ArticlePublished || a.Body != "Tweede versie." || a.Revision != 3 ||
				!slices.Equal(a.Related, []int64{f.address.GroupID}) || a.ReviewedAt == nil {
				t.Errorf("after save and publish: %+v", a)
			}

			page := f.get(t, f.anna, "/app/kb/articles/"+m[1])
			for _, want := range []string{`data-number="3"`, `data-number="2"`, `data-number="1"`, "duidelijker",
				`href="/help/nl/a/pakket-kwijt"`, "Tweede versie."} {
				if !strings.Contains(page, want) {
					t.Errorf("the article page lacks %q", want)
				}
			}
			if strings.Contains(page, "/restore") {
				t.Error("an agent sees restore buttons")
			}

			// Restoring the first revision brings its body back as revision 4.
			if w := f.post(f.bram, "/app/kb/articles/"+m[1]+"/revisions/1/restore", nil); w.Code != http.StatusSeeOther {
				t.Fatalf("restore: status %d", w.Code)
			}
			a, _ = f.kb.Article(ctx, aid)
			if a.Body != "Eerste versie." || a.Revision != 4 {
				t.Errorf("after restore: body %q revision %d", a.Body, a.Revision)
			}

			// An editor opened at revision 1 may not overwrite revision 4.
			w = f.post(f.bram, "/app/kb/articles/"+m[1], form)
			if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), `data-testid="kb-error"`) {
				t.Errorf("stale save: status %d, want 409 with the error shown", w.Code)
			}
		})
	}
}

func TestKBValidationKeepsInput(t *testing.T) {
	f := newKBFixture(t, testenv.OpenSQLite(t))
	tests := []struct {
		name       string
		form       func() url.Values
		wantStatus int
		wantError  string
	}{
		{"no title", func() url.Values { return newArticleForm("", "Mijn <tekst> blijft") }, http.StatusUnprocessableEntity, "an article needs a title"},
		{"bad slug", func() url.Values {
			v := newArticleForm("Titel", "Mijn <tekst> blijft")
			v.Set("slug", "Geen Slug!")
			return v
		}, http.StatusUnprocessableEntity, "use lower-case letters"},
		{"slug taken", func() url.Values {
			v := newArticleForm("Titel", "Mijn <tekst> blijft")
			v.Set("slug", f.address.Slug)
			return v
		}, http.StatusConflict, "already exists"},
		{"unknown related article", func() url.Values {
			v := newArticleForm("Titel", "Mijn <tekst> blijft")
			v.Set("related", "99999")
			return v
		}, http.StatusUnprocessableEntity, "related: no article 99999"},
		{"translation exists", func() url.Values {
			v := newArticleForm("Titel", "Mijn <tekst> blijft")
			v.Set("locale", "en")
			v.Set("translation_of", id(f.address))
			return v
		}, http.StatusConflict, "already has a en translation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.post(f.bram, "/app/kb/articles", tc.form())
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d\n%s", w.Code, tc.wantStatus, w.Body)
			}
			body := w.Body.String()
			if !strings.Contains(body, `data-testid="kb-error"`) || !strings.Contains(body, tc.wantError) {
				t.Errorf("the form does not show %q", tc.wantError)
			}
			if !strings.Contains(body, "Mijn &lt;tekst&gt; blijft</textarea>") || !strings.Contains(body, "label:retour") {
				t.Error("the author's input is gone")
			}
		})
	}
	if n, _ := f.kb.CountArticles(context.Background(), desk.ArticleQuery{}); n != 4 {
		t.Errorf("articles = %d after refused saves, want 4", n)
	}
}

func TestKBPreview(t *testing.T) {
	f := newKBFixture(t, testenv.OpenSQLite(t))
	form := newArticleForm("Voorbeeld", "## Kop\n\nTekst <script>alert(1)</script>")
	form.Set("id", id(f.draft))
	// With the script: only the rendered body.
	w := f.post(f.bram, "/app/kb/preview?fragment=1", form)
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "<h2") || strings.Contains(body, "<script>") || strings.Contains(body, "<form") {
		t.Errorf("fragment: status %d\n%s", w.Code, body)
	}
	// Without: the editor, still posting to the article, with the preview.
	w = f.post(f.bram, "/app/kb/preview", form)
	body = w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `action="/app/kb/articles/`+id(f.draft)+`"`) ||
		!strings.Contains(body, "<h2") || !strings.Contains(body, `value="Voorbeeld"`) {
		t.Errorf("page: status %d\n%s", w.Code, body)
	}
	if a, _ := f.kb.Article(context.Background(), f.draft.ID); a.Title != "Cadeaubon gebruiken" {
		t.Errorf("a preview saved the article: %q", a.Title)
	}
}

func TestKBTranslation(t *testing.T) {
	f := newKBFixture(t, testenv.OpenSQLite(t))
	page := f.get(t, f.bram, "/app/kb/new?translation_of="+id(f.draft)+"&locale=en")
	if !strings.Contains(page, `name="translation_of" value="`+id(f.draft)+`"`) || !strings.Contains(page, `<option value="en" selected>`) {
		t.Fatalf("the translation editor lacks the link or the locale:\n%s", page)
	}
	form := newArticleForm("Using a gift card", "To write.")
	form.Set("locale", "en")
	form.Set("translation_of", id(f.draft))
	if w := f.post(f.bram, "/app/kb/articles", form); w.Code != http.StatusSeeOther {
		t.Fatalf("create translation: status %d\n%s", w.Code, w.Body)
	}
	tr, err := f.kb.Translations(context.Background(), f.draft, false)
	if err != nil || len(tr) != 1 || tr[0].Locale != "en" || tr[0].Title != "Using a gift card" {
		t.Errorf("translations = %+v, %v", tr, err)
	}
}

func TestKBDraftFromAnalytics(t *testing.T) {
	f := newKBFixture(t, testenv.OpenSQLite(t))
	page := f.get(t, f.bram, "/app/kb/analytics?locale=nl")
	if !strings.Contains(page, `<input type="hidden" name="query" value="factuur kwijt">`) {
		t.Fatalf("the content gap is not offered as a draft:\n%s", page)
	}
	w := f.post(f.bram, "/app/kb/analytics/draft", url.Values{"query": {"factuur kwijt"}, "locale": {"nl"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("status %d", w.Code)
	}
	m := regexp.MustCompile(`^/app/kb/articles/(\d+)/edit$`).FindStringSubmatch(w.Header().Get("Location"))
	if m == nil {
		t.Fatalf("redirect to %q, want the new draft's editor", w.Header().Get("Location"))
	}
	aid, _ := strconv.ParseInt(m[1], 10, 64)
	a, err := f.kb.Article(context.Background(), aid)
	if err != nil || a.Status != desk.ArticleDraft || a.Title != "Factuur kwijt" || a.Locale != "nl" ||
		!slices.Equal(a.Questions, []string{"factuur kwijt"}) {
		t.Errorf("draft = %+v, %v", a, err)
	}
	// An empty query is refused without a draft.
	if w := f.post(f.bram, "/app/kb/analytics/draft", url.Values{"query": {" "}}); w.Code != http.StatusSeeOther ||
		!strings.HasPrefix(w.Header().Get("Location"), "/app/kb/analytics") {
		t.Errorf("empty query: %d to %q", w.Code, w.Header().Get("Location"))
	}
	if n, _ := f.kb.CountArticles(context.Background(), desk.ArticleQuery{}); n != 5 {
		t.Errorf("articles = %d, want 5", n)
	}
}

func TestKBSettings(t *testing.T) {
	f := newKBFixture(t, testenv.OpenSQLite(t))
	ctx := context.Background()
	text := "# groups\nretour = terugsturen = return\nfiets, rijwiel\n"
	if w := f.post(f.carla, "/app/kb/settings/synonyms", url.Values{"synonyms": {text}}); w.Code != http.StatusSeeOther {
		t.Fatalf("synonyms: status %d", w.Code)
	}
	got, err := f.kb.Synonyms(ctx)
	want := [][]string{{"retour", "terugsturen", "return"}, {"fiets", "rijwiel"}}
	if err != nil || len(got) != 2 || !slices.Equal(got[0], want[0]) || !slices.Equal(got[1], want[1]) {
		t.Errorf("synonyms = %v, %v; want %v", got, err, want)
	}
	page := f.get(t, f.carla, "/app/kb/settings")
	if !strings.Contains(page, "retour = terugsturen = return\nfiets = rijwiel\n</textarea>") {
		t.Errorf("the settings page does not show the synonyms one group a line")
	}

	if w := f.post(f.carla, "/app/kb/settings/pins", url.Values{"context": {"URL:/Checkout"}, "locale": {"nl"},
		"articles": {id(f.addressEN) + ", " + id(f.manual)}}); w.Code != http.StatusSeeOther {
		t.Fatalf("pins: status %d", w.Code)
	}
	pins, err := f.kb.Pins(ctx, "url:/checkout", "nl")
	if err != nil || !slices.Equal(pins, []int64{f.address.GroupID, f.manual.GroupID}) {
		t.Errorf("pins = %v, %v", pins, err)
	}

	theme := url.Values{"name": {"Fietsenwinkel"}, "primary_color": {"#aa3300"}, "logo_url": {"/logo.png"},
		"contact_url": {"https://shop.example/contact"}, "footer": {"KvK 123"}, "links": {"Winkel | https://shop.example\nBlog|/blog"}}
	if w := f.post(f.carla, "/app/kb/settings/theme", theme); w.Code != http.StatusSeeOther {
		t.Fatalf("theme: status %d", w.Code)
	}
	th, err := f.kb.Theme(ctx)
	if err != nil || th.Name != "Fietsenwinkel" || th.PrimaryColor != "#aa3300" || len(th.Links) != 2 || th.Links[1] != (kb.Link{Label: "Blog", URL: "/blog"}) {
		t.Errorf("theme = %+v, %v", th, err)
	}
	// A bad colour is refused and the theme stays.
	theme.Set("primary_color", "red")
	w := f.post(f.carla, "/app/kb/settings/theme", theme)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/app/kb/settings" {
		t.Errorf("bad theme: %d to %q", w.Code, w.Header().Get("Location"))
	}
	if th, _ := f.kb.Theme(ctx); th.PrimaryColor != "#aa3300" {
		t.Errorf("a refused theme changed the colour to %q", th.PrimaryColor)
	}
}

func TestKBCategories(t *testing.T) {
	f := newKBFixture(t, testenv.OpenSQLite(t))
	ctx := context.Background()
	w := f.post(f.bram, "/app/kb/categories", url.Values{"locale": {"en"}, "name": {"Address"}, "parent_id": {strconv.FormatInt(f.catEN.ID, 10)},
		"translation_of": {strconv.FormatInt(f.sectionNL.ID, 10)}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: status %d", w.Code)
	}
	cats, _ := f.kb.Categories(ctx, "en")
	i := slices.IndexFunc(cats, func(c desk.KBCategory) bool { return c.Name == "Address" })
	if i < 0 || cats[i].GroupID != f.sectionNL.GroupID || cats[i].ParentID != f.catEN.ID {
		t.Fatalf("categories = %+v", cats)
	}
	path := "/app/kb/categories/" + strconv.FormatInt(cats[i].ID, 10)
	if w := f.post(f.bram, path, url.Values{"name": {"Addresses"}, "slug": {"addresses"}, "parent_id": {strconv.FormatInt(f.catEN.ID, 10)}}); w.Code != http.StatusSeeOther {
		t.Fatalf("update: status %d", w.Code)
	}
	if c, _ := f.kb.Category(ctx, cats[i].ID); c.Name != "Addresses" || c.Slug != "addresses" {
		t.Errorf("after update: %+v", c)
	}
	// A category with articles cannot go.
	full := "/app/kb/categories/" + strconv.FormatInt(f.sectionNL.ID, 10)
	if w := f.post(f.carla, full+"/delete", nil); w.Header().Get("Location") != full {
		t.Errorf("deleting a full category went to %q", w.Header().Get("Location"))
	}
	if w := f.post(f.carla, path+"/delete", nil); w.Header().Get("Location") != "/app/kb/categories" {
		t.Errorf("deleting an empty category went to %q", w.Header().Get("Location"))
	}
	if _, err := f.kb.Category(ctx, cats[i].ID); err == nil {
		t.Error("the empty category is still there")
	}
	// The page offers a translation of the English category-less Dutch section.
	page := f.get(t, f.anna, "/app/kb/categories")
	if !strings.Contains(page, `data-testid="kb-category" data-id="`+strconv.FormatInt(f.sectionNL.ID, 10)+`"`) || strings.Contains(page, `action="/app/kb/categories"`) {
		t.Error("an agent sees no tree, or the add form")
	}
}

func TestKBListFilters(t *testing.T) {
	f := newKBFixture(t, testenv.OpenSQLite(t))
	rows := regexp.MustCompile(`data-testid="kb-row" data-id="(\d+)"`)
	ids := func(page string) []string {
		var out []string
		for _, m := range rows.FindAllStringSubmatch(page, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	tests := []struct {
		name, query string
		want        []string
	}{
		{"all", "", sorted(id(f.address), id(f.addressEN), id(f.manual), id(f.draft))},
		{"english", "locale=en", []string{id(f.addressEN)}},
		{"drafts", "status=draft", []string{id(f.draft)}},
		{"category with its sections", "category=" + strconv.FormatInt(f.catNL.ID, 10), []string{id(f.address)}},
		{"search finds internal articles", "q=magazijnsysteem", []string{id(f.manual)}},
		{"search in a category", "q=delivery+address&category=" + strconv.FormatInt(f.catEN.ID, 10), []string{id(f.addressEN)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(f.get(t, f.anna, "/app/kb?"+tc.query))
			if !slices.Equal(got, tc.want) {
				t.Errorf("rows = %v, want %v", got, tc.want)
			}
		})
	}
	// Agents' searches stay out of the customers' analytics.
	a, err := f.kb.Analytics(context.Background(), desk.StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range a.TopQueries {
		if q.Query == "magazijnsysteem" || q.Query == "adres" {
			t.Errorf("an agent's search %q was logged", q.Query)
		}
	}
}

func TestKBConversationSearch(t *testing.T) {
	f := newKBFixture(t, testenv.OpenSQLite(t))
	w := f.do(request(http.MethodGet, "/app/fragments/kb-search?q=bezorgadres", f.anna, nil))
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `data-kb-insert="Bezorgadres wijzigen&#10;http://example.com/help/nl/a/bezorgadres-wijzigen"`) {
		t.Errorf("fragment: status %d\n%s", w.Code, body)
	}
	w = f.do(request(http.MethodGet, "/app/fragments/kb-search?q=magazijnsysteem", f.anna, nil))
	if body := w.Body.String(); !strings.Contains(body, "Retouren handmatig verwerken") || strings.Contains(body, "data-kb-insert") {
		t.Errorf("an internal article: shown with an insert button, or not at all\n%s", body)
	}
	if w := f.do(request(http.MethodGet, "/app/fragments/kb-search?q=x", nil, nil)); w.Code != http.StatusUnauthorized {
		t.Errorf("fragment without a session: %d, want 401", w.Code)
	}

	// Without the script the panel's form reloads the conversation page
	// with the results in it.
	ctx := context.Background()
	inbox := &desk.Inbox{Name: "Site", Channel: desk.ChannelWebChat, PublicKey: "site", Settings: map[string]string{}}
	if err := f.st.CreateInbox(ctx, inbox); err != nil {
		t.Fatal(err)
	}
	convs := conversation.New(f.st, bus.NewLocal(0), desk.ClockFunc(func() time.Time { return now }), nil, conversation.Options{})
	res, err := convs.Ingest(ctx, desk.Inbound{InboxID: inbox.ID, ExternalID: "m1",
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, Body: "Kan ik mijn adres nog wijzigen?"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/app/conversations/" + strconv.FormatInt(res.Conversation.ID, 10)
	page := f.get(t, f.anna, path)
	if !strings.Contains(page, `data-kb-panel`) || strings.Contains(page, `data-testid="kb-hit"`) {
		t.Error("the conversation page lacks the knowledge-base form, or shows results unasked")
	}
	page = f.get(t, f.anna, path+"?kbq=bezorgadres")
	if !strings.Contains(page, `data-testid="kb-hit" data-id="`+id(f.address)+`"`) || !strings.Contains(page, `value="bezorgadres"`) {
		t.Errorf("the conversation page does not show the search's results:\n%s", page)
	}
}

// TestKBWithoutService: a handler without a knowledge base hides it.
func TestKBWithoutService(t *testing.T) {
	f := newFixture(t)
	if w := f.do(request(http.MethodGet, "/app/kb", f.carla, nil)); w.Code != http.StatusNotFound {
		t.Errorf("/app/kb without KB: %d, want 404", w.Code)
	}
	if page := f.do(request(http.MethodGet, "/app/conversations/40", f.anna, nil)).Body.String(); strings.Contains(page, "/app/kb") {
		t.Error("the conversation page links to a knowledge base that is not there")
	}
}

// TestKBCatalogueKeys: the keys the kb pages build at run time.
func TestKBCatalogueKeys(t *testing.T) {
	cats, err := loadCatalogs(localeFS)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range articleStatuses {
		keys = append(keys, "kb.status."+string(s), "kb.to."+string(s), statusFlash[s])
	}
	for _, l := range kb.Locales {
		keys = append(keys, "kb.lang."+l)
	}
	for _, k := range keys {
		for lang, c := range cats {
			if _, ok := c[k]; !ok {
				t.Errorf("key %q missing from %s", k, lang)
			}
		}
	}
}
