package api

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/wire"
)

// The knowledge base. Searching, suggestions, the FAQ and feedback are
// public (the help center, the widget and a company's own site use them);
// agents' searches also find internal articles. Authoring needs the
// supervisor role, deleting articles and site-wide settings the admin role.

type searchOut struct {
	SearchID int64             `json:"search_id"`
	Query    string            `json:"query"`
	Items    []wire.ArticleHit `json:"items"`
}

type suggestionJSON struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

type articleIn struct {
	Locale        string   `json:"locale"`
	Slug          string   `json:"slug,omitempty"`
	Title         string   `json:"title"`
	Description   string   `json:"description,omitempty"`
	Questions     []string `json:"questions,omitempty"`
	Body          string   `json:"body"`
	CategoryID    int64    `json:"category_id,omitempty"`
	Status        string   `json:"status,omitempty" enum:"draft,published,archived"`
	Internal      bool     `json:"internal,omitempty"`
	Related       []int64  `json:"related,omitempty"`
	Contexts      []string `json:"contexts,omitempty"`
	Position      int      `json:"position,omitempty"`
	TranslationOf int64    `json:"translation_of,omitempty"`
	Reviewed      bool     `json:"reviewed,omitempty"`
	Note          string   `json:"note,omitempty"`
}

func (in articleIn) input() kb.ArticleInput {
	return kb.ArticleInput{Locale: in.Locale, Slug: in.Slug, Title: in.Title, Description: in.Description,
		Questions: in.Questions, Body: in.Body, CategoryID: in.CategoryID, Status: desk.ArticleStatus(in.Status),
		Internal: in.Internal, Related: in.Related, Contexts: in.Contexts, Position: in.Position,
		TranslationOf: in.TranslationOf, Reviewed: in.Reviewed, Note: in.Note}
}

type statusIn struct {
	Status string `json:"status" enum:"draft,published,archived"`
}

type revisionJSON struct {
	Number    int       `json:"number"`
	AgentID   int64     `json:"agent_id"`
	AgentName string    `json:"agent_name"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Questions []string  `json:"questions"`
	Status    string    `json:"status"`
	Note      string    `json:"note"`
	CreatedAt wire.Time `json:"created_at"`
}

type categoryIn struct {
	Locale        string `json:"locale"`
	Slug          string `json:"slug,omitempty"`
	Name          string `json:"name"`
	Description   string `json:"description,omitempty"`
	Icon          string `json:"icon,omitempty"`
	Position      int    `json:"position,omitempty"`
	ParentID      int64  `json:"parent_id,omitempty"`
	TranslationOf int64  `json:"translation_of,omitempty"`
}

func (in categoryIn) input() kb.CategoryInput {
	return kb.CategoryInput{Locale: in.Locale, Slug: in.Slug, Name: in.Name, Description: in.Description,
		Icon: in.Icon, Position: in.Position, ParentID: in.ParentID, TranslationOf: in.TranslationOf}
}

type feedbackIn struct {
	ArticleID int64  `json:"article_id"`
	Helpful   bool   `json:"helpful"`
	Comment   string `json:"comment,omitempty"`
	SearchID  int64  `json:"search_id,omitempty"`
}

type clickIn struct {
	SearchID  int64 `json:"search_id"`
	ArticleID int64 `json:"article_id"`
}

type synonymsJSON struct {
	Groups [][]string `json:"groups"`
}

type pinsJSON struct {
	Context  string  `json:"context"`
	Locale   string  `json:"locale"`
	Articles []int64 `json:"articles"` // group ids, in order
}

type queryStatJSON struct {
	Query    string `json:"query"`
	Searches int    `json:"searches"`
	NoResult int    `json:"no_result"`
	Clicked  int    `json:"clicked"`
}

type articleReportJSON struct {
	Article    wire.Article `json:"article"`
	Views      int          `json:"views"`
	Helpful    int          `json:"helpful"`
	NotHelpful int          `json:"not_helpful"`
}

type analyticsJSON struct {
	TopQueries []queryStatJSON     `json:"top_queries"`
	NoResult   []queryStatJSON     `json:"no_result"`
	NoClick    []queryStatJSON     `json:"no_click"`
	Articles   []articleReportJSON `json:"articles"`
	LowHelpful []articleReportJSON `json:"low_helpful"`
}

type draftIn struct {
	Query  string `json:"query"`
	Locale string `json:"locale"`
}

func (h *Handler) kbRoutes(r func(method, path string, role desk.Role, summary string, fn func(http.ResponseWriter, *http.Request) error) Route) []Route {
	A, S, X := desk.RoleAgent, desk.RoleSupervisor, desk.RoleAdmin
	return []Route{
		r("GET", "/kb/search", "", "Search the knowledge base (agents also find internal articles)", h.kbSearch).
			io(nil, searchOut{}).query("q", "locale", "context", "limit"),
		r("GET", "/kb/suggest", "", "Search-as-you-type suggestions", h.kbSuggest).io(nil, list[suggestionJSON]{}).query("q", "locale"),
		r("GET", "/kb/faq", "", "The questions to show in a context", h.kbFAQ).io(nil, list[wire.Article]{}).query("locale", "context", "contact_id"),
		r("POST", "/kb/click", "", "Record that a search result was opened", h.kbClick).io(clickIn{}, nil),
		r("POST", "/kb/feedback", "", "Was this article helpful?", h.kbFeedback).io(feedbackIn{}, nil),
		r("GET", "/kb/articles", A, "List articles", h.kbArticles).io(nil, list[wire.Article]{}).
			query("locale", "category_id", "status", "limit", "offset"),
		r("POST", "/kb/articles", S, "Write an article (or a translation of one)", h.kbCreateArticle).io(articleIn{}, wire.Article{}),
		r("GET", "/kb/articles/{id}", A, "Get an article with its Markdown and HTML", h.kbArticle).io(nil, wire.Article{}),
		r("PUT", "/kb/articles/{id}", S, "Replace an article's content (a new revision)", h.kbUpdateArticle).io(articleIn{}, wire.Article{}),
		r("POST", "/kb/articles/{id}/status", S, "Publish, archive or return to draft", h.kbSetStatus).io(statusIn{}, wire.Article{}),
		r("POST", "/kb/articles/{id}/reviewed", S, "Mark the article as reviewed today", h.kbReviewed).io(nil, wire.Article{}),
		r("DELETE", "/kb/articles/{id}", X, "Delete an article for good", h.kbDeleteArticle),
		r("GET", "/kb/articles/{id}/revisions", A, "An article's revisions, newest first", h.kbRevisions).io(nil, list[revisionJSON]{}),
		r("POST", "/kb/articles/{id}/revisions/{n}/restore", S, "Make an earlier revision current again", h.kbRestore).io(nil, wire.Article{}),
		r("GET", "/kb/categories", "", "List categories and sections", h.kbCategories).io(nil, list[wire.Category]{}).query("locale"),
		r("POST", "/kb/categories", S, "Create a category or section", h.kbCreateCategory).io(categoryIn{}, wire.Category{}),
		r("PUT", "/kb/categories/{id}", S, "Change a category", h.kbUpdateCategory).io(categoryIn{}, wire.Category{}),
		r("DELETE", "/kb/categories/{id}", S, "Delete an empty category", h.kbDeleteCategory),
		r("GET", "/kb/analytics", S, "Top queries, content gaps and helpfulness", h.kbAnalytics).io(nil, analyticsJSON{}).query("locale", "days"),
		r("POST", "/kb/drafts", S, "Turn a query into a new draft article", h.kbDraft).io(draftIn{}, wire.Article{}),
		r("GET", "/kb/synonyms", A, "Search synonyms", h.kbSynonyms).io(nil, synonymsJSON{}),
		r("PUT", "/kb/synonyms", X, "Replace the search synonyms", h.kbSetSynonyms).io(synonymsJSON{}, synonymsJSON{}),
		r("GET", "/kb/pins", A, "Pinned questions of a context", h.kbPins).io(nil, pinsJSON{}).query("context", "locale"),
		r("PUT", "/kb/pins", S, "Pin questions for a context", h.kbSetPins).io(pinsJSON{}, pinsJSON{}),
	}
}

// visitor is the caller as the knowledge base counts visitors.
func visitor(r *http.Request) kb.Visitor {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return kb.Visitor{IP: host}
}

// isAgent reports whether the caller is a signed-in agent.
func isAgent(r *http.Request) bool {
	p := principal(r)
	return p != nil && p.Agent != nil
}

func queryLocale(r *http.Request) (string, error) {
	l := r.URL.Query().Get("locale")
	if l != "" && !kb.ValidLocale(l) {
		return "", desk.Invalid("locale", "nl or en")
	}
	return l, nil
}

func (h *Handler) kbSearch(w http.ResponseWriter, r *http.Request) error {
	locale, err := queryLocale(r)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 10, 50)
	if err != nil {
		return err
	}
	agent := isAgent(r)
	src := desk.SourceAPI
	if agent {
		src = desk.SourceAgent
	}
	q := r.URL.Query()
	res, err := h.KB.Search(r.Context(), kb.SearchRequest{Query: q.Get("q"), Locale: locale, Source: src,
		Context: q.Get("context"), Visitor: visitor(r), Internal: agent, Limit: limit})
	if err != nil {
		return err
	}
	out := searchOut{SearchID: res.SearchID, Query: res.Query, Items: make([]wire.ArticleHit, len(res.Hits))}
	for i, hit := range res.Hits {
		hl := hit.Highlights
		if hl == nil {
			hl = [][2]int{}
		}
		out.Items[i] = wire.ArticleHit{Article: wire.FromArticle(hit.Article, false), Score: hit.Score,
			Snippet: hit.Snippet, Highlights: hl}
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) kbSuggest(w http.ResponseWriter, r *http.Request) error {
	locale, err := queryLocale(r)
	if err != nil {
		return err
	}
	sug := h.KB.Suggest(r.URL.Query().Get("q"), locale, isAgent(r), 8)
	out := list[suggestionJSON]{Items: make([]suggestionJSON, len(sug))}
	for i, s := range sug {
		out.Items[i] = suggestionJSON{ID: s.ID, Title: s.Title, URL: "/help/" + s.Locale + "/a/" + s.Slug}
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) kbFAQ(w http.ResponseWriter, r *http.Request) error {
	locale, err := queryLocale(r)
	if err != nil {
		return err
	}
	req := kb.FAQRequest{Locale: locale, Context: r.URL.Query().Get("context")}
	if isAgent(r) {
		// Only agents may ask on behalf of a known customer: the FAQ
		// reveals what a customer's conversations were about.
		if req.ContactID, err = queryID(r, "contact_id"); err != nil {
			return err
		}
	}
	arts, err := h.KB.FAQ(r.Context(), req)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(arts, func(a *desk.Article) wire.Article { return wire.FromArticle(a, false) }))
}

func (h *Handler) kbClick(w http.ResponseWriter, r *http.Request) error {
	var in clickIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := h.KB.Click(r.Context(), in.SearchID, in.ArticleID, visitor(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) kbFeedback(w http.ResponseWriter, r *http.Request) error {
	var in feedbackIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	err := h.KB.Feedback(r.Context(), kb.FeedbackInput{ArticleID: in.ArticleID, Helpful: in.Helpful,
		Comment: in.Comment, SearchID: in.SearchID, Visitor: visitor(r)})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) kbArticles(w http.ResponseWriter, r *http.Request) error {
	locale, err := queryLocale(r)
	if err != nil {
		return err
	}
	q := desk.ArticleQuery{Locale: locale, Status: desk.ArticleStatus(r.URL.Query().Get("status"))}
	if q.Status != "" && !q.Status.Valid() {
		return desk.Invalid("status", "draft, published or archived")
	}
	if q.CategoryID, err = queryID(r, "category_id"); err != nil {
		return err
	}
	if q.Limit, err = queryInt(r, "limit", 100, 1000); err != nil {
		return err
	}
	if q.Offset, err = queryInt(r, "offset", 0, 0); err != nil {
		return err
	}
	arts, err := h.KB.Articles(r.Context(), q)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(arts, func(a *desk.Article) wire.Article { return wire.FromArticle(a, false) }))
}

func (h *Handler) articleOut(a *desk.Article) wire.Article {
	out := wire.FromArticle(a, true)
	out.HTML = string(h.KB.Render(a).HTML)
	return out
}

func (h *Handler) kbArticle(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.KB.Article(r.Context(), id)
	if err != nil {
		return fmt.Errorf("article %d: %w", id, err)
	}
	return write(w, http.StatusOK, h.articleOut(a))
}

func (h *Handler) kbCreateArticle(w http.ResponseWriter, r *http.Request) error {
	var in articleIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	a, err := h.KB.CreateArticle(r.Context(), principal(r).Agent, in.input())
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, h.articleOut(a))
}

func (h *Handler) kbUpdateArticle(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in articleIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	a, err := h.KB.UpdateArticle(r.Context(), principal(r).Agent, id, in.input())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.articleOut(a))
}

func (h *Handler) kbSetStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in statusIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	a, err := h.KB.SetStatus(r.Context(), principal(r).Agent, id, desk.ArticleStatus(in.Status))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.articleOut(a))
}

func (h *Handler) kbReviewed(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.KB.MarkReviewed(r.Context(), principal(r).Agent, id)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.articleOut(a))
}

func (h *Handler) kbDeleteArticle(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.KB.DeleteArticle(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) kbRevisions(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.KB.Article(r.Context(), id); err != nil {
		return fmt.Errorf("article %d: %w", id, err)
	}
	revs, err := h.KB.Revisions(r.Context(), id)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(revs, func(v *desk.ArticleRevision) revisionJSON {
		q := v.Questions
		if q == nil {
			q = []string{}
		}
		return revisionJSON{Number: v.Number, AgentID: v.AgentID, AgentName: v.AgentName, Title: v.Title, Body: v.Body,
			Questions: q, Status: string(v.Status), Note: v.Note, CreatedAt: wire.Time{Time: v.CreatedAt}}
	}))
}

func (h *Handler) kbRestore(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n <= 0 {
		return fmt.Errorf("revision %q: %w", r.PathValue("n"), desk.ErrNotFound)
	}
	a, err := h.KB.RestoreRevision(r.Context(), principal(r).Agent, id, n)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, h.articleOut(a))
}

func (h *Handler) kbCategories(w http.ResponseWriter, r *http.Request) error {
	locale, err := queryLocale(r)
	if err != nil {
		return err
	}
	cs, err := h.KB.Categories(r.Context(), locale)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(cs, wire.FromCategory))
}

func (h *Handler) kbCreateCategory(w http.ResponseWriter, r *http.Request) error {
	var in categoryIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := h.KB.CreateCategory(r.Context(), in.input())
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, wire.FromCategory(c))
}

func (h *Handler) kbUpdateCategory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in categoryIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := h.KB.UpdateCategory(r.Context(), id, in.input())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, wire.FromCategory(c))
}

func (h *Handler) kbDeleteCategory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.KB.DeleteCategory(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) kbAnalytics(w http.ResponseWriter, r *http.Request) error {
	locale, err := queryLocale(r)
	if err != nil {
		return err
	}
	days, err := queryInt(r, "days", 30, 366)
	if err != nil {
		return err
	}
	if days == 0 {
		days = 30
	}
	a, err := h.KB.Analytics(r.Context(), desk.StatsQuery{Locale: locale,
		Since: h.Clock.Now().Add(-time.Duration(days) * 24 * time.Hour)})
	if err != nil {
		return err
	}
	qs := func(in []desk.QueryStat) []queryStatJSON {
		out := make([]queryStatJSON, len(in))
		for i, q := range in {
			out[i] = queryStatJSON{Query: q.Query, Searches: q.Searches, NoResult: q.NoResult, Clicked: q.Clicked}
		}
		return out
	}
	rep := func(in []kb.ArticleReport) []articleReportJSON {
		out := make([]articleReportJSON, len(in))
		for i, a := range in {
			out[i] = articleReportJSON{Article: wire.FromArticle(&a.Article, false), Views: a.Views,
				Helpful: a.Helpful, NotHelpful: a.NotHelpful}
		}
		return out
	}
	return write(w, http.StatusOK, analyticsJSON{TopQueries: qs(a.TopQueries), NoResult: qs(a.NoResult),
		NoClick: qs(a.NoClick), Articles: rep(a.Articles), LowHelpful: rep(a.LowHelpful)})
}

func (h *Handler) kbDraft(w http.ResponseWriter, r *http.Request) error {
	var in draftIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	a, err := h.KB.DraftFromQuery(r.Context(), principal(r).Agent, in.Query, in.Locale)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, h.articleOut(a))
}

func (h *Handler) kbSynonyms(w http.ResponseWriter, r *http.Request) error {
	g, err := h.KB.Synonyms(r.Context())
	if err != nil {
		return err
	}
	if g == nil {
		g = [][]string{}
	}
	return write(w, http.StatusOK, synonymsJSON{Groups: g})
}

func (h *Handler) kbSetSynonyms(w http.ResponseWriter, r *http.Request) error {
	var in synonymsJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := h.KB.SetSynonyms(r.Context(), in.Groups); err != nil {
		return err
	}
	return h.kbSynonyms(w, r)
}

func (h *Handler) kbPins(w http.ResponseWriter, r *http.Request) error {
	locale, err := queryLocale(r)
	if err != nil {
		return err
	}
	c := kb.NormContext(r.URL.Query().Get("context"))
	g, err := h.KB.Pins(r.Context(), c, locale)
	if err != nil {
		return err
	}
	if g == nil {
		g = []int64{}
	}
	return write(w, http.StatusOK, pinsJSON{Context: c, Locale: locale, Articles: g})
}

func (h *Handler) kbSetPins(w http.ResponseWriter, r *http.Request) error {
	var in pinsJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := h.KB.SetPins(r.Context(), in.Context, in.Locale, in.Articles); err != nil {
		return err
	}
	q := r.URL.Query()
	q.Set("context", in.Context)
	q.Set("locale", in.Locale)
	r.URL.RawQuery = q.Encode()
	return h.kbPins(w, r)
}
