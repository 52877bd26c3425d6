package helpcenter

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/kb/markdown"
)

// articleLink is an article in a list.
type articleLink struct {
	Title   string
	URL     string
	Summary string
}

// categoryBlock is a category (or section) with some of its articles.
type categoryBlock struct {
	Name        string
	Description string
	URL         string
	Icon        string
	Count       int // public articles in it and its sections
	Articles    []articleLink
	Sections    []categoryBlock
}

type homeBody struct {
	FAQ        []articleLink
	Categories []categoryBlock
	Flows      []articleLink
}

// articlesPerCategory is how many articles the home lists per category.
const articlesPerCategory = 5

// maxArticles bounds what one page loads; a help center is far smaller.
const maxArticles = 10000

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	loc := r.PathValue("locale")
	if !kb.ValidLocale(loc) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	ctx := r.Context()
	p := h.newPage(r, loc)
	faq, err := h.d.KB.FAQ(ctx, kb.FAQRequest{Locale: loc, Context: p.Context})
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	tree, err := h.d.KB.Tree(ctx, loc)
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	arts, err := h.d.KB.Articles(ctx, desk.ArticleQuery{Locale: loc, Public: true, Limit: maxArticles})
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	body := homeBody{Flows: h.publicFlows(ctx, loc)}
	type qa struct {
		Type   string `json:"@type"`
		Name   string `json:"name"`
		Answer struct {
			Type string `json:"@type"`
			Text string `json:"text"`
		} `json:"acceptedAnswer"`
	}
	var questions []qa
	for i := range faq {
		a := &faq[i]
		link := h.linkOf(a)
		body.FAQ = append(body.FAQ, link)
		q := qa{Type: "Question", Name: a.Title}
		q.Answer.Type, q.Answer.Text = "Answer", link.Summary
		questions = append(questions, q)
	}
	// One list of the locale's articles, grouped under the top-level
	// categories, rather than a query per category.
	top := map[int64]int64{} // category or section → its top-level category
	for _, c := range tree {
		top[c.ID] = c.ID
		for _, s := range c.Sections {
			top[s.ID] = c.ID
		}
	}
	byTop := map[int64][]desk.Article{}
	for _, a := range arts {
		if t, ok := top[a.CategoryID]; ok {
			byTop[t] = append(byTop[t], a)
		}
	}
	for _, c := range tree {
		list := byTop[c.ID]
		if len(list) == 0 {
			continue // an empty category is a dead end for a customer
		}
		b := categoryBlock{Name: c.Name, Description: c.Description, Icon: c.Icon, URL: categoryPath(loc, c.Slug), Count: len(list)}
		for i := range list[:min(len(list), articlesPerCategory)] {
			b.Articles = append(b.Articles, articleLink{Title: list[i].Title, URL: articlePath(loc, list[i].Slug)})
		}
		body.Categories = append(body.Categories, b)
	}

	base := h.baseURL(r)
	p.Title = p.SiteName
	p.Description = p.L.T("home.description", p.Theme.Name)
	p.Canonical = base + p.Home
	p.Crumbs = nil
	for _, l := range kb.Locales {
		p.Alternates = append(p.Alternates, alternate{Lang: l, URL: base + "/help/" + l, Name: h.cats[l].T("lang.name")})
	}
	p.Alternates = append(p.Alternates, alternate{Lang: "x-default", URL: base + "/help"})
	p.Switch = otherLocales(p.Alternates, loc)
	p.JSONLD = append(p.JSONLD, jsonLD(map[string]any{
		"@context": "https://schema.org", "@type": "WebSite", "name": p.SiteName, "url": p.Canonical, "inLanguage": loc,
		"potentialAction": map[string]any{"@type": "SearchAction",
			"target": base + "/help/" + loc + "/search?q={search_term_string}", "query-input": "required name=search_term_string"},
	}))
	if len(questions) > 0 {
		p.JSONLD = append(p.JSONLD, jsonLD(map[string]any{"@context": "https://schema.org", "@type": "FAQPage", "mainEntity": questions}))
	}
	p.Body = body
	h.render(w, r, http.StatusOK, "home", p, cachePublic)
}

type categoryBody struct {
	Name        string
	Description string
	Articles    []articleLink // directly in the category
	Sections    []categoryBlock
}

func (h *Handler) category(w http.ResponseWriter, r *http.Request) {
	loc, slug := r.PathValue("locale"), r.PathValue("slug")
	if !kb.ValidLocale(loc) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	ctx := r.Context()
	c, err := h.d.KB.CategoryBySlug(ctx, loc, slug)
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	p := h.newPage(r, loc)
	var parent *desk.KBCategory
	if c.ParentID != 0 {
		if parent, err = h.d.KB.Category(ctx, c.ParentID); err != nil {
			h.fail(w, r, loc, err)
			return
		}
	}
	var sections []desk.KBCategory
	if c.ParentID == 0 {
		tree, err := h.d.KB.Tree(ctx, loc)
		if err != nil {
			h.fail(w, r, loc, err)
			return
		}
		for _, t := range tree {
			if t.ID == c.ID {
				sections = t.Sections
			}
		}
	}
	arts, err := h.d.KB.Articles(ctx, desk.ArticleQuery{Locale: loc, CategoryID: c.ID, Public: true, Limit: maxArticles})
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	body := categoryBody{Name: c.Name, Description: c.Description}
	bySection := map[int64][]articleLink{}
	for i := range arts {
		l := h.linkOf(&arts[i])
		if arts[i].CategoryID == c.ID {
			body.Articles = append(body.Articles, l)
		} else {
			bySection[arts[i].CategoryID] = append(bySection[arts[i].CategoryID], l)
		}
	}
	for _, s := range sections {
		body.Sections = append(body.Sections, categoryBlock{Name: s.Name, Description: s.Description,
			URL: categoryPath(loc, s.Slug), Articles: bySection[s.ID], Count: len(bySection[s.ID])})
	}

	base := h.baseURL(r)
	p.Title = c.Name + " – " + p.SiteName
	p.Description = c.Description
	if p.Description == "" {
		p.Description = p.L.T("category.description", c.Name, p.Theme.Name)
	}
	p.Canonical = base + categoryPath(loc, c.Slug)
	if parent != nil {
		p.Crumbs = append(p.Crumbs, crumb{Name: parent.Name, Path: categoryPath(loc, parent.Slug)})
	}
	p.Crumbs = append(p.Crumbs, crumb{Name: c.Name})
	alts, err := h.categoryAlternates(ctx, base, c)
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	p.Alternates = alts
	p.Switch = h.switcher(alts, loc)
	p.JSONLD = append(p.JSONLD, breadcrumbLD(base, p.Crumbs, p.Canonical))
	p.Body = body
	h.render(w, r, http.StatusOK, "category", p, cachePublic)
}

// categoryAlternates are a category's language versions (itself included)
// and the x-default, the default locale's version.
func (h *Handler) categoryAlternates(ctx context.Context, base string, c *desk.KBCategory) ([]alternate, error) {
	var alts []alternate
	for _, l := range kb.Locales {
		if l == c.Locale {
			alts = append(alts, alternate{Lang: l, URL: base + categoryPath(l, c.Slug), Name: h.cats[l].T("lang.name")})
			continue
		}
		all, err := h.d.KB.Categories(ctx, l)
		if err != nil {
			return nil, err
		}
		for _, o := range all {
			if o.GroupID == c.GroupID {
				alts = append(alts, alternate{Lang: l, URL: base + categoryPath(l, o.Slug), Name: h.cats[l].T("lang.name")})
				break
			}
		}
	}
	return withDefault(alts), nil
}

// withDefault adds the x-default alternate: the default locale's version,
// else the first. A page without translations gets none: hreflang is for
// pages that have them.
func withDefault(alts []alternate) []alternate {
	if len(alts) < 2 {
		return nil
	}
	def := alts[0]
	for _, a := range alts {
		if a.Lang == defaultLocale {
			def = a
		}
	}
	return append(alts, alternate{Lang: "x-default", URL: def.URL})
}

// switcher is the language switcher: the page's translations, else the
// other locales' homes.
func (h *Handler) switcher(alts []alternate, loc string) []alternate {
	out := otherLocales(alts, loc)
	have := map[string]bool{}
	for _, a := range out {
		have[a.Lang] = true
	}
	for _, l := range kb.Locales {
		if l != loc && !have[l] {
			out = append(out, alternate{Lang: l, URL: "/help/" + l, Name: h.cats[l].T("lang.name")})
		}
	}
	return out
}

func otherLocales(alts []alternate, loc string) []alternate {
	var out []alternate
	for _, a := range alts {
		if a.Lang != loc && a.Lang != "x-default" {
			out = append(out, a)
		}
	}
	return out
}

type articleBody struct {
	Title       string
	HTML        template.HTML
	TOC         []markdown.Heading
	Updated     time.Time
	Reviewed    *time.Time
	Related     []articleLink
	SearchID    int64
	Thanks      bool
	NotHelpful  bool // the thank-you follows a "no"
	FeedbackURL string
	Context     string
	CV          string // the contact-page visit the article was opened from
}

func (h *Handler) article(w http.ResponseWriter, r *http.Request) {
	loc, slug := r.PathValue("locale"), r.PathValue("slug")
	if !kb.ValidLocale(loc) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	ctx := r.Context()
	a, err := h.d.KB.PublicArticle(ctx, loc, slug)
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	p := h.newPage(r, loc)
	q := r.URL.Query()
	visitor := kb.Visitor{IP: clientIP(r)}
	h.d.KB.View(ctx, a.ID, p.Context, loc, visitor)
	searchID, _ := strconv.ParseInt(q.Get("s"), 10, 64)
	if searchID < 0 {
		searchID = 0
	}
	if searchID > 0 {
		if err := h.d.KB.Click(ctx, searchID, a.ID, visitor); err != nil {
			// The customer still gets the article; only learning is lost.
			h.log.Warn("helpcenter: recording a click", "err", err)
		}
	}
	rendered := h.d.KB.Render(a)
	related, err := h.d.KB.Related(ctx, a, true)
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}
	translations, err := h.d.KB.Translations(ctx, a, true)
	if err != nil {
		h.fail(w, r, loc, err)
		return
	}

	body := articleBody{Title: a.Title, HTML: rendered.HTML, Updated: a.UpdatedAt.In(h.loc), SearchID: searchID,
		Thanks: q.Get("thanks") == "1", NotHelpful: q.Get("helpful") == "no",
		FeedbackURL: articlePath(loc, a.Slug) + "/feedback", Context: p.Context}
	if cv := q.Get("cv"); cv != "" && h.sign.visitID(ctx, cv) != 0 {
		// Opened from the contact page's answers: the visit found one,
		// and contact from here still counts on the same visit.
		body.CV = cv
		h.markAnswered(ctx, cv)
		if p.Contact != nil {
			p.Contact.URL += "?cv=" + url.QueryEscape(cv)
		}
	}
	if a.ReviewedAt != nil {
		t := a.ReviewedAt.In(h.loc)
		body.Reviewed = &t
	}
	if len(rendered.Headings) >= 3 {
		body.TOC = rendered.Headings
	}
	for i := range related {
		body.Related = append(body.Related, h.linkOf(&related[i]))
	}

	base := h.baseURL(r)
	p.Title = a.Title + " – " + p.SiteName
	p.Description = description(a, rendered)
	p.Canonical = base + articlePath(loc, a.Slug)
	p.OGType = "article"
	if a.CategoryID != 0 {
		crumbs, err := h.categoryCrumbs(ctx, loc, a.CategoryID)
		if err != nil {
			h.fail(w, r, loc, err)
			return
		}
		p.Crumbs = append(p.Crumbs, crumbs...)
	}
	p.Crumbs = append(p.Crumbs, crumb{Name: a.Title})
	alts := []alternate{{Lang: loc, URL: p.Canonical, Name: p.L.T("lang.name")}}
	for _, t := range translations {
		if kb.ValidLocale(t.Locale) {
			alts = append(alts, alternate{Lang: t.Locale, URL: base + articlePath(t.Locale, t.Slug), Name: h.cats[t.Locale].T("lang.name")})
		}
	}
	p.Alternates = withDefault(alts)
	p.Switch = h.switcher(p.Alternates, loc)
	ld := map[string]any{"@context": "https://schema.org", "@type": "Article", "headline": a.Title,
		"description": p.Description, "inLanguage": loc, "dateModified": a.UpdatedAt.UTC().Format(time.RFC3339),
		"mainEntityOfPage": p.Canonical, "publisher": map[string]any{"@type": "Organization", "name": p.Theme.Name}}
	if a.PublishedAt != nil {
		ld["datePublished"] = a.PublishedAt.UTC().Format(time.RFC3339)
	}
	p.JSONLD = append(p.JSONLD, jsonLD(ld), breadcrumbLD(base, p.Crumbs, p.Canonical))
	p.Body = body
	cache := cachePublic
	if searchID > 0 || body.Thanks || body.CV != "" {
		cache = cachePrivate
	}
	h.render(w, r, http.StatusOK, "article", p, cache)
}

// categoryCrumbs are the breadcrumbs of a category or section.
func (h *Handler) categoryCrumbs(ctx context.Context, loc string, id int64) ([]crumb, error) {
	c, err := h.d.KB.Category(ctx, id)
	if errors.Is(err, desk.ErrNotFound) {
		return nil, nil // the article outlived its category: no crumb rather than no page
	}
	if err != nil {
		return nil, err
	}
	out := []crumb{{Name: c.Name, Path: categoryPath(loc, c.Slug)}}
	if c.ParentID != 0 {
		parent, err := h.d.KB.Category(ctx, c.ParentID)
		if err == nil {
			out = append([]crumb{{Name: parent.Name, Path: categoryPath(loc, parent.Slug)}}, out...)
		} else if !errors.Is(err, desk.ErrNotFound) {
			return nil, err
		}
	}
	return out, nil
}

// breadcrumbLD is the schema.org BreadcrumbList of a page's crumbs; the
// last, the page itself, has the canonical URL.
func breadcrumbLD(base string, crumbs []crumb, canonical string) template.JS {
	items := make([]map[string]any, 0, len(crumbs))
	for i, c := range crumbs {
		u := canonical
		if c.Path != "" {
			u = base + c.Path
		}
		items = append(items, map[string]any{"@type": "ListItem", "position": i + 1, "name": c.Name, "item": u})
	}
	return jsonLD(map[string]any{"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items})
}

// description is an article's meta description: the author's, else the
// body's first paragraph.
func description(a *desk.Article, r markdown.Rendered) string {
	if a.Description != "" {
		return a.Description
	}
	return r.Summary
}

func (h *Handler) linkOf(a *desk.Article) articleLink {
	return articleLink{Title: a.Title, URL: articlePath(a.Locale, a.Slug), Summary: description(a, h.d.KB.Render(a))}
}

func articlePath(loc, slug string) string  { return "/help/" + loc + "/a/" + url.PathEscape(slug) }
func categoryPath(loc, slug string) string { return "/help/" + loc + "/c/" + url.PathEscape(slug) }

type searchBody struct {
	Query   string
	Hits    []searchHit
	Popular []articleLink
	Error   string
}

type searchHit struct {
	Title   string
	URL     string
	Snippet template.HTML
}

// maxSearchResults is how many results the search page shows.
const maxSearchResults = 20

func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	loc := r.PathValue("locale")
	if !kb.ValidLocale(loc) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	ctx := r.Context()
	p := h.newPage(r, loc)
	query := strings.TrimSpace(r.URL.Query().Get("q"))
	p.Query = query
	p.Robots = "noindex, follow" // result pages are thin and endless
	p.Canonical = h.baseURL(r) + "/help/" + loc + "/search"
	if query != "" {
		p.Canonical += "?q=" + url.QueryEscape(query)
	}
	p.Crumbs = append(p.Crumbs, crumb{Name: p.L.T("search.crumb")})
	p.Switch = h.switcher(nil, loc)
	for i := range p.Switch {
		p.Switch[i].URL = "/help/" + p.Switch[i].Lang + "/search?q=" + url.QueryEscape(query)
	}
	body := searchBody{Query: query}
	status := http.StatusOK
	if query == "" {
		p.Title = p.L.T("search.title.empty") + " – " + p.SiteName
	} else {
		p.Title = p.L.T("search.title", query) + " – " + p.SiteName
		res, err := h.d.KB.Search(ctx, kb.SearchRequest{Query: query, Locale: loc, Source: desk.SourceHelpCenter,
			Context: p.Context, Visitor: kb.Visitor{IP: clientIP(r)}, Limit: maxSearchResults})
		switch {
		case errors.Is(err, desk.ErrInvalid):
			status, body.Error = http.StatusBadRequest, p.L.T("search.invalid")
		case err != nil:
			h.fail(w, r, loc, err)
			return
		}
		for _, hit := range res.Hits {
			u := articlePath(loc, hit.Article.Slug)
			if res.SearchID > 0 {
				u += "?s=" + strconv.FormatInt(res.SearchID, 10)
			}
			snip := highlight(hit.Snippet, hit.Highlights)
			if hit.Snippet == "" {
				snip = template.HTML(template.HTMLEscapeString(description(hit.Article, h.d.KB.Render(hit.Article))))
			}
			body.Hits = append(body.Hits, searchHit{Title: hit.Article.Title, URL: u, Snippet: snip})
		}
	}
	if len(body.Hits) == 0 {
		faq, err := h.d.KB.FAQ(ctx, kb.FAQRequest{Locale: loc, Context: p.Context})
		if err != nil {
			h.fail(w, r, loc, err)
			return
		}
		for i := range faq {
			body.Popular = append(body.Popular, h.linkOf(&faq[i]))
		}
	}
	p.Description = p.Title
	p.Body = body
	// Result links carry this visitor's search id.
	h.render(w, r, status, "search", p, cachePrivate)
}

type suggestion struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Kind  string `json:"kind,omitempty"` // "flow" for a guided flow; articles have none
}

func (h *Handler) suggest(w http.ResponseWriter, r *http.Request) {
	loc := r.PathValue("locale")
	if !kb.ValidLocale(loc) {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	out := []suggestion{}
	if q != "" && len(q) <= 200 {
		// The contact page asks for flows too, first: a flow walks the
		// customer through their problem.
		if r.URL.Query().Get("flows") == "1" {
			flows, err := h.matchingFlows(r.Context(), loc, q, contactFlows)
			if err != nil {
				h.log.Warn("helpcenter: suggest flows", "err", err)
			}
			for _, f := range flows {
				out = append(out, suggestion{Title: f.Title, URL: flowPath(loc, f.Slug), Kind: "flow"})
			}
		}
		for _, s := range h.d.KB.Suggest(q, loc, false, 8) {
			if s.Slug != "" && s.Locale == loc {
				out = append(out, suggestion{Title: s.Title, URL: articlePath(loc, s.Slug)})
			}
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=30")
	json.NewEncoder(w).Encode(out)
}
