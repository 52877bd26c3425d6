// Package helpcenter is the public help center at /help: the knowledge
// base's articles, categories, search and contextual FAQ as server-rendered
// pages that work without JavaScript and that search engines can index
// (canonical links, hreflang alternates, OpenGraph, schema.org JSON-LD, a
// sitemap and robots.txt). Customers can tell whether an article helped.
// Guided flows are pages too, answered by posting forms. The contact page
// answers before it offers contact, and counts the visits it deflected.
//
// It imports desk, kb, kb/markdown, flow, front, conversation, contact and
// lang; of storage it sees only the settings and the contact visits it is
// given.
package helpcenter

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/feedback"
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/kb"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// defaultLocale is the help center's language when the visitor's cannot be
// told.
const defaultLocale = "nl"

// Deps are what the help center needs.
type Deps struct {
	KB    *kb.Service
	Clock desk.Clock
	Log   *slog.Logger
	// BaseURL is the site's absolute address ("https://help.example.com")
	// for canonical links and the sitemap; "" derives it from each request.
	BaseURL string
	// WidgetKey returns the public key of the inbox whose chat widget the
	// pages embed; nil or "" embeds none. It is asked per page, so a chat
	// inbox added later shows up without a restart.
	WidgetKey func(ctx context.Context) string

	// Flows serves the published flows as pages; nil shows none.
	Flows *flow.Service
	// Front tells the topic of a contact-page question; nil records none.
	Front *front.Service
	// Visits records contact-page visits for deflection; nil records none.
	Visits desk.ContactVisitStore
	// Settings holds the contact options (see ContactSettings) and the
	// key that signs the forms; nil offers no contact forms.
	Settings desk.SettingStore
	// Conversations takes the email form's messages and callback requests
	// into the inbox the contact settings name; nil offers no forms.
	Conversations *conversation.Service
	// Portal serves the customer portal and the case status pages
	// (portal.go); nil leaves them out.
	Portal *Portal
	// Feedback serves the satisfaction survey and the compliment form;
	// nil offers neither.
	Feedback *feedback.Service
}

// Handler serves the help center.
type Handler struct {
	d      Deps
	log    *slog.Logger
	loc    *time.Location
	cats   map[string]catalog
	pages  map[string]*template.Template
	static map[string]staticFile
	posts  *limiter // article feedback
	forms  *limiter // contact forms
	// flowLimit bounds flow answers: a customer answers a step every few
	// seconds at most.
	flowLimit *limiter
	sign      *signer
	portal    *portalState // nil without Deps.Portal
}

type staticFile struct {
	body        []byte
	contentType string
	hash        string // of the content: the cache-busting version and ETag
}

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"home", "category", "article", "search", "error", "flow", "contact", "survey", "compliment", "account", "status"}

// New parses every template and checks the catalogues; a broken one fails
// here, at boot, rather than on a customer's request.
func New(d Deps) (*Handler, error) {
	if d.KB == nil {
		return nil, errors.New("helpcenter: new: KB is required")
	}
	if d.Clock == nil {
		d.Clock = desk.SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	d.BaseURL = strings.TrimRight(strings.TrimSpace(d.BaseURL), "/")
	h := &Handler{d: d, log: d.Log, posts: newLimiter(d.Clock, 10, time.Minute, 10_000),
		forms:     newLimiter(d.Clock, 5, 10*time.Minute, 10_000),
		flowLimit: newLimiter(d.Clock, 30, time.Minute, 10_000),
		sign:      &signer{st: d.Settings, clock: d.Clock}, portal: newPortalState(d.Portal, d.Clock)}
	// Dates are shown as a Dutch company's customers see them; without
	// the time zone database UTC is a day off at most around midnight.
	if loc, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		h.loc = loc
	} else {
		h.loc = time.UTC
	}
	cats, err := loadCatalogs(localeFS)
	if err != nil {
		return nil, fmt.Errorf("helpcenter: new: %w", err)
	}
	for _, l := range kb.Locales {
		if _, ok := cats[l]; !ok {
			return nil, fmt.Errorf("helpcenter: new: no catalogue for %s", l)
		}
	}
	h.cats = cats
	if err := h.loadStatic(); err != nil {
		return nil, fmt.Errorf("helpcenter: new: %w", err)
	}
	h.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(h.funcs()).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("helpcenter: new: parse %s: %w", name, err)
		}
		h.pages[name] = t
	}
	return h, nil
}

func (h *Handler) loadStatic() error {
	h.static = map[string]staticFile{}
	return fs.WalkDir(staticFS, "static", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := "application/octet-stream"
		switch {
		case strings.HasSuffix(p, ".css"):
			ct = "text/css; charset=utf-8"
		case strings.HasSuffix(p, ".js"):
			ct = "text/javascript; charset=utf-8"
		case strings.HasSuffix(p, ".svg"):
			ct = "image/svg+xml"
		}
		h.static[strings.TrimPrefix(p, "static/")] = staticFile{body: b, contentType: ct, hash: hex.EncodeToString(sum[:8])}
		return nil
	})
}

// Routes registers the help center's routes.
//
// Search and suggestions share one pattern with the locale's other
// one-segment pages: "/help/{locale}/search" and "/help/static/{file}"
// would both match "/help/static/search", which ServeMux refuses.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /help", h.redirectToLocale)
	mux.HandleFunc("GET /help/{$}", h.redirectToLocale)
	mux.HandleFunc("GET /help/{locale}", h.home)
	mux.HandleFunc("GET /help/{locale}/{page}", h.localePage)
	mux.HandleFunc("GET /help/{locale}/c/{slug}", h.category)
	mux.HandleFunc("GET /help/{locale}/a/{slug}", h.article)
	mux.HandleFunc("POST /help/{locale}/a/{slug}/feedback", h.feedback)
	mux.HandleFunc("GET /help/{locale}/flows/{slug}", h.flowPage)
	mux.HandleFunc("POST /help/{locale}/flows/{slug}", h.flowAnswer)
	// The contact forms have literal paths: "POST /help/{locale}/{page}"
	// would need a wildcard the route walk knows nothing of.
	mux.HandleFunc("POST /help/{locale}/contact/email", h.contactPost("email"))
	mux.HandleFunc("POST /help/{locale}/contact/callback", h.contactPost("callback"))
	mux.HandleFunc("POST /help/{locale}/contact/chosen", h.chosen)
	h.portalRoutes(mux)
	mux.HandleFunc("GET /help/{locale}/survey/{token}", h.surveyPage)
	mux.HandleFunc("POST /help/{locale}/survey/{token}", h.surveyPost)
	mux.HandleFunc("POST /help/{locale}/compliment", h.complimentPost)
	mux.HandleFunc("GET /help/static/{file}", h.serveStatic)
	mux.HandleFunc("GET /help/", h.notFoundRoute)
	mux.HandleFunc("GET /robots.txt", h.robots)
	mux.HandleFunc("GET /sitemap.xml", h.sitemap)
}

// localePage dispatches /help/{locale}/{page}.
func (h *Handler) localePage(w http.ResponseWriter, r *http.Request) {
	switch r.PathValue("page") {
	case "search":
		h.search(w, r)
	case "suggest":
		h.suggest(w, r)
	case "contact":
		h.contact(w, r)
	case "compliment":
		h.complimentPage(w, r)
	case "account":
		if h.portal == nil {
			h.notFound(w, r, h.requestLocale(r))
			return
		}
		h.account(w, r)
	default:
		h.notFound(w, r, h.requestLocale(r))
	}
}

// notFoundRoute answers every other path under /help; "/help/nl/" is the
// home with a slash too many.
func (h *Handler) notFoundRoute(w http.ResponseWriter, r *http.Request) {
	if home, ok := strings.CutSuffix(r.URL.Path, "/"); ok && kb.ValidLocale(strings.TrimPrefix(home, "/help/")) {
		http.Redirect(w, r, home, http.StatusMovedPermanently)
		return
	}
	h.notFound(w, r, h.requestLocale(r))
}

// redirectToLocale sends /help to the visitor's language.
func (h *Handler) redirectToLocale(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Accept-Language")
	w.Header().Set("Cache-Control", "private, max-age=0")
	target := "/help/" + negotiate(r.Header.Get("Accept-Language"))
	if q := r.URL.Query().Get("context"); q != "" {
		target += "?context=" + urlQueryEscape(q)
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// requestLocale is the locale in the path when it is one, else the
// visitor's preferred one.
func (h *Handler) requestLocale(r *http.Request) string {
	if l := r.PathValue("locale"); kb.ValidLocale(l) {
		return l
	}
	if seg, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/help/"), "/"); kb.ValidLocale(seg) {
		return seg
	}
	return negotiate(r.Header.Get("Accept-Language"))
}

func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := h.static[r.PathValue("file")]
	if !ok {
		h.notFound(w, r, h.requestLocale(r))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.contentType)
	etag := `"` + f.hash + `"`
	hd.Set("ETag", etag)
	// Pages link with ?v=<hash>: that URL's content never changes.
	if r.URL.Query().Get("v") == f.hash {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "public, max-age=3600")
	}
	if m := r.Header.Get("If-None-Match"); m != "" && strings.Contains(m, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", fmt.Sprint(len(f.body)))
	if r.Method != http.MethodHead {
		w.Write(f.body)
	}
}

// clientIP is the visitor's address; the server's middleware has already
// put the real client address in RemoteAddr.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// baseURL is the site's absolute address for canonical links.
func (h *Handler) baseURL(r *http.Request) string {
	if h.d.BaseURL != "" {
		return h.d.BaseURL
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0]), "https") {
		scheme = "https"
	}
	host := r.Host
	if !validHost(host) {
		host = "localhost"
	}
	return scheme + "://" + host
}

// validHost keeps a hostile Host header out of canonical links.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}
