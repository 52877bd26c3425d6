package helpcenter

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
)

// robots tells crawlers to index the help center and nothing else; search
// results are left out so that crawlers do not fill the search log.
func (h *Handler) robots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	io.WriteString(w, "User-agent: *\n"+
		"Allow: /help\n"+
		"Disallow: /help/*/search\n"+
		"Disallow: /help/*/suggest\n"+
		"Disallow: /help/*/contact?\n"+
		"Disallow: /help/*/flows/*?\n"+
		"Disallow: /app\n"+
		"Disallow: /admin\n"+
		"Disallow: /api\n"+
		"Disallow: /widget\n"+
		"\n"+
		"Sitemap: "+h.baseURL(r)+"/sitemap.xml\n")
}

// The sitemap format with hreflang alternates
// (https://www.sitemaps.org/protocol.html, and Google's xhtml:link
// extension).
type urlset struct {
	XMLName xml.Name     `xml:"urlset"`
	Xmlns   string       `xml:"xmlns,attr"`
	XHTML   string       `xml:"xmlns:xhtml,attr"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string        `xml:"loc"`
	LastMod string        `xml:"lastmod,omitempty"`
	Links   []sitemapLink `xml:"xhtml:link"`
}

type sitemapLink struct {
	Rel      string `xml:"rel,attr"`
	Hreflang string `xml:"hreflang,attr"`
	Href     string `xml:"href,attr"`
}

// sitemap lists the homes, every category with public articles, every
// public article and every published flow, each with its language
// versions.
func (h *Handler) sitemap(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	base := h.baseURL(r)
	var arts []desk.Article
	for offset := 0; ; offset += maxArticles {
		page, err := h.d.KB.Articles(ctx, desk.ArticleQuery{Public: true, Limit: maxArticles, Offset: offset})
		if err != nil {
			h.sitemapError(w, r, err)
			return
		}
		arts = append(arts, page...)
		if len(page) < maxArticles {
			break
		}
	}
	cats, err := h.d.KB.Categories(ctx, "")
	if err != nil {
		h.sitemapError(w, r, err)
		return
	}
	set := urlset{Xmlns: "http://www.sitemaps.org/schemas/sitemap/0.9", XHTML: "http://www.w3.org/1999/xhtml"}

	homes := make([]alternate, 0, len(kb.Locales))
	for _, l := range kb.Locales {
		homes = append(homes, alternate{Lang: l, URL: base + "/help/" + l})
	}
	homeLinks := links(append(homes, alternate{Lang: "x-default", URL: base + "/help"}))
	for _, a := range homes {
		set.URLs = append(set.URLs, sitemapURL{Loc: a.URL, Links: homeLinks})
	}

	// Categories count when they or their sections hold a public article,
	// and are dated by their newest one.
	parent := map[int64]int64{}
	for _, c := range cats {
		parent[c.ID] = c.ParentID
	}
	newest := map[int64]time.Time{}
	bump := func(id int64, t time.Time) {
		if t.After(newest[id]) {
			newest[id] = t
		}
	}
	articleGroups := map[int64][]alternate{}
	for _, a := range arts {
		if !kb.ValidLocale(a.Locale) {
			continue
		}
		if a.CategoryID != 0 {
			bump(a.CategoryID, a.UpdatedAt)
			if p := parent[a.CategoryID]; p != 0 {
				bump(p, a.UpdatedAt)
			}
		}
		articleGroups[a.GroupID] = append(articleGroups[a.GroupID], alternate{Lang: a.Locale, URL: base + articlePath(a.Locale, a.Slug)})
	}
	categoryGroups := map[int64][]alternate{}
	for _, c := range cats {
		if _, ok := newest[c.ID]; ok && kb.ValidLocale(c.Locale) {
			categoryGroups[c.GroupID] = append(categoryGroups[c.GroupID], alternate{Lang: c.Locale, URL: base + categoryPath(c.Locale, c.Slug)})
		}
	}
	for _, c := range cats {
		if _, ok := newest[c.ID]; !ok || !kb.ValidLocale(c.Locale) {
			continue
		}
		lastmod := c.UpdatedAt
		if newest[c.ID].After(lastmod) {
			lastmod = newest[c.ID]
		}
		set.URLs = append(set.URLs, sitemapURL{Loc: base + categoryPath(c.Locale, c.Slug), LastMod: w3cDate(lastmod),
			Links: links(withDefault(categoryGroups[c.GroupID]))})
	}
	for _, a := range arts {
		if !kb.ValidLocale(a.Locale) {
			continue
		}
		set.URLs = append(set.URLs, sitemapURL{Loc: base + articlePath(a.Locale, a.Slug), LastMod: w3cDate(a.UpdatedAt),
			Links: links(withDefault(articleGroups[a.GroupID]))})
	}
	if h.d.Flows != nil {
		flows, err := h.d.Flows.PublicFlows(ctx, "")
		if err != nil {
			h.sitemapError(w, r, err)
			return
		}
		flowGroups := map[int64][]alternate{}
		for _, f := range flows {
			if kb.ValidLocale(f.Locale) {
				flowGroups[f.GroupID] = append(flowGroups[f.GroupID], alternate{Lang: f.Locale, URL: base + flowPath(f.Locale, f.Slug)})
			}
		}
		for _, f := range flows {
			if kb.ValidLocale(f.Locale) {
				set.URLs = append(set.URLs, sitemapURL{Loc: base + flowPath(f.Locale, f.Slug), LastMod: w3cDate(f.UpdatedAt),
					Links: links(withDefault(flowGroups[f.GroupID]))})
			}
		}
	}

	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	if err := enc.Encode(set); err != nil {
		h.sitemapError(w, r, err)
		return
	}
	buf.WriteByte('\n')
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

func (h *Handler) sitemapError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("helpcenter: sitemap", "err", err)
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}

func links(alts []alternate) []sitemapLink {
	out := make([]sitemapLink, 0, len(alts))
	for _, a := range alts {
		out = append(out, sitemapLink{Rel: "alternate", Hreflang: a.Lang, Href: a.URL})
	}
	return out
}

func w3cDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
