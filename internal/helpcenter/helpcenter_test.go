package helpcenter

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/kb"
)

func kbTheme(colour string) kb.Theme { return kb.Theme{Name: "T", PrimaryColor: colour} }

func TestRoutes(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		long := strings.Repeat("fiets ", 60)
		tests := []struct {
			name     string
			target   string
			headers  map[string]string
			status   int
			location string
			want     []string
			notWant  []string
			cache    string
		}{
			{name: "help redirects to Dutch by default", target: "/help", status: http.StatusFound, location: "/help/nl"},
			{name: "help redirects to English", target: "/help", headers: map[string]string{"Accept-Language": "en-GB,en;q=0.9"},
				status: http.StatusFound, location: "/help/en"},
			{name: "help weighs languages", target: "/help/", headers: map[string]string{"Accept-Language": "en;q=0.3, nl-BE;q=0.8"},
				status: http.StatusFound, location: "/help/nl"},
			{name: "help keeps the context", target: "/help?context=/checkout", status: http.StatusFound, location: "/help/nl?context=%2Fcheckout"},
			{name: "home nl", target: "/help/nl", status: http.StatusOK, cache: cachePublic,
				want:    []string{`<html lang="nl">`, "Waarmee kunnen we je helpen?", "Bestellen", "Adres wijzigen", "Betaalmethoden", `action="/help/nl/search"`},
				notWant: []string{"Concept over adres", "Intern adresbeleid", ">Leeg<"}},
			{name: "home en", target: "/help/en", status: http.StatusOK,
				want: []string{`<html lang="en">`, "How can we help?", "Ordering", "Change your address"}},
			{name: "unknown locale", target: "/help/de", status: http.StatusNotFound,
				want: []string{"Pagina niet gevonden", `role="search"`}},
			{name: "category with a section", target: "/help/nl/c/bestellen", status: http.StatusOK, cache: cachePublic,
				want: []string{"<h1>Bestellen</h1>", "Alles over je bestelling", "Adres wijzigen", `href="/help/nl/c/betalen"`, "Betaalmethoden"}},
			{name: "section", target: "/help/nl/c/betalen", status: http.StatusOK,
				want: []string{"<h1>Betalen</h1>", `<a href="/help/nl/c/bestellen">Bestellen</a>`, "Betaalmethoden"}},
			{name: "unknown category", target: "/help/nl/c/bestaat-niet", status: http.StatusNotFound, want: []string{"Pagina niet gevonden"}},
			{name: "article", target: "/help/nl/a/adres-wijzigen", status: http.StatusOK, cache: cachePublic,
				want: []string{`<h1 id="article-h">Adres wijzigen</h1>`, "Op deze pagina", `href="#in-je-account"`,
					"Laatst bijgewerkt", "2 maart 2026", "gecontroleerd", "Heb je hier iets aan gehad?",
					`action="/help/nl/a/adres-wijzigen/feedback"`, `name="helpful" value="yes"`, "Gerelateerde artikelen",
					`href="/help/nl/a/betaalmethoden"`, `hreflang="en" lang="en">English</a>`},
				notWant: []string{`name="s"`}},
			{name: "article without enough headings has no contents", target: "/help/nl/a/betaalmethoden", status: http.StatusOK,
				notWant: []string{"Op deze pagina"}},
			{name: "article in English", target: "/help/en/a/change-address", status: http.StatusOK,
				want: []string{"Change your address", "Last updated", "2 March 2026", `lang="nl">Nederlands</a>`}},
			{name: "draft is not found", target: "/help/nl/a/concept", status: http.StatusNotFound},
			{name: "internal is not found", target: "/help/nl/a/intern", status: http.StatusNotFound},
			{name: "slug of another locale", target: "/help/en/a/adres-wijzigen", status: http.StatusNotFound, want: []string{"Page not found"}},
			{name: "thanks after yes", target: "/help/nl/a/adres-wijzigen?thanks=1", status: http.StatusOK, cache: cachePrivate,
				want: []string{"Bedankt voor je feedback!"}, notWant: []string{"Jammer dat dit niet hielp", `name="helpful"`}},
			{name: "thanks after no", target: "/help/nl/a/adres-wijzigen?thanks=1&helpful=no", status: http.StatusOK,
				want: []string{"Bedankt voor je feedback!", "Jammer dat dit niet hielp"}},
			{name: "search", target: "/help/nl/search?q=adres+wijzigen", status: http.StatusOK, cache: cachePrivate,
				want:    []string{"Resultaten voor ‘adres wijzigen’", "<mark>", `href="/help/nl/a/adres-wijzigen?s=`, `<meta name="robots" content="noindex, follow">`},
				notWant: []string{"Concept over adres", "Intern adresbeleid"}},
			{name: "search without results", target: "/help/nl/search?q=xylofoonstemmer", status: http.StatusOK,
				want: []string{"We hebben geen artikel gevonden", "Probeer andere woorden", "Veelgestelde vragen", "Adres wijzigen"}},
			{name: "empty search", target: "/help/nl/search", status: http.StatusOK, want: []string{"<h1>Zoeken</h1>"},
				notWant: []string{"We hebben geen artikel gevonden"}},
			{name: "search too long", target: "/help/nl/search?q=" + url.QueryEscape(long), status: http.StatusBadRequest,
				want: []string{"Die vraag is te lang"}},
			{name: "trailing slash", target: "/help/nl/", status: http.StatusMovedPermanently, location: "/help/nl"},
			{name: "unknown page of a locale", target: "/help/nl/bestaat-niet", status: http.StatusNotFound, want: []string{"Pagina niet gevonden"}},
			{name: "deep unknown path", target: "/help/nl/a/x/y/z", status: http.StatusNotFound, want: []string{"Pagina niet gevonden"}},
			{name: "stylesheet", target: "/help/static/help.css", status: http.StatusOK, want: []string{"--hc-primary"}},
			{name: "script", target: "/help/static/help.js", status: http.StatusOK, want: []string{"data-suggest"}},
			{name: "unknown static file", target: "/help/static/nope.css", status: http.StatusNotFound},
			{name: "robots", target: "/robots.txt", status: http.StatusOK,
				want: []string{"User-agent: *\n", "Allow: /help\n", "Disallow: /app\n", "Disallow: /admin\n", "Disallow: /api\n",
					"Disallow: /widget\n", "Sitemap: https://help.example.com/sitemap.xml\n"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := f.do(t, http.MethodGet, tt.target, nil, tt.headers)
				if res.status != tt.status {
					t.Fatalf("GET %s: status %d, want %d\n%s", tt.target, res.status, tt.status, res.body)
				}
				if tt.location != "" {
					if got := res.header.Get("Location"); got != tt.location {
						t.Errorf("Location = %q, want %q", got, tt.location)
					}
				}
				if tt.cache != "" {
					if got := res.header.Get("Cache-Control"); got != tt.cache {
						t.Errorf("Cache-Control = %q, want %q", got, tt.cache)
					}
				}
				for _, w := range tt.want {
					if !strings.Contains(res.body, w) {
						t.Errorf("GET %s: body lacks %q", tt.target, w)
					}
				}
				for _, w := range tt.notWant {
					if strings.Contains(res.body, w) {
						t.Errorf("GET %s: body has %q", tt.target, w)
					}
				}
			})
		}
	})
}

var (
	ldRe        = regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)
	canonicalRe = regexp.MustCompile(`<link rel="canonical" href="([^"]*)">`)
	hreflangRe  = regexp.MustCompile(`<link rel="alternate" hreflang="([^"]*)" href="([^"]*)">`)
	metaRe      = regexp.MustCompile(`<meta (?:name|property)="([^"]*)" content="([^"]*)">`)
	titleRe     = regexp.MustCompile(`<title>([^<]*)</title>`)
)

// seo is what a page tells search engines.
type seo struct {
	title     string
	canonical string
	hreflang  map[string]string
	meta      map[string]string
	ld        map[string]map[string]any // by @type
}

func parseSEO(t *testing.T, body string) seo {
	t.Helper()
	s := seo{hreflang: map[string]string{}, meta: map[string]string{}, ld: map[string]map[string]any{}}
	if m := titleRe.FindStringSubmatch(body); m != nil {
		s.title = html.UnescapeString(m[1])
	}
	if m := canonicalRe.FindStringSubmatch(body); m != nil {
		s.canonical = html.UnescapeString(m[1])
	}
	for _, m := range hreflangRe.FindAllStringSubmatch(body, -1) {
		s.hreflang[m[1]] = html.UnescapeString(m[2])
	}
	for _, m := range metaRe.FindAllStringSubmatch(body, -1) {
		s.meta[m[1]] = html.UnescapeString(m[2])
	}
	for _, m := range ldRe.FindAllStringSubmatch(body, -1) {
		var v map[string]any
		if err := json.Unmarshal([]byte(m[1]), &v); err != nil {
			t.Fatalf("JSON-LD does not parse: %v\n%s", err, m[1])
		}
		typ, _ := v["@type"].(string)
		s.ld[typ] = v
	}
	return s
}

func TestSEO(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		const base = "https://help.example.com"
		tests := []struct {
			name      string
			target    string
			title     string
			canonical string
			hreflang  map[string]string
			meta      map[string]string
			ldTypes   []string
		}{
			{name: "article with a translation", target: "/help/nl/a/adres-wijzigen?s=0&context=/checkout",
				title: "Adres wijzigen – Helpcentrum Fietsen & Co", canonical: base + "/help/nl/a/adres-wijzigen",
				hreflang: map[string]string{"nl": base + "/help/nl/a/adres-wijzigen", "en": base + "/help/en/a/change-address",
					"x-default": base + "/help/nl/a/adres-wijzigen"},
				meta: map[string]string{"description": "Zo wijzig je het bezorgadres van je bestelling.", "og:type": "article",
					"og:url": base + "/help/nl/a/adres-wijzigen", "og:locale": "nl_NL", "og:site_name": "Helpcentrum Fietsen & Co",
					"og:title": "Adres wijzigen – Helpcentrum Fietsen & Co", "og:description": "Zo wijzig je het bezorgadres van je bestelling."},
				ldTypes: []string{"Article", "BreadcrumbList"}},
			{name: "article without description uses the summary", target: "/help/en/a/change-address",
				title: "Change your address – Fietsen & Co Help Center", canonical: base + "/help/en/a/change-address",
				hreflang: map[string]string{"nl": base + "/help/nl/a/adres-wijzigen", "en": base + "/help/en/a/change-address",
					"x-default": base + "/help/nl/a/adres-wijzigen"},
				meta:    map[string]string{"description": "You can change your delivery address before we ship.", "og:locale": "en_GB"},
				ldTypes: []string{"Article", "BreadcrumbList"}},
			{name: "article without translation has no hreflang", target: "/help/nl/a/betaalmethoden",
				title: "Betaalmethoden – Helpcentrum Fietsen & Co", canonical: base + "/help/nl/a/betaalmethoden",
				hreflang: map[string]string{}, ldTypes: []string{"Article", "BreadcrumbList"}},
			{name: "home", target: "/help/nl?context=/checkout", title: "Helpcentrum Fietsen & Co", canonical: base + "/help/nl",
				hreflang: map[string]string{"nl": base + "/help/nl", "en": base + "/help/en", "x-default": base + "/help"},
				meta:     map[string]string{"og:type": "website", "og:url": base + "/help/nl"},
				ldTypes:  []string{"WebSite", "FAQPage"}},
			{name: "category with a translation", target: "/help/en/c/ordering", title: "Ordering – Fietsen & Co Help Center",
				canonical: base + "/help/en/c/ordering",
				hreflang:  map[string]string{"nl": base + "/help/nl/c/bestellen", "en": base + "/help/en/c/ordering", "x-default": base + "/help/nl/c/bestellen"},
				ldTypes:   []string{"BreadcrumbList"}},
			{name: "not found", target: "/help/nl/a/concept", title: "Pagina niet gevonden – Helpcentrum Fietsen & Co",
				canonical: base + "/help/nl", hreflang: map[string]string{}, meta: map[string]string{"robots": "noindex"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := f.get(t, tt.target)
				s := parseSEO(t, res.body)
				if s.title != tt.title {
					t.Errorf("title = %q, want %q", s.title, tt.title)
				}
				if s.canonical != tt.canonical {
					t.Errorf("canonical = %q, want %q", s.canonical, tt.canonical)
				}
				if fmt.Sprint(s.hreflang) != fmt.Sprint(tt.hreflang) {
					t.Errorf("hreflang = %v, want %v", s.hreflang, tt.hreflang)
				}
				for k, v := range tt.meta {
					if s.meta[k] != v {
						t.Errorf("meta %s = %q, want %q", k, s.meta[k], v)
					}
				}
				var types []string
				for typ := range s.ld {
					types = append(types, typ)
				}
				slices.Sort(types)
				want := slices.Clone(tt.ldTypes)
				slices.Sort(want)
				if !slices.Equal(types, want) {
					t.Errorf("JSON-LD types = %v, want %v", types, want)
				}
			})
		}

		t.Run("Article JSON-LD", func(t *testing.T) {
			s := parseSEO(t, f.get(t, "/help/nl/a/adres-wijzigen").body)
			a := s.ld["Article"]
			want := map[string]any{"headline": "Adres wijzigen", "inLanguage": "nl",
				"description":   "Zo wijzig je het bezorgadres van je bestelling.",
				"dateModified":  f.adres.UpdatedAt.UTC().Format(time.RFC3339),
				"datePublished": f.adres.PublishedAt.UTC().Format(time.RFC3339)}
			for k, v := range want {
				if a[k] != v {
					t.Errorf("Article %s = %v, want %v", k, a[k], v)
				}
			}
			items, _ := s.ld["BreadcrumbList"]["itemListElement"].([]any)
			var names []string
			for _, it := range items {
				m, _ := it.(map[string]any)
				names = append(names, fmt.Sprint(m["position"], ":", m["name"], ":", m["item"]))
			}
			wantNames := []string{"1:Helpcentrum:" + base + "/help/nl", "2:Bestellen:" + base + "/help/nl/c/bestellen",
				"3:Adres wijzigen:" + base + "/help/nl/a/adres-wijzigen"}
			if !slices.Equal(names, wantNames) {
				t.Errorf("breadcrumbs = %q, want %q", names, wantNames)
			}
		})

		t.Run("FAQPage JSON-LD", func(t *testing.T) {
			s := parseSEO(t, f.get(t, "/help/nl").body)
			qs, _ := s.ld["FAQPage"]["mainEntity"].([]any)
			if len(qs) == 0 {
				t.Fatal("FAQPage has no questions")
			}
			answers := map[string]string{}
			for _, q := range qs {
				m, _ := q.(map[string]any)
				ans, _ := m["acceptedAnswer"].(map[string]any)
				if m["@type"] != "Question" || ans["@type"] != "Answer" {
					t.Errorf("question %v: want @type Question with an Answer", m)
				}
				answers[fmt.Sprint(m["name"])] = fmt.Sprint(ans["text"])
			}
			if got, want := answers["Adres wijzigen"], "Zo wijzig je het bezorgadres van je bestelling."; got != want {
				t.Errorf("answer to Adres wijzigen = %q, want %q", got, want)
			}
			if got, want := answers["Betaalmethoden"], "Je betaalt met iDEAL, creditcard of achteraf."; got != want {
				t.Errorf("answer to Betaalmethoden = %q, want the summary %q", got, want)
			}
		})

		t.Run("base URL from the request", func(t *testing.T) {
			h, err := New(Deps{KB: f.kb, Clock: f.clock})
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			h.Routes(mux)
			g := *f
			g.mux = mux
			tests := []struct {
				name    string
				headers map[string]string
				want    string
			}{
				{"plain http", map[string]string{"Host": "help.example.org"}, "http://help.example.org/help/nl"},
				{"behind a TLS proxy", map[string]string{"Host": "help.example.org", "X-Forwarded-Proto": "https"}, "https://help.example.org/help/nl"},
				{"hostile host", map[string]string{"Host": `evil"><script>`}, "http://localhost/help/nl"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					req := g.do(t, http.MethodGet, "/help/nl", nil, tt.headers)
					if got := parseSEO(t, req.body).canonical; got != tt.want {
						t.Errorf("canonical = %q, want %q", got, tt.want)
					}
				})
			}
		})
	})
}

// TestHostileContent checks that nothing an author or a searcher writes
// can add markup or leave a script element.
func TestHostileContent(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		pages := []string{"/help/nl/a/retour", "/help/nl", "/help/nl/search?q=retourneren", "/help/nl/search?q=" +
			url.QueryEscape(`"><script>alert(4)</script>`), "/help/nl/c/bestellen?context=" + url.QueryEscape(`"><script>alert(5)</script>`)}
		for _, p := range pages {
			t.Run(p, func(t *testing.T) {
				res := f.get(t, p)
				if res.status != http.StatusOK {
					t.Fatalf("status %d", res.status)
				}
				for _, bad := range []string{"<script>alert", "<b>tags</b>", `"><script`} {
					if strings.Contains(res.body, bad) {
						t.Errorf("page has %q unescaped", bad)
					}
				}
				// Every script element opened is the one closed: no text
				// ended one early.
				opens := strings.Count(res.body, "<script")
				closes := strings.Count(res.body, "</script>")
				if opens != closes {
					t.Errorf("%d <script> but %d </script>", opens, closes)
				}
				parseSEO(t, res.body) // fails when JSON-LD does not parse
			})
		}
		t.Run("article JSON-LD keeps the text", func(t *testing.T) {
			s := parseSEO(t, f.get(t, "/help/nl/a/retour").body)
			if got := s.ld["Article"]["headline"]; got != hostileTitle {
				t.Errorf("headline = %q, want %q", got, hostileTitle)
			}
		})
		t.Run("search result title is escaped", func(t *testing.T) {
			body := f.get(t, "/help/nl/search?q=retourneren").body
			if !strings.Contains(body, "Retour &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("escaped title missing from results")
			}
		})
	})
}

func TestHighlight(t *testing.T) {
	tests := []struct {
		name    string
		snippet string
		ranges  [][2]int
		want    string
	}{
		{"none", "adres wijzigen", nil, "adres wijzigen"},
		{"two", "je adres wijzigen", [][2]int{{3, 8}, {9, 17}}, "je <mark>adres</mark> <mark>wijzigen</mark>"},
		{"hostile text", `<script>alert(1)</script> adres`, [][2]int{{26, 31}}, "&lt;script&gt;alert(1)&lt;/script&gt; <mark>adres</mark>"},
		{"hostile inside a mark", `x <img src=x onerror=alert(1)>`, [][2]int{{2, 30}}, "x <mark>&lt;img src=x onerror=alert(1)&gt;</mark>"},
		{"out of range is skipped", "adres", [][2]int{{2, 99}}, "adres"},
		{"overlap is skipped", "adres wijzigen", [][2]int{{0, 5}, {3, 8}}, "<mark>adres</mark> wijzigen"},
		{"reversed is skipped", "adres", [][2]int{{4, 1}}, "adres"},
		{"negative is skipped", "adres", [][2]int{{-1, 2}}, "adres"},
		{"inside a rune is skipped", "één", [][2]int{{1, 3}}, "één"},
		{"multibyte", "één keer", [][2]int{{0, 5}}, "<mark>één</mark> keer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(highlight(tt.snippet, tt.ranges)); got != tt.want {
				t.Errorf("highlight(%q, %v) = %q, want %q", tt.snippet, tt.ranges, got, tt.want)
			}
		})
	}
}

func TestFeedback(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		long := strings.Repeat("a", 2001)
		tests := []struct {
			name     string
			slug     string
			form     url.Values
			headers  map[string]string
			status   int
			location string
			want     string
			stored   bool
			helpful  bool
		}{
			{name: "yes", slug: "adres-wijzigen", form: url.Values{"helpful": {"yes"}}, status: http.StatusSeeOther,
				location: "/help/nl/a/adres-wijzigen?thanks=1#feedback", stored: true, helpful: true},
			{name: "no with a comment", slug: "betaalmethoden", form: url.Values{"helpful": {"no"}, "comment": {"Klarna ontbreekt"}},
				headers: map[string]string{"RemoteAddr": "198.51.100.7:1", "Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"},
				status:  http.StatusSeeOther, location: "/help/nl/a/betaalmethoden?thanks=1&helpful=no#feedback", stored: true},
			{name: "missing choice", slug: "adres-wijzigen", form: url.Values{"comment": {"hm"}}, status: http.StatusBadRequest, want: "Kies Ja of Nee"},
			{name: "unknown choice", slug: "adres-wijzigen", form: url.Values{"helpful": {"misschien"}}, status: http.StatusBadRequest},
			{name: "comment too long", slug: "adres-wijzigen", form: url.Values{"helpful": {"no"}, "comment": {long}},
				status: http.StatusBadRequest, want: "Je opmerking is te lang"},
			{name: "search id not a number", slug: "adres-wijzigen", form: url.Values{"helpful": {"yes"}, "s": {"abc"}}, status: http.StatusBadRequest},
			{name: "unknown article", slug: "bestaat-niet", form: url.Values{"helpful": {"yes"}}, status: http.StatusNotFound},
			{name: "draft", slug: "concept", form: url.Values{"helpful": {"yes"}}, status: http.StatusNotFound},
			{name: "internal", slug: "intern", form: url.Values{"helpful": {"yes"}}, status: http.StatusNotFound},
			{name: "cross-site", slug: "adres-wijzigen", form: url.Values{"helpful": {"yes"}},
				headers: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: http.StatusForbidden},
			{name: "foreign origin", slug: "adres-wijzigen", form: url.Values{"helpful": {"yes"}},
				headers: map[string]string{"Origin": "https://evil.example"}, status: http.StatusForbidden},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a, _ := f.st.ArticleBySlug(ctx, "nl", tt.slug)
				var before int
				if a != nil {
					fb, err := f.st.ListArticleFeedback(ctx, a.ID, 100)
					if err != nil {
						t.Fatal(err)
					}
					before = len(fb)
				}
				res := f.do(t, http.MethodPost, "/help/nl/a/"+tt.slug+"/feedback", tt.form, tt.headers)
				if res.status != tt.status {
					t.Fatalf("status %d, want %d\n%s", res.status, tt.status, res.body)
				}
				if got := res.header.Get("Location"); got != tt.location {
					t.Errorf("Location = %q, want %q", got, tt.location)
				}
				if tt.want != "" && !strings.Contains(res.body, tt.want) {
					t.Errorf("body lacks %q", tt.want)
				}
				if a == nil {
					return
				}
				fb, err := f.st.ListArticleFeedback(ctx, a.ID, 100)
				if err != nil {
					t.Fatal(err)
				}
				if got := len(fb) - before; got != map[bool]int{true: 1, false: 0}[tt.stored] {
					t.Fatalf("%d feedback stored, want stored=%v", got, tt.stored)
				}
				if tt.stored {
					if fb[0].Helpful != tt.helpful || fb[0].Comment != tt.form.Get("comment") {
						t.Errorf("stored helpful=%v comment=%q, want %v %q", fb[0].Helpful, fb[0].Comment, tt.helpful, tt.form.Get("comment"))
					}
				}
			})
		}
	})
}

// TestSearchToFeedback follows a visitor from a search to an article and
// its feedback: the click is recorded and the search id travels along.
func TestSearchToFeedback(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		body := f.get(t, "/help/nl/search?q=ander+bezorgadres").body
		m := regexp.MustCompile(`href="/help/nl/a/adres-wijzigen\?s=(\d+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no result link with a search id:\n%s", body)
		}
		sid, _ := strconv.ParseInt(m[1], 10, 64)
		res := f.get(t, "/help/nl/a/adres-wijzigen?s="+m[1])
		if !strings.Contains(res.body, `<input type="hidden" name="s" value="`+m[1]+`">`) {
			t.Errorf("feedback form does not carry the search id %s", m[1])
		}
		if got := res.header.Get("Cache-Control"); got != cachePrivate {
			t.Errorf("Cache-Control = %q, want %q", got, cachePrivate)
		}
		log, err := f.st.SearchLogByID(ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		if log.ClickedArticleID != f.adres.ID {
			t.Errorf("ClickedArticleID = %d, want %d", log.ClickedArticleID, f.adres.ID)
		}
		if log.Source != "help" {
			t.Errorf("Source = %q, want help", log.Source)
		}
		post := f.do(t, http.MethodPost, "/help/nl/a/adres-wijzigen/feedback", url.Values{"helpful": {"yes"}, "s": {m[1]}}, nil)
		if post.status != http.StatusSeeOther {
			t.Fatalf("feedback status %d", post.status)
		}
		fb, err := f.st.ListArticleFeedback(ctx, f.adres.ID, 10)
		if err != nil || len(fb) == 0 {
			t.Fatalf("feedback: %v %v", fb, err)
		}
		if fb[0].SearchID != sid {
			t.Errorf("feedback SearchID = %d, want %d", fb[0].SearchID, sid)
		}
	})
}

func TestFeedbackRateLimit(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		form := url.Values{"helpful": {"yes"}}
		post := func(addr string) int {
			return f.do(t, http.MethodPost, "/help/nl/a/adres-wijzigen/feedback", form, map[string]string{"RemoteAddr": addr}).status
		}
		for i := range 10 {
			if got := post("203.0.113.5:1000"); got != http.StatusSeeOther {
				t.Fatalf("post %d: status %d, want 303", i+1, got)
			}
		}
		if got := post("203.0.113.5:1001"); got != http.StatusTooManyRequests {
			t.Errorf("11th post: status %d, want 429", got)
		}
		if got := post("203.0.113.6:1000"); got != http.StatusSeeOther {
			t.Errorf("other address: status %d, want 303", got)
		}
		f.clock.add(7 * time.Second) // one token back
		if got := post("203.0.113.5:1000"); got != http.StatusSeeOther {
			t.Errorf("after refill: status %d, want 303", got)
		}
	})
}

func TestSuggest(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		tests := []struct {
			name   string
			target string
			want   []suggestion
		}{
			{"prefix", "/help/nl/suggest?q=adres", []suggestion{{Title: "Adres wijzigen", URL: "/help/nl/a/adres-wijzigen"}}},
			{"english", "/help/en/suggest?q=change", []suggestion{{Title: "Change your address", URL: "/help/en/a/change-address"}}},
			{"empty", "/help/nl/suggest?q=", []suggestion{}},
			{"nothing", "/help/nl/suggest?q=xylofoon", []suggestion{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := f.get(t, tt.target)
				if res.status != http.StatusOK {
					t.Fatalf("status %d", res.status)
				}
				if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type = %q", ct)
				}
				if cc := res.header.Get("Cache-Control"); cc != "public, max-age=30" {
					t.Errorf("Cache-Control = %q", cc)
				}
				var got []suggestion
				if err := json.Unmarshal([]byte(res.body), &got); err != nil {
					t.Fatalf("body %q: %v", res.body, err)
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("suggestions = %v, want %v", got, tt.want)
				}
			})
		}
	})
}

func TestSitemap(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		res := f.get(t, "/sitemap.xml")
		if res.status != http.StatusOK {
			t.Fatalf("status %d", res.status)
		}
		var set struct {
			XMLName xml.Name
			URLs    []struct {
				Loc     string `xml:"loc"`
				LastMod string `xml:"lastmod"`
				Links   []struct {
					XMLName  xml.Name
					Rel      string `xml:"rel,attr"`
					Hreflang string `xml:"hreflang,attr"`
					Href     string `xml:"href,attr"`
				} `xml:"http://www.w3.org/1999/xhtml link"`
			} `xml:"url"`
		}
		if err := xml.Unmarshal([]byte(res.body), &set); err != nil {
			t.Fatalf("sitemap is not XML: %v\n%s", err, res.body)
		}
		if set.XMLName.Space != "http://www.sitemaps.org/schemas/sitemap/0.9" || set.XMLName.Local != "urlset" {
			t.Errorf("root = %v", set.XMLName)
		}
		const base = "https://help.example.com"
		got := map[string]string{} // loc → alternates
		for _, u := range set.URLs {
			var alts []string
			for _, l := range u.Links {
				alts = append(alts, l.Hreflang+"="+l.Href)
			}
			got[u.Loc] = strings.Join(alts, " ")
			if strings.Contains(u.Loc, "/a/") || strings.Contains(u.Loc, "/c/") || strings.Contains(u.Loc, "/flows/") {
				if _, err := time.Parse(time.RFC3339, u.LastMod); err != nil {
					t.Errorf("%s: lastmod %q: %v", u.Loc, u.LastMod, err)
				}
			}
		}
		want := map[string]string{
			base + "/help/nl":                  "nl=" + base + "/help/nl en=" + base + "/help/en x-default=" + base + "/help",
			base + "/help/en":                  "nl=" + base + "/help/nl en=" + base + "/help/en x-default=" + base + "/help",
			base + "/help/nl/a/adres-wijzigen": "nl=" + base + "/help/nl/a/adres-wijzigen en=" + base + "/help/en/a/change-address x-default=" + base + "/help/nl/a/adres-wijzigen",
			base + "/help/en/a/change-address": "nl=" + base + "/help/nl/a/adres-wijzigen en=" + base + "/help/en/a/change-address x-default=" + base + "/help/nl/a/adres-wijzigen",
			base + "/help/nl/a/betaalmethoden": "",
			base + "/help/nl/a/retour":         "",
			base + "/help/nl/c/bestellen":      "nl=" + base + "/help/nl/c/bestellen en=" + base + "/help/en/c/ordering x-default=" + base + "/help/nl/c/bestellen",
			base + "/help/en/c/ordering":       "nl=" + base + "/help/nl/c/bestellen en=" + base + "/help/en/c/ordering x-default=" + base + "/help/nl/c/bestellen",
			base + "/help/nl/c/betalen":        "",
			// Published flows with their translations; the draft is left out.
			base + "/help/nl/flows/pakket-niet-bezorgd":  "nl=" + base + "/help/nl/flows/pakket-niet-bezorgd en=" + base + "/help/en/flows/parcel-not-delivered x-default=" + base + "/help/nl/flows/pakket-niet-bezorgd",
			base + "/help/en/flows/parcel-not-delivered": "nl=" + base + "/help/nl/flows/pakket-niet-bezorgd en=" + base + "/help/en/flows/parcel-not-delivered x-default=" + base + "/help/nl/flows/pakket-niet-bezorgd",
		}
		// Order of alternates is the order of the store's lists; compare as sets.
		norm := func(s string) string {
			parts := strings.Fields(s)
			slices.Sort(parts)
			return strings.Join(parts, " ")
		}
		for loc, alts := range want {
			g, ok := got[loc]
			if !ok {
				t.Errorf("sitemap lacks %s", loc)
				continue
			}
			if norm(g) != norm(alts) {
				t.Errorf("%s alternates = %q, want %q", loc, g, alts)
			}
		}
		for loc := range got {
			if _, ok := want[loc]; !ok {
				t.Errorf("sitemap has %s, which is not public (or should not be listed)", loc)
			}
		}
	})
}

func TestCatalogs(t *testing.T) {
	cats, err := loadCatalogs(localeFS)
	if err != nil {
		t.Fatal(err)
	}
	// A key written twice loads silently (the last wins): refuse it.
	for _, lang := range []string{"nl", "en"} {
		b, err := fs.ReadFile(localeFS, "locales/"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^\s*"([^"]+)"\s*:`).FindAllSubmatch(b, -1) {
			if k := string(m[1]); seen[k] {
				t.Errorf("%s.json has key %q twice", lang, k)
			} else {
				seen[k] = true
			}
		}
	}
	keys := func(c catalog) []string {
		var out []string
		for k := range c {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	nl, en := keys(cats["nl"]), keys(cats["en"])
	if len(nl) == 0 || !slices.Equal(nl, en) {
		t.Errorf("catalogues differ:\nnl %v\nen %v", nl, en)
	}
	// Every key the templates and the code use exists.
	used := map[string]bool{}
	keyRe := regexp.MustCompile(`\.T "([a-z.]+)"|T\("([a-z.]+)"|"((?:error|search|feedback)\.[a-z.]+)"`)
	files, err := templateFS.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := templateFS.ReadFile("templates/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
			used[m[1]+m[2]+m[3]] = true
		}
	}
	goFiles := []string{"helpcenter.go", "pages.go", "render.go", "feedback.go", "flows.go", "contact.go"}
	for _, name := range goFiles {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
			used[m[1]+m[2]+m[3]] = true
		}
	}
	if len(used) < 30 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(used))
	}
	for k := range used {
		for _, l := range []string{"nl", "en"} {
			if _, ok := cats[l][k]; !ok {
				t.Errorf("%s lacks %q", l, k)
			}
		}
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "nl"},
		{"en", "en"},
		{"en-US,en;q=0.9,nl;q=0.8", "en"},
		{"nl-NL,nl;q=0.9,en;q=0.8", "nl"},
		{"de-DE,de;q=0.9,en;q=0.5", "en"},
		{"fr", "nl"},
		{"en;q=0.2, nl;q=0.7", "nl"},
		{"en;q=bogus", "nl"},
		{"en;q=0", "nl"},
	}
	for _, tt := range tests {
		if got := negotiate(tt.header); got != tt.want {
			t.Errorf("negotiate(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestThemeColours(t *testing.T) {
	white := [3]float64{255, 255, 255}
	tests := []struct {
		name, colour, wantPrimary, wantOn string
	}{
		{"dark", "#1f5f8b", "#1f5f8b", "#ffffff"},
		{"light yellow", "#ffee00", "#ffee00", "#111111"},
		{"invalid falls back", "red;}body{display:none", "#1f5f8b", "#ffffff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := themeOf(kbTheme(tt.colour))
			if v.Primary != tt.wantPrimary || v.OnPrimary != tt.wantOn {
				t.Errorf("primary %q on %q, want %q on %q", v.Primary, v.OnPrimary, tt.wantPrimary, tt.wantOn)
			}
			if c := contrast(parseHex(v.Link), white); c < 4.5 {
				t.Errorf("link %s has contrast %.2f on white, want ≥ 4.5", v.Link, c)
			}
			if c := contrast(parseHex(v.Primary), parseHex(v.OnPrimary)); c < 4.5 {
				t.Errorf("text %s on %s has contrast %.2f, want ≥ 4.5", v.OnPrimary, v.Primary, c)
			}
		})
	}
}

func TestLimiter(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiter(clock, 3, 3*time.Second, 2)
	var got []bool
	for range 4 {
		got = append(got, l.allow("a"))
	}
	if want := []bool{true, true, true, false}; !slices.Equal(got, want) {
		t.Errorf("burst: %v, want %v", got, want)
	}
	clock.add(time.Second)
	if !l.allow("a") || l.allow("a") {
		t.Error("one second should give back exactly one token")
	}
	// Past max keys, full buckets are forgotten, busy ones kept.
	l.allow("b")
	clock.add(10 * time.Second)
	l.allow("c")
	l.allow("c")
	l.allow("c")
	l.allow("d")
	if n := len(l.buckets); n > 2 {
		t.Errorf("%d buckets kept, want at most 2", n)
	}
	if got, want := limitKey("2001:db8:1:2:3::9"), "2001:db8:1:2::/64"; got != want {
		t.Errorf("limitKey v6 = %q, want %q", got, want)
	}
	if got, want := limitKey("::ffff:192.0.2.1"), "192.0.2.1"; got != want {
		t.Errorf("limitKey mapped v4 = %q, want %q", got, want)
	}
}

func TestStaticCaching(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		page := f.get(t, "/help/nl").body
		m := regexp.MustCompile(`href="(/help/static/help\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("page does not link the versioned stylesheet")
		}
		res := f.get(t, html.UnescapeString(m[1]))
		if got := res.header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("versioned Cache-Control = %q", got)
		}
		etag := res.header.Get("ETag")
		again := f.do(t, http.MethodGet, "/help/static/help.css", nil, map[string]string{"If-None-Match": etag})
		if again.status != http.StatusNotModified {
			t.Errorf("If-None-Match: status %d, want 304", again.status)
		}
	})
}

func TestContact(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		withWidget, err := New(Deps{KB: f.kb, Clock: f.clock, BaseURL: "https://help.example.com", WidgetKey: func(context.Context) string { return "pk_inbox1" }})
		if err != nil {
			t.Fatal(err)
		}
		serve := func(h *Handler, target string) string {
			mux := http.NewServeMux()
			h.Routes(mux)
			g := *f
			g.mux = mux
			return g.get(t, target).body
		}
		t.Run("no contact options", func(t *testing.T) {
			body := serve(f.h, "/help/nl/search?q=xylofoon")
			if strings.Contains(body, "Nog vragen?") || strings.Contains(body, "/widget.js") {
				t.Error("page offers contact without a contact URL or widget")
			}
		})
		t.Run("chat widget", func(t *testing.T) {
			body := serve(withWidget, "/help/nl/search?q=xylofoon")
			for _, want := range []string{`<script src="/widget.js" data-inbox="pk_inbox1" data-locale="nl" data-color="#0a7d3b" async></script>`,
				"Nog vragen?", `<a class="button" href="/help/nl/contact">Neem contact op</a>`, `<li><a href="/help/nl/contact">Contact</a></li>`} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q", want)
				}
			}
		})
		t.Run("contact URL is offered on the contact page", func(t *testing.T) {
			th, _ := f.kb.Theme(ctx)
			th.ContactURL = "https://fietsen.example.nl/contact"
			if err := f.kb.SetTheme(ctx, th); err != nil {
				t.Fatal(err)
			}
			body := serve(withWidget, "/help/en/a/change-address?thanks=1&helpful=no")
			if !strings.Contains(body, `<a class="button" href="/help/en/contact">Contact us</a>`) {
				t.Errorf("page lacks the link to the contact page")
			}
			body = serve(withWidget, "/help/en/contact?need=1")
			for _, want := range []string{`href="https://fietsen.example.nl/contact" data-option="link"`, "data-open-chat"} {
				if !strings.Contains(body, want) {
					t.Errorf("contact page lacks %q", want)
				}
			}
		})
	})
}

// TestHostileTheme stores a theme past validation (an old or hand-edited
// setting) and checks it cannot inject markup, style or script.
func TestHostileTheme(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		th, _ := json.Marshal(map[string]any{"name": `Evil</title><script>alert(1)</script>`,
			"primary_color": `red}</style><script>alert(2)</script>`, "logo_url": "javascript:alert(3)",
			"links":  []map[string]string{{"label": `<img src=x onerror=alert(4)>`, "url": "javascript:alert(5)"}},
			"footer": `<script>alert(6)</script>`})
		if err := f.st.SetSetting(ctx, "helpcenter.theme", string(th)); err != nil {
			t.Fatal(err)
		}
		body := f.get(t, "/help/nl/a/adres-wijzigen").body
		for _, bad := range []string{"<script>alert", "javascript:", "<img src=x", "</style><script"} {
			if strings.Contains(body, bad) {
				t.Errorf("page has %q", bad)
			}
		}
		if !strings.Contains(body, "--hc-primary:#1f5f8b") {
			t.Errorf("invalid colour did not fall back to the default")
		}
		parseSEO(t, body)
	})
}

// TestViews checks that opening an article counts as a view in its
// context, which the contextual FAQ learns from.
func TestViews(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		for range 2 {
			f.get(t, "/help/nl/a/betaalmethoden?context=/checkout/betalen")
		}
		counts, err := f.st.ContextViews(ctx, "url:/checkout/betalen", "nl", f.clock.Now().Add(-time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != 1 || counts[0].ArticleID != f.betalen.ID || counts[0].Views != 2 {
			t.Errorf("views in url:/checkout/betalen = %+v, want 2 of article %d", counts, f.betalen.ID)
		}
		// The FAQ for that page now leads with it.
		body := f.get(t, "/help/nl?context=/checkout/betalen").body
		faq := body[strings.Index(body, `id="faq-h"`):]
		if i, j := strings.Index(faq, "Betaalmethoden"), strings.Index(faq, "Adres wijzigen"); i < 0 || j >= 0 && j < i {
			t.Errorf("FAQ for /checkout/betalen does not lead with the article viewed there")
		}
	})
}
