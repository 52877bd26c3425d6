package webchat

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
)

// helpArticles are a public article for the checkout, an English one, an
// internal one and a draft that all match "retour".
type helpArticles struct {
	public, english, internal, draft *desk.Article
}

func (e *env) helpArticles() helpArticles {
	e.t.Helper()
	mk := func(in kb.ArticleInput) *desk.Article {
		e.t.Helper()
		if in.Status == "" {
			in.Status = desk.ArticlePublished
		}
		a, err := e.kb.CreateArticle(context.Background(), nil, in)
		if err != nil {
			e.t.Fatalf("CreateArticle(%q): %v", in.Title, err)
		}
		return a
	}
	return helpArticles{
		public: mk(kb.ArticleInput{Locale: "nl", Title: "Retour sturen", Description: "Zo stuur je iets terug.",
			Body:     "## Stappen\n\n1. Pak het in.\n2. Plak het [retourlabel](/help/nl/a/label).\n\n<script>alert(1)</script>\n\n[klik](javascript:alert(1))",
			Contexts: []string{"/checkout"}}),
		english:  mk(kb.ArticleInput{Locale: "en", Title: "Sending a retour", Body: "Pack it, label it.", Contexts: []string{"/checkout"}}),
		internal: mk(kb.ArticleInput{Locale: "nl", Title: "Retour intern: fraudecontrole", Body: "Alleen voor agents.", Internal: true, Contexts: []string{"/checkout"}}),
		draft:    mk(kb.ArticleInput{Locale: "nl", Title: "Retour concept", Body: "Nog niet af.", Status: desk.ArticleDraft, Contexts: []string{"/checkout"}}),
	}
}

func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "?" + v.Encode()
}

func ids(r response) []int64 {
	var out []int64
	items, _ := r.json["items"].([]any)
	for _, it := range items {
		out = append(out, int64(it.(map[string]any)["id"].(float64)))
	}
	return out
}

func TestHelpListsOnlyPublicArticles(t *testing.T) {
	e := newEnv(t)
	arts := e.helpArticles()
	hidden := []int64{arts.internal.ID, arts.draft.ID}
	tests := []struct {
		name   string
		path   string
		want   []int64 // must be among the items
		absent []int64 // must not
	}{
		{"faq of a page below the context", "/widget/api/kb/faq" + query("inbox", inboxKey, "locale", "nl", "context", "/checkout/betalen"),
			[]int64{arts.public.ID}, append(hidden, arts.english.ID)},
		{"faq in english", "/widget/api/kb/faq" + query("inbox", inboxKey, "locale", "en-GB", "context", "/checkout"),
			[]int64{arts.english.ID}, append(hidden, arts.public.ID)},
		{"faq without a context", "/widget/api/kb/faq" + query("inbox", inboxKey, "locale", "nl"),
			[]int64{arts.public.ID}, hidden},
		{"suggest", "/widget/api/kb/suggest" + query("inbox", inboxKey, "locale", "nl", "q", "retou"),
			[]int64{arts.public.ID}, hidden},
		{"suggest nothing typed", "/widget/api/kb/suggest" + query("inbox", inboxKey, "locale", "nl", "q", "  "),
			nil, []int64{arts.public.ID}},
		{"search", "/widget/api/kb/search" + query("inbox", inboxKey, "locale", "nl", "q", "retour", "context", "/checkout"),
			[]int64{arts.public.ID}, append(hidden, arts.english.ID)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.path)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200: %s", r.status, r.raw)
			}
			if r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("no CORS header")
			}
			got := ids(r)
			if got == nil && r.json["items"] == nil {
				t.Errorf("items = null, want a list: %s", r.raw)
			}
			for _, id := range tc.want {
				if !slices.Contains(got, id) {
					t.Errorf("items %v lack article %d", got, id)
				}
			}
			for _, id := range tc.absent {
				if slices.Contains(got, id) {
					t.Errorf("items %v include article %d", got, id)
				}
			}
		})
	}
}

func TestHelpSearchIsLoggedForTheVisitor(t *testing.T) {
	e := newEnv(t)
	arts := e.helpArticles()
	token := e.newVisitor()
	if r := e.say(token, "hallo"); r.status != http.StatusCreated {
		t.Fatalf("message: %d %s", r.status, r.raw)
	}
	c, err := e.st.ContactByIdentity(context.Background(), desk.IdentityVisitor, tokenHash(token))
	if err != nil {
		t.Fatal(err)
	}
	r := e.get("/widget/api/kb/search" + query("inbox", inboxKey, "locale", "nl", "q", "retour sturen", "context", "/checkout?x=1", "token", token))
	if r.status != http.StatusOK {
		t.Fatalf("search: %d %s", r.status, r.raw)
	}
	sid := int64(r.json["search_id"].(float64))
	first := r.json["items"].([]any)[0].(map[string]any)
	if first["title"] != arts.public.Title {
		t.Errorf("first result = %v, want %q", first["title"], arts.public.Title)
	}
	var marked string
	for _, p := range first["snippet"].([]any) {
		if p.(map[string]any)["h"] == true {
			marked += p.(map[string]any)["t"].(string)
		}
	}
	if m := strings.ToLower(marked); !strings.Contains(m, "retour") && !strings.Contains(m, "stuur") {
		t.Errorf("snippet %v marks %q, want the query's words", first["snippet"], marked)
	}

	// Opening the result records the click on the search (and so the
	// search is stored by then, however kb queues its log).
	if r := e.post("/widget/api/kb/click", map[string]any{"inbox": inboxKey, "token": token, "search_id": sid, "article_id": arts.public.ID}); r.status != http.StatusNoContent {
		t.Fatalf("click: %d %s", r.status, r.raw)
	}
	log, err := e.st.SearchLogByID(context.Background(), sid)
	if err != nil {
		t.Fatalf("search log %d: %v", sid, err)
	}
	if log.Source != desk.SourceWidget || log.Context != "url:/checkout" || log.ContactID != c.ID || log.Locale != "nl" {
		t.Errorf("search log = source %q, context %q, contact %d, locale %q; want widget, url:/checkout, %d, nl",
			log.Source, log.Context, log.ContactID, log.Locale, c.ID)
	}
	if log.ClickedArticleID != arts.public.ID {
		t.Errorf("clicked article = %d, want %d", log.ClickedArticleID, arts.public.ID)
	}
}

func TestHelpArticle(t *testing.T) {
	e := newEnv(t)
	arts := e.helpArticles()
	tests := []struct {
		name string
		path string
		want int
	}{
		{"public", "/widget/api/kb/articles/" + itoa(arts.public.ID), http.StatusOK},
		{"internal", "/widget/api/kb/articles/" + itoa(arts.internal.ID), http.StatusNotFound},
		{"draft", "/widget/api/kb/articles/" + itoa(arts.draft.ID), http.StatusNotFound},
		{"unknown", "/widget/api/kb/articles/999999", http.StatusNotFound},
		{"not a number", "/widget/api/kb/articles/retour-sturen", http.StatusNotFound},
		{"negative", "/widget/api/kb/articles/-1", http.StatusNotFound},
		{"overflow", "/widget/api/kb/articles/99999999999999999999999", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.path + query("inbox", inboxKey, "context", "/checkout"))
			if r.status != tc.want {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.want, r.raw)
			}
			if tc.want != http.StatusOK {
				// One answer for every hidden article: ids cannot be probed.
				if r.json["detail"] != "not found" && r.json["title"] == "" {
					t.Errorf("problem = %s", r.raw)
				}
				if strings.Contains(r.raw, "Retour") {
					t.Errorf("a hidden article leaks in the error: %s", r.raw)
				}
			}
		})
	}

	r := e.get("/widget/api/kb/articles/" + itoa(arts.public.ID) + query("inbox", inboxKey, "context", "/checkout"))
	html, _ := r.json["html"].(string)
	if r.json["title"] != arts.public.Title || !strings.Contains(html, "<ol>") || !strings.Contains(html, "retourlabel") {
		t.Errorf("article = %s, want its title and rendered body", r.raw)
	}
	for _, bad := range []string{"<script", "javascript:", "onerror"} {
		if strings.Contains(strings.ToLower(html), bad) {
			t.Errorf("article HTML contains %q: %s", bad, html)
		}
	}
	// Both reads were recorded as views on the checkout page.
	views, err := e.st.ContextViews(context.Background(), "url:/checkout", "nl", time.Now().Add(-time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 1 || views[0].ArticleID != arts.public.ID || views[0].Views != 2 {
		t.Errorf("views in url:/checkout = %+v, want 2 of article %d", views, arts.public.ID)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func TestHelpFeedbackIsStored(t *testing.T) {
	e := newEnv(t)
	arts := e.helpArticles()
	r := e.get("/widget/api/kb/search" + query("inbox", inboxKey, "locale", "nl", "q", "retour"))
	sid := int64(r.json["search_id"].(float64))
	r = e.post("/widget/api/kb/feedback", map[string]any{"inbox": inboxKey, "token": "", "article_id": arts.public.ID,
		"helpful": true, "search_id": sid})
	if r.status != http.StatusNoContent {
		t.Fatalf("feedback: %d %s", r.status, r.raw)
	}
	fb, err := e.st.ListArticleFeedback(context.Background(), arts.public.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(fb) != 1 || !fb[0].Helpful || fb[0].SearchID != sid || fb[0].VisitorKey == "" {
		t.Errorf("feedback = %+v, want one helpful vote from search %d", fb, sid)
	}
	// "Not helpful" is a vote too, not a missing field.
	r = e.post("/widget/api/kb/feedback", map[string]any{"inbox": inboxKey, "article_id": arts.english.ID, "helpful": false})
	if r.status != http.StatusNoContent {
		t.Fatalf("feedback: %d %s", r.status, r.raw)
	}
	if fb, _ := e.st.ListArticleFeedback(context.Background(), arts.english.ID, 10); len(fb) != 1 || fb[0].Helpful {
		t.Errorf("feedback = %+v, want one unhelpful vote", fb)
	}
}

func TestHelpRejectsHostileInput(t *testing.T) {
	e := newEnv(t)
	arts := e.helpArticles()
	long := strings.Repeat("a", maxHelpQuery+1)
	gets := []struct {
		name string
		path string
		want int
	}{
		{"unknown inbox", "/widget/api/kb/faq" + query("inbox", "nope"), http.StatusNotFound},
		{"no inbox", "/widget/api/kb/faq", http.StatusUnprocessableEntity},
		{"email inbox", "/widget/api/kb/search" + query("inbox", "mail-key", "q", "retour"), http.StatusNotFound},
		{"query too long", "/widget/api/kb/search" + query("inbox", inboxKey, "q", long), http.StatusUnprocessableEntity},
		{"suggest too long", "/widget/api/kb/suggest" + query("inbox", inboxKey, "q", long), http.StatusUnprocessableEntity},
		{"query not utf-8", "/widget/api/kb/search?inbox=" + inboxKey + "&q=%ff%fe", http.StatusUnprocessableEntity},
		{"context not a path", "/widget/api/kb/faq" + query("inbox", inboxKey, "context", "segment:zakelijk"), http.StatusUnprocessableEntity},
		{"context with a newline", "/widget/api/kb/faq" + query("inbox", inboxKey, "context", "/a\nb"), http.StatusUnprocessableEntity},
		{"context too long", "/widget/api/kb/search" + query("inbox", inboxKey, "q", "x", "context", "/"+strings.Repeat("a", maxContext)), http.StatusUnprocessableEntity},
		{"malformed token is anonymous", "/widget/api/kb/faq" + query("inbox", inboxKey, "token", "../../etc"), http.StatusOK},
		{"markup in the query is text", "/widget/api/kb/search" + query("inbox", inboxKey, "q", `<img src=x onerror=alert(1)>`), http.StatusOK},
	}
	for _, tc := range gets {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.path)
			if r.status != tc.want {
				t.Errorf("status = %d, want %d: %.300s", r.status, tc.want, r.raw)
			}
			if r.status >= 400 && r.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type = %q, want problem+json", r.header.Get("Content-Type"))
			}
			if strings.Contains(r.raw, "<img") {
				t.Errorf("markup echoed unescaped: %s", r.raw)
			}
		})
	}

	posts := []struct {
		name string
		path string
		body string
		want int
	}{
		{"feedback on an internal article", "feedback", `{"inbox":"` + inboxKey + `","article_id":` + itoa(arts.internal.ID) + `,"helpful":true}`, http.StatusNotFound},
		{"feedback on a draft", "feedback", `{"inbox":"` + inboxKey + `","article_id":` + itoa(arts.draft.ID) + `,"helpful":true}`, http.StatusNotFound},
		{"feedback on no article", "feedback", `{"inbox":"` + inboxKey + `","article_id":0,"helpful":true}`, http.StatusNotFound},
		{"feedback without a vote", "feedback", `{"inbox":"` + inboxKey + `","article_id":` + itoa(arts.public.ID) + `}`, http.StatusUnprocessableEntity},
		{"feedback comment too long", "feedback", `{"inbox":"` + inboxKey + `","article_id":` + itoa(arts.public.ID) + `,"helpful":false,"comment":"` + strings.Repeat("x", kb.MaxComment+1) + `"}`, http.StatusUnprocessableEntity},
		{"feedback unknown field", "feedback", `{"inbox":"` + inboxKey + `","article_id":1,"helpful":true,"weight":100}`, http.StatusBadRequest},
		{"feedback vote not a bool", "feedback", `{"inbox":"` + inboxKey + `","article_id":1,"helpful":"yes"}`, http.StatusBadRequest},
		{"feedback not json", "feedback", `helpful=true`, http.StatusBadRequest},
		{"feedback too large", "feedback", `{"comment":"` + strings.Repeat("x", maxJSON) + `"}`, http.StatusRequestEntityTooLarge},
		{"feedback unknown inbox", "feedback", `{"inbox":"nope","article_id":1,"helpful":true}`, http.StatusNotFound},
		{"feedback negative search", "feedback", `{"inbox":"` + inboxKey + `","article_id":` + itoa(arts.public.ID) + `,"helpful":true,"search_id":-4}`, http.StatusUnprocessableEntity},
		{"click without a search", "click", `{"inbox":"` + inboxKey + `","article_id":` + itoa(arts.public.ID) + `}`, http.StatusUnprocessableEntity},
		{"click on an internal article", "click", `{"inbox":"` + inboxKey + `","search_id":1,"article_id":` + itoa(arts.internal.ID) + `}`, http.StatusNotFound},
		{"click on someone else's search", "click", `{"inbox":"` + inboxKey + `","search_id":987654,"article_id":` + itoa(arts.public.ID) + `}`, http.StatusNoContent},
	}
	for _, tc := range posts {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/widget/api/kb/"+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			r := e.do(req)
			if r.status != tc.want {
				t.Errorf("status = %d, want %d: %.300s", r.status, tc.want, r.raw)
			}
		})
	}
	// None of the rejected votes was stored.
	for _, a := range []*desk.Article{arts.public, arts.internal, arts.draft} {
		if fb, _ := e.st.ListArticleFeedback(context.Background(), a.ID, 10); len(fb) != 0 {
			t.Errorf("article %d has feedback %+v, want none", a.ID, fb)
		}
	}
}

func TestHelpRateLimits(t *testing.T) {
	e := newEnv(t, func(d *Deps) {
		d.Limits = Limits{ClientReads: Rate{Burst: 2, Window: time.Minute}, Inbox: Rate{Burst: 1, Window: time.Minute}}
	})
	path := "/widget/api/kb/suggest" + query("inbox", inboxKey, "q", "re")
	for i := range 2 {
		if r := e.get(path); r.status != http.StatusOK {
			t.Fatalf("read %d: %d %s", i+1, r.status, r.raw)
		}
	}
	r := e.get(path)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("third read = %d (Retry-After %q), want 429 with Retry-After", r.status, r.header.Get("Retry-After"))
	}
	// Reading help does not spend what the inbox keeps for chatting: the
	// inbox's one session of the minute is still there.
	if r := e.post("/widget/api/session", map[string]string{"inbox": inboxKey, "token": "", "locale": "en"}); r.status != http.StatusOK {
		t.Errorf("session after help reads = %d, want 200", r.status)
	}
}

func TestHelpRoutesNeedKB(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.KB = nil })
	// The router answers: no such route (only OPTIONS is served there).
	if r := e.get("/widget/api/kb/faq" + query("inbox", inboxKey)); r.status != http.StatusMethodNotAllowed && r.status != http.StatusNotFound {
		t.Errorf("faq without a knowledge base = %d, want 404 or 405", r.status)
	}
}

func TestSnippetParts(t *testing.T) {
	tests := []struct {
		name  string
		s     string
		marks [][2]int
		want  []snippetPart
	}{
		{"none", "abc", nil, []snippetPart{{Text: "abc"}}},
		{"middle", "a bc d", [][2]int{{2, 4}}, []snippetPart{{Text: "a "}, {Text: "bc", Hit: true}, {Text: " d"}}},
		{"edges", "bc", [][2]int{{0, 2}}, []snippetPart{{Text: "bc", Hit: true}}},
		{"out of bounds and overlapping skipped", "abcdef", [][2]int{{1, 3}, {2, 4}, {5, 99}, {4, 4}},
			[]snippetPart{{Text: "a"}, {Text: "bc", Hit: true}, {Text: "def"}}},
		{"empty", "", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := snippetParts(tc.s, tc.marks); !slices.Equal(got, tc.want) {
				t.Errorf("snippetParts(%q, %v) = %+v, want %+v", tc.s, tc.marks, got, tc.want)
			}
		})
	}
}
