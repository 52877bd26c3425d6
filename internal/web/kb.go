package web

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/kb/markdown"
	"github.com/balie-dev/balie/internal/problem"
)

// The knowledge base in the workspace: every agent reads and searches it;
// supervisors and admins write articles and categories and read the search
// analytics; admins also delete and change the search settings.

// reviewAfter is how long an article's content counts as checked.
const reviewAfter = 180 * 24 * time.Hour

// kbForm bounds an article form: the body may be 200 KiB, which a form
// encoding can triple.
const kbForm = 1 << 20

// kbRoutes registers the knowledge-base pages.
func (h *Handler) kbRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app/kb", h.kbGuard(desk.RoleAgent, maxForm, h.kbList))
	mux.HandleFunc("GET /app/kb/{$}", h.kbGuard(desk.RoleAgent, maxForm, h.kbList))
	mux.HandleFunc("GET /app/kb/new", h.kbGuard(desk.RoleSupervisor, maxForm, h.kbNew))
	mux.HandleFunc("POST /app/kb/articles", h.kbGuard(desk.RoleSupervisor, kbForm, h.kbCreate))
	mux.HandleFunc("POST /app/kb/files", h.kbGuard(desk.RoleSupervisor, MaxUpload+(64<<10), h.kbUpload))
	mux.HandleFunc("POST /app/kb/preview", h.kbGuard(desk.RoleSupervisor, kbForm, h.kbPreview))
	mux.HandleFunc("GET /app/kb/articles/{id}", h.kbGuard(desk.RoleAgent, maxForm, h.kbArticle))
	mux.HandleFunc("GET /app/kb/articles/{id}/edit", h.kbGuard(desk.RoleSupervisor, maxForm, h.kbEdit))
	mux.HandleFunc("POST /app/kb/articles/{id}", h.kbGuard(desk.RoleSupervisor, kbForm, h.kbUpdate))
	mux.HandleFunc("POST /app/kb/articles/{id}/status", h.kbGuard(desk.RoleSupervisor, maxForm, h.kbStatus))
	mux.HandleFunc("POST /app/kb/articles/{id}/reviewed", h.kbGuard(desk.RoleSupervisor, maxForm, h.kbReviewed))
	mux.HandleFunc("POST /app/kb/articles/{id}/revisions/{n}/restore", h.kbGuard(desk.RoleSupervisor, maxForm, h.kbRestore))
	mux.HandleFunc("POST /app/kb/articles/{id}/delete", h.kbGuard(desk.RoleAdmin, maxForm, h.kbDelete))
	mux.HandleFunc("GET /app/kb/categories", h.kbGuard(desk.RoleAgent, maxForm, h.kbCategories))
	mux.HandleFunc("POST /app/kb/categories", h.kbGuard(desk.RoleSupervisor, maxForm, h.kbCreateCategory))
	mux.HandleFunc("GET /app/kb/categories/{id}", h.kbGuard(desk.RoleAgent, maxForm, h.kbCategories))
	mux.HandleFunc("POST /app/kb/categories/{id}", h.kbGuard(desk.RoleSupervisor, maxForm, h.kbUpdateCategory))
	mux.HandleFunc("POST /app/kb/categories/{id}/delete", h.kbGuard(desk.RoleAdmin, maxForm, h.kbDeleteCategory))
	mux.HandleFunc("GET /app/kb/analytics", h.kbGuard(desk.RoleSupervisor, maxForm, h.kbAnalytics))
	mux.HandleFunc("POST /app/kb/analytics/draft", h.kbGuard(desk.RoleSupervisor, maxForm, h.kbDraft))
	mux.HandleFunc("GET /app/kb/settings", h.kbGuard(desk.RoleAdmin, maxForm, h.kbSettings))
	mux.HandleFunc("POST /app/kb/settings/synonyms", h.kbGuard(desk.RoleAdmin, maxForm, h.kbSetSynonyms))
	mux.HandleFunc("POST /app/kb/settings/pins", h.kbGuard(desk.RoleAdmin, maxForm, h.kbSetPins))
	mux.HandleFunc("POST /app/kb/settings/theme", h.kbGuard(desk.RoleAdmin, maxForm, h.kbSetTheme))
	mux.HandleFunc("GET /app/fragments/kb-search", h.kbGuard(desk.RoleAgent, maxForm, h.kbSearchFragment))
}

// kbGuard admits agents of at least role min, and answers 404 when the
// handler has no knowledge base.
func (h *Handler) kbGuard(min desk.Role, limit int64, fn func(*req)) http.HandlerFunc {
	return h.guard(func(r desk.Role) bool { return r.AtLeast(min) }, limit, func(q *req) {
		if h.d.KB == nil {
			h.errorPage(q.w, q.r, q.locale, q, http.StatusNotFound)
			return
		}
		fn(q)
	})
}

func (q *req) author() bool  { return q.agent.Role.AtLeast(desk.RoleSupervisor) }
func (q *req) kbAdmin() bool { return q.agent.Role.AtLeast(desk.RoleAdmin) }

var articleStatuses = []desk.ArticleStatus{desk.ArticleDraft, desk.ArticlePublished, desk.ArticleArchived}

// --- list

type kbListData struct {
	Rows       []kbRow
	Q          string
	Locale     string
	Status     string
	CategoryID int64
	Categories []kbCategoryOption
	Locales    []string
	Statuses   []desk.ArticleStatus
	Searched   bool
	Helpful    bool // the helpfulness column has data
	CanEdit    bool
}

type kbRow struct {
	A            desk.Article
	Category     string
	Translations []desk.Article
	Overdue      bool
	Votes        int
	HelpfulPct   int
}

// kbCategoryOption is a category or section in a select, labelled with its
// place in the tree.
type kbCategoryOption struct {
	ID     int64
	Locale string
	Label  string
}

func (h *Handler) categoryOptions(ctx context.Context, locale string) ([]kbCategoryOption, map[int64]string, error) {
	var out []kbCategoryOption
	names := map[int64]string{}
	locales := kb.Locales
	if locale != "" {
		locales = []string{locale}
	}
	for _, l := range locales {
		tree, err := h.d.KB.Tree(ctx, l)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range tree {
			out = append(out, kbCategoryOption{ID: c.ID, Locale: c.Locale, Label: c.Name})
			names[c.ID] = c.Name
			for _, s := range c.Sections {
				label := c.Name + " / " + s.Name
				out = append(out, kbCategoryOption{ID: s.ID, Locale: s.Locale, Label: label})
				names[s.ID] = label
			}
		}
	}
	return out, names, nil
}

func (h *Handler) kbList(q *req) {
	ctx := q.r.Context()
	v := q.r.URL.Query()
	d := kbListData{Q: strings.TrimSpace(v.Get("q")), Locale: v.Get("locale"), Status: v.Get("status"),
		Locales: kb.Locales, Statuses: articleStatuses, CanEdit: q.author()}
	if d.Locale != "" && !kb.ValidLocale(d.Locale) {
		d.Locale = ""
	}
	if !desk.ArticleStatus(d.Status).Valid() {
		d.Status = ""
	}
	d.CategoryID, _ = strconv.ParseInt(v.Get("category"), 10, 64)
	var names map[int64]string
	var err error
	if d.Categories, names, err = h.categoryOptions(ctx, ""); err != nil {
		h.fail(q, err)
		return
	}
	var arts []desk.Article
	if d.Q != "" {
		// Search finds published articles only, ranked as customers see them.
		d.Searched = true
		res, err := h.d.KB.Search(ctx, kb.SearchRequest{Query: d.Q, Locale: d.Locale, Source: desk.SourceAgent,
			Internal: true, NoLog: true, Limit: 50})
		if err != nil {
			h.fail(q, err)
			return
		}
		in, err := h.categorySet(ctx, d.CategoryID)
		if err != nil {
			h.fail(q, err)
			return
		}
		for _, hit := range res.Hits {
			a := hit.Article
			if (d.Status == "" || string(a.Status) == d.Status) && (in == nil || in[a.CategoryID]) {
				arts = append(arts, *a)
			}
		}
	} else {
		arts, err = h.d.KB.Articles(ctx, desk.ArticleQuery{Locale: d.Locale, CategoryID: d.CategoryID,
			Status: desk.ArticleStatus(d.Status), Limit: 500})
		if err != nil {
			h.fail(q, err)
			return
		}
	}
	votes := h.helpfulness()
	d.Helpful = votes != nil
	now := h.d.Clock.Now()
	for _, a := range arts {
		r := kbRow{A: a, Category: names[a.CategoryID], Overdue: overdue(&a, now)}
		if r.Translations, err = h.d.KB.Translations(ctx, &a, false); err != nil {
			h.fail(q, err)
			return
		}
		if s, ok := votes[a.ID]; ok {
			r.Votes = s.Helpful + s.NotHelpful
			if r.Votes > 0 {
				r.HelpfulPct = s.Helpful * 100 / r.Votes
			}
		}
		d.Rows = append(d.Rows, r)
	}
	h.render(q.w, q, http.StatusOK, "kb_list", "kb", d)
}

// categorySet is the category id with its sections' ids (nil for 0).
func (h *Handler) categorySet(ctx context.Context, id int64) (map[int64]bool, error) {
	if id == 0 {
		return nil, nil
	}
	all, err := h.d.KB.Categories(ctx, "")
	if err != nil {
		return nil, err
	}
	in := map[int64]bool{id: true}
	for _, c := range all {
		if c.ParentID == id {
			in[c.ID] = true
		}
	}
	return in, nil
}

// helpfulness returns every article's votes of all time.
func (h *Handler) helpfulness() map[int64]desk.ArticleStat {
	votes := h.d.KB.Helpfulness()
	out := make(map[int64]desk.ArticleStat, len(votes))
	for id, v := range votes {
		out[id] = desk.ArticleStat{ArticleID: id, Helpful: v[0], NotHelpful: v[1]}
	}
	return out
}

// overdue reports whether an article's content is due for a review: never
// reviewed, or longer than reviewAfter ago.
func overdue(a *desk.Article, now time.Time) bool {
	return a.ReviewedAt == nil || now.Sub(*a.ReviewedAt) > reviewAfter
}

// --- one article

type kbArticleData struct {
	A            *desk.Article
	HTML         template.HTML
	Category     string
	Translations []desk.Article
	Missing      []string // locales without a translation
	Related      []desk.Article
	Revisions    []desk.ArticleRevision
	Feedback     []desk.ArticleFeedback
	HasFeedback  bool // the store can list feedback
	PublicURL    string
	Overdue      bool
	Statuses     []desk.ArticleStatus
	CanEdit      bool
	CanDelete    bool
}

func (h *Handler) kbArticle(q *req) {
	ctx := q.r.Context()
	a, ok := h.pathArticle(q)
	if !ok {
		return
	}
	d := kbArticleData{A: a, HTML: h.d.KB.Render(a).HTML, Overdue: overdue(a, h.d.Clock.Now()),
		Statuses: articleStatuses, CanEdit: q.author(), CanDelete: q.kbAdmin()}
	var err error
	if d.Translations, err = h.d.KB.Translations(ctx, a, false); err != nil {
		h.fail(q, err)
		return
	}
	d.Missing = missingLocales(a.Locale, d.Translations)
	if d.Related, err = h.d.KB.Related(ctx, a, false); err != nil {
		h.fail(q, err)
		return
	}
	if a.CategoryID != 0 {
		if c, err := h.d.KB.Category(ctx, a.CategoryID); err == nil {
			d.Category = c.Name
		}
	}
	if d.Revisions, err = h.d.KB.Revisions(ctx, a.ID); err != nil {
		h.fail(q, err)
		return
	}
	d.HasFeedback = true
	if d.Feedback, err = h.d.KB.ArticleFeedback(ctx, a.ID, 50); err != nil {
		h.fail(q, err)
		return
	}
	if a.Status == desk.ArticlePublished && !a.Internal {
		d.PublicURL = publicPath(a)
	}
	h.render(q.w, q, http.StatusOK, "kb_article", "kb", d)
}

// pathArticle reads the article of the path's {id}, answering the request
// itself when there is none.
func (h *Handler) pathArticle(q *req) (*desk.Article, bool) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return nil, false
	}
	a, err := h.d.KB.Article(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return nil, false
	}
	return a, true
}

func missingLocales(have string, translations []desk.Article) []string {
	var out []string
	for _, l := range kb.Locales {
		if l != have && !slices.ContainsFunc(translations, func(t desk.Article) bool { return t.Locale == l }) {
			out = append(out, l)
		}
	}
	return out
}

// publicPath is where the help center shows an article.
func publicPath(a *desk.Article) string {
	return "/help/" + url.PathEscape(a.Locale) + "/a/" + url.PathEscape(a.Slug)
}

func articlePath(id int64) string { return "/app/kb/articles/" + strconv.FormatInt(id, 10) }

// --- editor

// articleForm is the editor's fields as the author typed them, so that a
// refused save shows them again unchanged.
type articleForm struct {
	Title         string
	Slug          string
	Locale        string
	CategoryID    int64
	Description   string
	Questions     string // one per line
	Body          string
	Contexts      string // one per line
	Related       string // article ids, comma separated
	Internal      bool
	Status        desk.ArticleStatus
	Reviewed      bool
	Note          string
	TranslationOf int64
	Revision      int // the version the author started from; 0 for a new article
}

type kbEditData struct {
	ID         int64 // 0: a new article
	F          articleForm
	Error      string
	Categories []kbCategoryOption
	Locales    []string
	Statuses   []desk.ArticleStatus
	Preview    template.HTML
	HasPreview bool
	Original   *desk.Article // the article a new translation translates
	// CanUpload shows the image upload (it needs the script).
	CanUpload bool
}

func formOf(a *desk.Article) articleForm {
	f := articleForm{Title: a.Title, Slug: a.Slug, Locale: a.Locale, CategoryID: a.CategoryID,
		Description: a.Description, Questions: strings.Join(a.Questions, "\n"), Body: a.Body,
		Contexts: strings.Join(a.Contexts, "\n"), Internal: a.Internal, Status: a.Status, Revision: a.Revision}
	ids := make([]string, len(a.Related))
	for i, g := range a.Related {
		ids[i] = strconv.FormatInt(g, 10)
	}
	f.Related = strings.Join(ids, ", ")
	return f
}

// readArticleForm reads the posted editor fields.
func readArticleForm(r *http.Request) articleForm {
	f := r.PostForm
	out := articleForm{Title: f.Get("title"), Slug: f.Get("slug"), Locale: f.Get("locale"),
		Description: f.Get("description"), Questions: f.Get("questions"), Body: f.Get("body"),
		Contexts: f.Get("contexts"), Related: f.Get("related"), Internal: f.Get("internal") == "1",
		Status: desk.ArticleStatus(f.Get("status")), Reviewed: f.Get("reviewed") == "1", Note: f.Get("note")}
	out.CategoryID, _ = strconv.ParseInt(f.Get("category_id"), 10, 64)
	out.TranslationOf, _ = strconv.ParseInt(f.Get("translation_of"), 10, 64)
	out.Revision, _ = strconv.Atoi(f.Get("revision"))
	return out
}

func lines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// groupsOf turns a list of article ids ("12, 15") into their translation
// groups, the form kb keeps related articles and pins in.
func (h *Handler) groupsOf(ctx context.Context, field, list string) ([]int64, error) {
	var out []int64
	for _, s := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, desk.Invalid(field, "article ids separated by commas")
		}
		a, err := h.d.KB.Article(ctx, id)
		if errors.Is(err, desk.ErrNotFound) {
			return nil, desk.Invalid(field, "no article "+s)
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, a.GroupID) {
			out = append(out, a.GroupID)
		}
	}
	return out, nil
}

func (h *Handler) inputOf(ctx context.Context, f articleForm) (kb.ArticleInput, error) {
	related, err := h.groupsOf(ctx, "related", f.Related)
	if err != nil {
		return kb.ArticleInput{}, err
	}
	return kb.ArticleInput{Locale: f.Locale, Slug: f.Slug, Title: f.Title, Description: f.Description,
		Questions: lines(f.Questions), Body: f.Body, CategoryID: f.CategoryID, Status: f.Status,
		Internal: f.Internal, Related: related, Contexts: lines(f.Contexts), TranslationOf: f.TranslationOf,
		Reviewed: f.Reviewed, Note: strings.TrimSpace(f.Note)}, nil
}

func (h *Handler) renderEditor(q *req, status int, d kbEditData) {
	cats, _, err := h.categoryOptions(q.r.Context(), "")
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Categories, d.Locales, d.Statuses = cats, kb.Locales, articleStatuses
	d.CanUpload = h.d.Uploads != nil
	if d.F.Status == "" {
		d.F.Status = desk.ArticleDraft
	}
	if d.F.TranslationOf != 0 && d.Original == nil {
		d.Original, _ = h.d.KB.Article(q.r.Context(), d.F.TranslationOf)
	}
	h.render(q.w, q, status, "kb_edit", "kb", d)
}

// kbNew shows an empty editor, or one for a translation of an article
// (?translation_of=ID&locale=en) filled with the original to translate.
func (h *Handler) kbNew(q *req) {
	v := q.r.URL.Query()
	f := articleForm{Locale: v.Get("locale"), Status: desk.ArticleDraft}
	if !kb.ValidLocale(f.Locale) {
		f.Locale = q.locale
		if !kb.ValidLocale(f.Locale) {
			f.Locale = kb.Locales[0]
		}
	}
	var orig *desk.Article
	if id, _ := strconv.ParseInt(v.Get("translation_of"), 10, 64); id > 0 {
		a, err := h.d.KB.Article(q.r.Context(), id)
		if err != nil {
			h.fail(q, err)
			return
		}
		orig = a
		locale := f.Locale
		if other := missingLocales(a.Locale, nil); locale == a.Locale && len(other) > 0 {
			locale = other[0]
		}
		f = formOf(a)
		f.Locale, f.CategoryID, f.Status, f.Revision, f.TranslationOf = locale, 0, desk.ArticleDraft, 0, a.ID
	}
	h.renderEditor(q, http.StatusOK, kbEditData{F: f, Original: orig})
}

func (h *Handler) kbEdit(q *req) {
	a, ok := h.pathArticle(q)
	if !ok {
		return
	}
	h.renderEditor(q, http.StatusOK, kbEditData{ID: a.ID, F: formOf(a)})
}

func (h *Handler) kbCreate(q *req) {
	f := readArticleForm(q.r)
	f.Revision = 0
	if q.r.PostFormValue("preview") == "1" {
		h.renderEditor(q, http.StatusOK, kbEditData{F: f, Preview: renderPreview(f.Body), HasPreview: true})
		return
	}
	in, err := h.inputOf(q.r.Context(), f)
	var a *desk.Article
	if err == nil {
		a, err = h.d.KB.CreateArticle(q.r.Context(), q.agent, in)
	}
	if err != nil {
		h.editorFailed(q, kbEditData{F: f}, err)
		return
	}
	h.back(q, articlePath(a.ID), flash{Kind: "ok", Key: "flash.created"})
}

func (h *Handler) kbUpdate(q *req) {
	ctx := q.r.Context()
	a, ok := h.pathArticle(q)
	if !ok {
		return
	}
	f := readArticleForm(q.r)
	f.TranslationOf = 0
	d := kbEditData{ID: a.ID, F: f}
	if q.r.PostFormValue("preview") == "1" {
		d.Preview, d.HasPreview = renderPreview(f.Body), true
		h.renderEditor(q, http.StatusOK, d)
		return
	}
	// The service saves over whatever is current; an author who started
	// from an older version would silently undo someone else's edit.
	if f.Revision != a.Revision {
		h.editorFailed(q, d, errStale)
		return
	}
	in, err := h.inputOf(ctx, f)
	if err == nil {
		in.BaseRevision = f.Revision
		_, err = h.d.KB.UpdateArticle(ctx, q.agent, a.ID, in)
	}
	if err != nil {
		h.editorFailed(q, d, err)
		return
	}
	h.back(q, articlePath(a.ID), flash{Kind: "ok", Key: "flash.saved"})
}

// errStale is a save based on an older version of the article.
var errStale = errors.New("web: the article was changed meanwhile")

// editorFailed shows the editor again with the author's input and what was
// wrong with it. Faults that are not the input's are the error page.
func (h *Handler) editorFailed(q *req, d kbEditData, err error) {
	c := h.cats[q.locale]
	var ve *desk.ValidationError
	status := http.StatusUnprocessableEntity
	switch {
	case errors.Is(err, errStale):
		d.Error, status = c.T("kb.error_stale"), http.StatusConflict
	case errors.As(err, &ve):
		d.Error = c.T("kb.error_field", ve.Field, ve.Reason)
	case errors.Is(err, desk.ErrInvalid):
		d.Error = serviceMessage(err)
	case errors.Is(err, desk.ErrConflict):
		d.Error, status = c.T("kb.error_conflict"), http.StatusConflict
		if msg := serviceMessage(err); strings.Contains(msg, "translation") {
			d.Error = msg
		}
	default:
		h.fail(q, err)
		return
	}
	h.renderEditor(q, status, d)
}

// serviceMessage is what kb says about refused input, without the package
// prefixes and the sentinel's name: "an article needs a title".
func serviceMessage(err error) string {
	msg := err.Error()
	for _, s := range []error{desk.ErrInvalid, desk.ErrConflict} {
		msg = strings.TrimSuffix(msg, ": "+s.Error())
	}
	for {
		rest, ok := strings.CutPrefix(msg, "kb: ")
		if !ok {
			break
		}
		msg = rest
	}
	return msg
}

// renderPreview renders Markdown as the help center would. It calls the
// renderer directly: kb.Service.Render caches by article id, and a
// preview has none.
func renderPreview(body string) template.HTML {
	return markdown.Render(body, markdown.Options{}).HTML
}

// kbPreview renders the editor's body. The editor's script asks for the
// fragment (?fragment=1) and shows it in place; without the script the
// Preview button posts the whole form here and gets the editor back with
// the preview below it and the input kept.
func (h *Handler) kbPreview(q *req) {
	f := readArticleForm(q.r)
	html := renderPreview(f.Body)
	if q.r.URL.Query().Get("fragment") == "1" {
		h.renderView(q.w, q.locale, http.StatusOK, "kb_edit", "preview", view{Locale: q.locale, D: kbEditData{Preview: html, HasPreview: true}})
		return
	}
	id, _ := strconv.ParseInt(q.r.PostFormValue("id"), 10, 64)
	h.renderEditor(q, http.StatusOK, kbEditData{ID: id, F: f, Preview: html, HasPreview: true})
}

// --- status, review, revisions, delete

func (h *Handler) kbStatus(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	st := desk.ArticleStatus(q.r.PostFormValue("status"))
	to := articlePath(id)
	if !st.Valid() {
		h.failed(q, to, desk.Invalid("status", "draft, published or archived"))
		return
	}
	if _, err := h.d.KB.SetStatus(q.r.Context(), q.agent, id, st); err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: statusFlash[st]})
}

var statusFlash = map[desk.ArticleStatus]string{desk.ArticleDraft: "flash.kb_draft",
	desk.ArticlePublished: "flash.kb_published", desk.ArticleArchived: "flash.kb_archived"}

func (h *Handler) kbReviewed(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := articlePath(id)
	if _, err := h.d.KB.MarkReviewed(q.r.Context(), q.agent, id); err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.kb_reviewed"})
}

func (h *Handler) kbRestore(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := articlePath(id)
	n, err := strconv.Atoi(q.r.PathValue("n"))
	if err != nil || n <= 0 {
		h.failed(q, to, desk.ErrNotFound)
		return
	}
	if _, err := h.d.KB.RestoreRevision(q.r.Context(), q.agent, id, n); err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.kb_restored"})
}

func (h *Handler) kbDelete(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	if err := h.d.KB.DeleteArticle(q.r.Context(), id); err != nil {
		h.failed(q, articlePath(id), err)
		return
	}
	h.back(q, "/app/kb", flash{Kind: "ok", Key: "flash.deleted"})
}

// --- the conversation page's article search

type kbHit struct {
	A         *desk.Article
	Snippet   string
	PublicURL string // absolute; "" for an internal or unpublished article
}

// kbSearchHits searches for the conversation page: internal articles too,
// not counted in the customers' analytics.
func (h *Handler) kbSearchHits(q *req, query string) ([]kbHit, error) {
	res, err := h.d.KB.Search(q.r.Context(), kb.SearchRequest{Query: query, Source: desk.SourceAgent,
		Internal: true, NoLog: true, Limit: 8})
	if err != nil {
		return nil, err
	}
	out := make([]kbHit, 0, len(res.Hits))
	for _, hit := range res.Hits {
		k := kbHit{A: hit.Article, Snippet: hit.Snippet}
		if !hit.Article.Internal {
			k.PublicURL = h.siteURL(q.r) + publicPath(hit.Article)
		}
		out = append(out, k)
	}
	return out, nil
}

// siteURL is the scheme and host the agent reached balie on: the base of
// the links an agent sends customers.
func (h *Handler) siteURL(r *http.Request) string {
	scheme := "http"
	if h.d.SecureCookies || r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type kbSearchData struct {
	Q    string
	Hits []kbHit
	Done bool // a search was made
}

// kbSearchFragment is the conversation page's result list, for its script.
func (h *Handler) kbSearchFragment(q *req) {
	query := strings.TrimSpace(q.r.URL.Query().Get("q"))
	d := kbSearchData{Q: query, Done: query != ""}
	if d.Done {
		var err error
		if d.Hits, err = h.kbSearchHits(q, query); err != nil {
			h.fragmentFailed(q, err)
			return
		}
	}
	h.renderView(q.w, q.locale, http.StatusOK, "conversation", "kbresults", d)
}

// kbUpload stores an image for articles and answers with the Markdown that
// shows it, for the editor's script to insert.
func (h *Handler) kbUpload(q *req) {
	fail := func(err error) {
		problem.Write(q.w, q.r, err, problem.Options{})
	}
	if h.d.Uploads == nil {
		fail(desk.ErrNotFound)
		return
	}
	file, hdr, err := q.r.FormFile("file")
	if err != nil {
		fail(desk.Invalid("file", "choose an image to upload"))
		return
	}
	defer file.Close()
	att, err := h.d.Uploads.Store(q.r.Context(), hdr.Filename, file)
	if err != nil {
		fail(err)
		return
	}
	f := &desk.KBFile{Name: att.Name, ContentType: att.ContentType, Size: att.Size, BlobKey: att.BlobKey}
	if err := h.d.KB.AddFile(q.r.Context(), q.agent, f); err != nil {
		h.d.Uploads.Discard(q.r.Context(), att)
		fail(err)
		return
	}
	if att.ThumbKey != "" {
		// Articles show the image itself; the thumbnail is not needed.
		h.d.Uploads.Discard(q.r.Context(), desk.InboundAttachment{ThumbKey: att.ThumbKey})
	}
	alt := strings.TrimSuffix(f.Name, path.Ext(f.Name))
	q.w.Header().Set("Content-Type", "application/json")
	q.w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(q.w).Encode(map[string]any{"id": f.ID, "url": kb.FilePath(f.ID),
		"markdown": "![" + strings.NewReplacer("[", "", "]", "").Replace(alt) + "](file:" + strconv.FormatInt(f.ID, 10) + ")"})
}
