package helpcenter

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
)

// page is what every template gets; Body holds the page's own data.
type page struct {
	L      catalog
	Locale string
	// Title is the whole <title>; Heading the page's h1.
	Title       string
	Description string
	Canonical   string
	Alternates  []alternate
	OGType      string
	Robots      string // "" lets engines index the page
	JSONLD      []template.JS
	Theme       themeView
	SiteName    string
	Home        string // this locale's home path
	CSS, JS     string // versioned paths of the static files
	WidgetKey   string
	Query       string // the search box's value
	Context     string // carried through the search form
	Crumbs      []crumb
	Contact     *contactView // the "still need help?" block
	ContactNav  string       // the contact page, for the header and footer
	Switch      []alternate  // the language switcher
	Body        any
}

// alternate is one language version of a page.
type alternate struct {
	Lang string // "nl", "en" or "x-default"
	URL  string
	Name string // the language's own name, for the switcher
}

// crumb is one step of the breadcrumbs; the last has no link.
type crumb struct {
	Name string
	Path string
}

type contactView struct {
	URL string // the contact page, with the visit when there is one
}

type themeView struct {
	Name      string
	LogoURL   string
	Primary   string // #rrggbb
	OnPrimary string // text on Primary
	Link      string // Primary, darkened until it reads on white
	Links     []kb.Link
	Footer    string
}

// newPage fills in what every page of a locale shows.
func (h *Handler) newPage(r *http.Request, locale string) *page {
	th, err := h.d.KB.Theme(r.Context())
	if err != nil {
		h.log.Warn("helpcenter: theme", "err", err)
		th = kb.DefaultTheme
	}
	l := h.cats[locale]
	widget := ""
	if h.d.WidgetKey != nil {
		widget = h.d.WidgetKey(r.Context())
	}
	p := &page{L: l, Locale: locale, Theme: themeOf(th), Home: "/help/" + locale, WidgetKey: widget,
		SiteName: l.T("site.name", th.Name), OGType: "website",
		CSS: h.versioned("help.css"), JS: h.versioned("help.js"), Context: r.URL.Query().Get("context")}
	p.Crumbs = []crumb{{Name: l.T("crumb.home"), Path: p.Home}}
	// Every way to contact the company goes through the contact page,
	// which answers first.
	if h.contactOptionsOf(r.Context(), th, widget).Any() {
		p.ContactNav = contactPath(locale)
		p.Contact = &contactView{URL: p.ContactNav}
	}
	return p
}

func (h *Handler) versioned(name string) string {
	return "/help/static/" + name + "?v=" + h.static[name].hash
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page, cache string) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("helpcenter: render", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", cache)
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// Cache policies.
const (
	cachePublic  = "public, max-age=60"
	cachePrivate = "private, no-store"
)

// errorBody is the error page's content.
type errorBody struct {
	Status  int
	Heading string
	Message string
}

// fail shows the error page for err: not found, invalid input, or (logged)
// anything else.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, locale string, err error) {
	switch {
	case errors.Is(err, desk.ErrNotFound):
		h.notFound(w, r, locale)
	case errors.Is(err, desk.ErrInvalid):
		h.errorPage(w, r, locale, http.StatusBadRequest, "error.bad.heading", "error.bad.text")
	default:
		h.log.Error("helpcenter: request failed", "path", r.URL.Path, "err", err)
		h.errorPage(w, r, locale, http.StatusInternalServerError, "error.server.heading", "error.server.text")
	}
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, locale string) {
	h.errorPage(w, r, locale, http.StatusNotFound, "error.notfound.heading", "error.notfound.text")
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, locale string, status int, heading, text string) {
	p := h.newPage(r, locale)
	p.Robots = "noindex"
	p.Title = p.L.T(heading) + " – " + p.SiteName
	p.Canonical = h.baseURL(r) + p.Home
	p.Body = errorBody{Status: status, Heading: p.L.T(heading), Message: p.L.T(text)}
	h.render(w, r, status, "error", p, cachePrivate)
}

// jsonLD encodes schema.org data for a <script type="application/ld+json">.
// encoding/json escapes <, > and & (and U+2028/9), so no text in it can
// close the script element.
func jsonLD(v any) template.JS {
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps and strings go in: this cannot happen.
		return template.JS("{}")
	}
	return template.JS(b)
}

// highlight marks the ranges of a snippet, escaping every piece. Ranges
// that are out of order, overlap or leave the snippet are skipped: the
// index is trusted for positions, never for safety.
func highlight(snippet string, ranges [][2]int) template.HTML {
	var b strings.Builder
	pos := 0
	for _, rg := range ranges {
		start, end := rg[0], rg[1]
		if start < pos || end <= start || end > len(snippet) ||
			!utf8.RuneStart(snippet[start]) || end < len(snippet) && !utf8.RuneStart(snippet[end]) {
			continue
		}
		b.WriteString(template.HTMLEscapeString(snippet[pos:start]))
		b.WriteString("<mark>")
		b.WriteString(template.HTMLEscapeString(snippet[start:end]))
		b.WriteString("</mark>")
		pos = end
	}
	b.WriteString(template.HTMLEscapeString(snippet[pos:]))
	return template.HTML(b.String())
}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// themeOf turns the admin's theme into what the page needs, checking the
// colour again (a stored value may predate validation) and deriving
// colours with enough contrast.
func themeOf(t kb.Theme) themeView {
	c := t.PrimaryColor
	if !colorRe.MatchString(c) {
		c = kb.DefaultTheme.PrimaryColor
	}
	v := themeView{Name: t.Name, LogoURL: t.LogoURL, Primary: c, Links: t.Links, Footer: t.Footer}
	rgb := parseHex(c)
	if contrast(rgb, [3]float64{255, 255, 255}) >= 4.5 {
		v.OnPrimary = "#ffffff"
	} else {
		v.OnPrimary = "#111111"
	}
	link := rgb
	for i := 0; i < 20 && contrast(link, [3]float64{255, 255, 255}) < 4.5; i++ {
		for j := range link {
			link[j] *= 0.85
		}
	}
	v.Link = toHex(link)
	return v
}

func parseHex(c string) [3]float64 {
	var out [3]float64
	for i := range 3 {
		n, _ := strconv.ParseUint(c[1+2*i:3+2*i], 16, 8)
		out[i] = float64(n)
	}
	return out
}

func toHex(c [3]float64) string {
	b := []byte{'#'}
	for _, v := range c {
		b = append(b, []byte(strconv.FormatUint(uint64(math.Round(v))|0x100, 16))[1:]...)
	}
	return string(b)
}

// contrast is the WCAG contrast ratio of two sRGB colours.
func contrast(a, b [3]float64) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c [3]float64) float64 {
	var ch [3]float64
	for i, v := range c {
		v /= 255
		if v <= 0.03928 {
			ch[i] = v / 12.92
		} else {
			ch[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
}

// funcs are the template functions.
func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"inc": func(i int) int { return i + 1 },
	}
}
