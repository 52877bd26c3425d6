package markdown

import (
	"flag"
	"fmt"
	"html"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func fileURL(id int64) string { return fmt.Sprintf("/help/files/%d", id) }

func TestRenderHTML(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []string // substrings of the HTML
		notWant []string
	}{
		{"paragraph", "Hallo *wereld*", []string{"<p>Hallo <em>wereld</em></p>"}, nil},
		{"h1 becomes h2", "# Titel", []string{`<h2 id="titel">Titel</h2>`}, []string{"<h1"}},
		{"h2 stays h2", "## Sectie", []string{`<h2 id="sectie">Sectie</h2>`}, nil},
		{"h3 stays h3", "### Sub", []string{`<h3 id="sub">Sub</h3>`}, nil},
		{"h6 becomes h4", "###### Diep", []string{`<h4 id="diep">Diep</h4>`}, []string{"<h6", "<h5"}},
		{"heading id folded", "## Wat kost één retour?", []string{`id="wat-kost-een-retour"`}, nil},
		{"heading ids unique", "## Stappen\n\n## Stappen\n\n## Stappen 1", []string{`id="stappen"`, `id="stappen-1"`, `id="stappen-1-1"`}, nil},
		{"heading without letters", "## 🚚", []string{`<h2 id="section">🚚</h2>`}, nil},
		{"relative link kept", "[voorwaarden](/help/voorwaarden)", []string{`<a href="/help/voorwaarden">voorwaarden</a>`}, []string{"nofollow"}},
		{"anchor link kept", "[boven](#stappen)", []string{`<a href="#stappen">boven</a>`}, nil},
		{"external link nofollow", "[shop](https://shop.example.nl/a?b=c)", []string{`<a href="https://shop.example.nl/a?b=c" rel="nofollow noopener">shop</a>`}, nil},
		{"http link nofollow", "[oud](http://example.nl)", []string{`href="http://example.nl" rel="nofollow noopener"`}, nil},
		{"autolink nofollow", "<https://example.nl>", []string{`<a href="https://example.nl" rel="nofollow noopener">https://example.nl</a>`}, nil},
		{"www autolink", "kijk op www.example.nl nu", []string{`<a href="http://www.example.nl" rel="nofollow noopener">www.example.nl</a>`}, nil},
		{"mailto kept", "[mail](mailto:help@example.nl)", []string{`<a href="mailto:help@example.nl">mail</a>`}, nil},
		{"email autolink", "<help@example.nl>", []string{`<a href="mailto:help@example.nl">help@example.nl</a>`}, nil},
		{"tel kept", "[bel](tel:+31201234567)", []string{`<a href="tel:+31201234567">bel</a>`}, nil},
		{"https image", "![logo](https://cdn.example.nl/logo.png)", []string{`<img src="https://cdn.example.nl/logo.png" alt="logo">`}, nil},
		{"relative image", "![logo](/img/logo.png)", []string{`<img src="/img/logo.png" alt="logo">`}, nil},
		{"http image becomes alt text", "![logo](http://cdn.example.nl/logo.png)", []string{"<p>logo</p>"}, []string{"<img"}},
		{"protocol-relative image dropped", "![logo](//cdn.example.nl/logo.png)", []string{"<p>logo</p>"}, []string{"<img"}},
		{"file image", "![schema](file:12)", []string{`<img src="/help/files/12" alt="schema">`}, nil},
		{"file link", "[handleiding](file:7)", []string{`<a href="/help/files/7">handleiding</a>`}, nil},
		{"bad file id", "![x](file:abc)", []string{"<p>x</p>"}, []string{"<img"}},
		{"table with alignment", "| a | b |\n|:--|--:|\n| 1 | 2 |", []string{"<table>", `<th align="left">a</th>`, `<td align="right">2</td>`}, nil},
		{"strikethrough", "~~oud~~", []string{"<del>oud</del>"}, nil},
		{"task list", "- [x] klaar\n- [ ] open", []string{`<input checked="" disabled="" type="checkbox"> klaar`, `<input disabled="" type="checkbox"> open`}, nil},
		{"fenced code escaped", "```html\n<b>hi</b>\n```", []string{"<pre><code>&lt;b&gt;hi&lt;/b&gt;\n</code></pre>"}, []string{"<b>", "class="}},
		{"no typographer", `"quotes" -- and ...`, []string{"&#34;quotes&#34; -- and ..."}, []string{"“", "–", "…"}},
		{"no hard wraps", "een\ntwee", []string{"<p>een\ntwee</p>"}, []string{"<br"}},
		{"hard break", "een  \ntwee", []string{"een<br>"}, nil},
		{"ordered list start", "3. drie\n4. vier", []string{`<ol start="3">`}, nil},
		{"callout let op", "> **Let op:** niet doen", []string{`<blockquote class="callout callout-note"><p><strong>Let op:</strong> niet doen</p>`}, nil},
		{"callout warning", "> **Warning**: careful", []string{`<blockquote class="callout callout-warning">`}, nil},
		{"callout tip", "> **Tip:** handig", []string{`<blockquote class="callout callout-tip">`}, nil},
		{"plain quote", "> gewoon **Let op:** citaat", []string{"<blockquote>\n<p>gewoon"}, []string{"callout"}},
		{"hr", "a\n\n---\n\nb", []string{"<hr>"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Render(tt.src, Options{FileURL: fileURL}).HTML)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Render(%q).HTML = %q, want it to contain %q", tt.src, got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("Render(%q).HTML = %q, want no %q", tt.src, got, w)
				}
			}
		})
	}
}

func TestRenderFileURLMissing(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"nil FileURL", Options{}},
		{"empty result", Options{FileURL: func(int64) string { return "" }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Render("![schema](file:12) [pdf](file:13)", tt.opts).HTML)
			if want := "<p>schema pdf</p>"; !strings.Contains(got, want) {
				t.Errorf("HTML = %q, want %q", got, want)
			}
		})
	}
}

// allowedHTML lists the elements an article may produce, with their
// attributes.
var allowedHTML = map[string][]string{
	"p": nil, "br": nil, "hr": nil, "strong": nil, "em": nil, "del": nil, "code": nil, "pre": nil,
	"ul": nil, "li": nil, "table": nil, "thead": nil, "tbody": nil, "tr": nil,
	"h2": {"id"}, "h3": {"id"}, "h4": {"id"},
	"ol": {"start"}, "th": {"align"}, "td": {"align"}, "blockquote": {"class"},
	"a": {"href", "title", "rel"}, "img": {"src", "alt", "title"},
	"input": {"type", "checked", "disabled"},
}

var (
	tagRE  = regexp.MustCompile(`^<(/?)([a-z][a-z0-9]*)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*/?>`)
	attrRE = regexp.MustCompile(`([a-z-]+)(?:="([^"<>]*)")?`)
	// safeURL is what an href or src may start with (lower-cased):
	// an allowed scheme, or no scheme at all.
	safeURL = regexp.MustCompile(`^(https?:|mailto:|tel:|[^:]*$|[^:]*[/?#])`)
)

// unsafeHTML returns what in h would not be safe in a page, or "": every
// tag must be well-formed and allowed, with allowed attributes, and links
// and images must have safe URLs. Text may not hold a raw "<".
func unsafeHTML(h string) string {
	for i := strings.IndexByte(h, '<'); i >= 0; i = strings.IndexByte(h, '<') {
		h = h[i:]
		m := tagRE.FindStringSubmatch(h)
		if m == nil {
			return fmt.Sprintf("malformed tag at %.40q", h)
		}
		attrs, ok := allowedHTML[m[2]]
		if !ok {
			return "element " + m[2]
		}
		for _, a := range attrRE.FindAllStringSubmatch(m[3], -1) {
			if !slices.Contains(attrs, a[1]) {
				return "attribute " + a[1] + " on " + m[2]
			}
			if a[1] == "href" || a[1] == "src" {
				v := strings.ToLower(html.UnescapeString(a[2]))
				if !safeURL.MatchString(v) || strings.ContainsAny(v, "\t\n\r\x00") {
					return fmt.Sprintf("URL %q", a[2])
				}
			}
		}
		h = h[len(m[0]):]
	}
	return ""
}

func TestRenderHostile(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"script block", "<script>alert(1)</script>"},
		{"script inline", "hoi <script>alert(1)</script> daar"},
		{"img onerror", `<img src=x onerror="alert(1)">`},
		{"img onerror inline", `tekst <img src=x onerror=alert(1)> tekst`},
		{"iframe", `<iframe src="https://evil.example"></iframe>`},
		{"svg onload", `<svg onload=alert(1)>`},
		{"style", `<style>body{display:none}</style>`},
		{"a href js raw", `<a href="javascript:alert(1)">x</a>`},
		{"link js", "[x](javascript:alert(1))"},
		{"link js upper", "[x](JaVaScRiPt:alert(1))"},
		{"link js entity", "[x](&#106;avascript:alert(1))"},
		{"link js hex entity", "[x](&#x6A;avascript&#x3A;alert(1))"},
		{"link js named entity", "[x](javascript&colon;alert(1))"},
		{"link js tab", "[x](<java\tscript:alert(1)>)"},
		{"link js newline entity", "[x](java&#10;script:alert(1))"},
		{"link js escaped", `[x](javascript\:alert(1))`},
		{"link js spaces", "[x]( javascript:alert(1) )"},
		{"link vbscript", "[x](vbscript:msgbox(1))"},
		{"link data", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"},
		{"image data", "![x](data:image/svg+xml;base64,PHN2Zz4=)"},
		{"image js", "![x](javascript:alert(1))"},
		{"autolink js", "<javascript:alert(1)>"},
		{"reference link js", "[x][a]\n\n[a]: javascript:alert(1)"},
		{"link title quote", `[x](/a "a\" onmouseover=\"alert(1)")`},
		{"image alt quote", `![a" onerror="alert(1)](/x.png)`},
		{"heading injection", `## <img src=x onerror=alert(1)>`},
		{"heading attribute syntax", "## Titel {#x onclick=alert(1)}"},
		{"html entity script", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"html comment", "<!-- <script>alert(1)</script> -->"},
		{"cdata", "<![CDATA[<script>alert(1)</script>]]>"},
		{"nested tags", "<div><p><a href=javascript:alert(1)>x</a></p></div>"},
		{"unclosed tag", `<a href="javascript:alert(1)`},
		{"form", `<form action="/x"><input type=submit></form>`},
		{"meta refresh", `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`},
		{"code span with tag", "`<script>alert(1)</script>`"},
		{"table cell html", "| a |\n|---|\n| <img src=x onerror=alert(1)> |"},
		{"deep quotes", strings.Repeat(">", 10000) + " <script>alert(1)</script>"},
		{"deep lists", strings.Repeat("- ", 10000) + "[x](javascript:alert(1))"},
		{"deep emphasis", strings.Repeat("*", 5000) + "<script>" + strings.Repeat("*", 5000)},
		{"many unclosed links", strings.Repeat("[a](", 20000) + "javascript:alert(1))"},
		{"invalid utf8", "\xff\xfe<script>\xc3(alert(1))"},
		{"nul bytes", "a\x00b<script>\x00alert(1)</script>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Render(tt.src, Options{FileURL: fileURL})
			if bad := unsafeHTML(string(r.HTML)); bad != "" {
				t.Errorf("Render(%.60q).HTML = %.300q, has unsafe %s", tt.src, r.HTML, bad)
			}
			if !utf8.ValidString(string(r.HTML)) || !utf8.ValidString(r.Text) {
				t.Errorf("Render(%.60q): output is not valid UTF-8", tt.src)
			}
		})
	}
}

func TestRenderPathological(t *testing.T) {
	// Input the parser would be slow on is rendered as escaped paragraphs.
	tests := []struct {
		name     string
		src      string
		wantText string
	}{
		{"deep quotes", strings.Repeat(">", 100) + " diep\n\ntwee <b>", strings.Repeat(">", 100) + " diep\n\ntwee <b>"},
		{"deep lists", strings.Repeat("- ", 100) + "x", strings.Repeat("- ", 99) + "- x"},
		{"unclosed links", strings.Repeat("[a](", 5000), strings.Repeat("[a](", 5000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Render(tt.src, Options{})
			if r.Text != tt.wantText {
				t.Errorf("Text = %.80q, want %.80q", r.Text, tt.wantText)
			}
			if !strings.HasPrefix(string(r.HTML), "<p>") || strings.Contains(string(r.HTML), "<b>") {
				t.Errorf("HTML = %.200q, want escaped paragraphs", r.HTML)
			}
			if got := Text(tt.src); got != r.Text {
				t.Errorf("Text() = %.80q, want Render's %.80q", got, r.Text)
			}
		})
	}
	// Moderate nesting is still Markdown.
	if got := Render(strings.Repeat(">", 20)+" x", Options{}).HTML; !strings.Contains(string(got), "<blockquote>") {
		t.Errorf("20 nested quotes: HTML = %.100q, want blockquotes", got)
	}
}

func TestRenderText(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"empty", "", ""},
		{"blank", " \n\n\t\n", ""},
		{"paragraphs", "een\ntwee\n\ndrie", "een twee\n\ndrie"},
		{"markup dropped", "**vet** en *schuin* en ~~weg~~", "vet en schuin en weg"},
		{"link text kept", "zie [de voorwaarden](/help/v) en <https://a.nl>", "zie de voorwaarden en https://a.nl"},
		{"unsafe link text kept", "[klik](javascript:alert(1))", "klik"},
		{"code kept", "kies `Wijzig adres`\n\n```\nregel 1\nregel 2\n```", "kies Wijzig adres\n\nregel 1\nregel 2"},
		{"headings and lists", "# Titel\n\n- een\n- twee\n\n1. drie", "Titel\n\neen\n\ntwee\n\ndrie"},
		{"raw html dropped", "a <b>vet</b> b\n\n<div>blok</div>", "a vet b"},
		{"entities resolved", "Café &amp; co &#169; \\*ster\\*", "Café & co © *ster*"},
		{"code not unescaped", "`a\\*b &amp;`", "a\\*b &amp;"},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", "a\tb\n1\t2"},
		{"image alt", "![een schema](/x.png)", "een schema"},
		{"task list", "- [x] klaar", "klaar"},
		{"quote", "> **Let op:** niet doen", "Let op: niet doen"},
		{"thematic break", "a\n\n***\n\nb", "a\n\nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.src, Options{}).Text; got != tt.want {
				t.Errorf("Render(%q).Text = %q, want %q", tt.src, got, tt.want)
			}
			if got := Text(tt.src); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestRenderSummary(t *testing.T) {
	long := strings.Repeat("woord ", 40) // 240 runes
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"empty", "", ""},
		{"first paragraph", "# Titel\n\nEerste *alinea*\nop twee regels.\n\nTweede.", "Eerste alinea op twee regels."},
		{"skips list before paragraph", "- item\n\nAlinea.", "Alinea."},
		{"falls back to first block", "## Kop\n\n- item", "Kop"},
		{"cut at word", long, strings.TrimSpace(strings.Repeat("woord ", 26)) + "…"},
		{"exactly at limit", strings.Repeat("a", 160), strings.Repeat("a", 160)},
		{"one long word", strings.Repeat("é", 200), strings.Repeat("é", 159) + "…"},
		{"trailing comma dropped", strings.Repeat("ab, ", 60), strings.Repeat("ab, ", 38) + "ab…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Render(tt.src, Options{}).Summary
			if got != tt.want {
				t.Errorf("Summary = %q, want %q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > SummaryLen {
				t.Errorf("Summary has %d runes, want at most %d", n, SummaryLen)
			}
		})
	}
}

func TestRenderHeadingsAndSteps(t *testing.T) {
	src := "# Adres wijzigen\n\nIntro.\n\n## Stappen\n\n1. Log **in**.\n2. Kies [adres](/a).\n   - sub\n3. Sla op.\n\n### Ook `handig`\n\n#### Te diep\n\n## Stappen\n\n1. Tweede lijst.\n2. Telt niet.\n"
	r := Render(src, Options{})
	wantHeadings := []Heading{
		{2, "adres-wijzigen", "Adres wijzigen"},
		{2, "stappen", "Stappen"},
		{3, "ook-handig", "Ook handig"},
		{2, "stappen-1", "Stappen"},
	}
	if !slices.Equal(r.Headings, wantHeadings) {
		t.Errorf("Headings = %+v, want %+v", r.Headings, wantHeadings)
	}
	wantSteps := []string{"Log in.", "Kies adres. sub", "Sla op."}
	if !slices.Equal(r.Steps, wantSteps) {
		t.Errorf("Steps = %q, want %q", r.Steps, wantSteps)
	}

	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"no list", "Alinea.", nil},
		{"unordered list", "- a\n- b", nil},
		{"one step", "1. a", nil},
		{"nested ordered list", "- x\n  1. a\n  2. b", nil},
		{"first qualifying list", "1. a\n\nTekst.\n\n1. b\n2. c", []string{"b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.src, Options{}).Steps; !slices.Equal(got, tt.want) {
				t.Errorf("Steps = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Bezorgadres wijzigen", "bezorgadres-wijzigen"},
		{"Hoe wijzig ik mijn bezorgadres?", "hoe-wijzig-ik-mijn-bezorgadres"},
		{"Één café, naïef & coördinatie", "een-cafe-naief-coordinatie"},
		{"Auto's en e-mail", "autos-en-e-mail"},
		{"Привет мир", ""},
		{"  ", ""},
		{strings.Repeat("lang ", 30), strings.TrimSuffix(strings.Repeat("lang-", 16), "-")},
	}
	for _, tt := range tests {
		if got := slug(tt.in); got != tt.want {
			t.Errorf("slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRenderGolden(t *testing.T) {
	src, err := os.ReadFile("testdata/article.md")
	if err != nil {
		t.Fatal(err)
	}
	r := Render(string(src), Options{FileURL: fileURL})
	got := fmt.Sprintf("%s\n---- text\n%s\n---- summary\n%s\n---- headings\n%+v\n---- steps\n%q\n",
		r.HTML, r.Text, r.Summary, r.Headings, r.Steps)
	const golden = "testdata/article.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("Render(testdata/article.md) differs from %s (run with -update after checking):\ngot:\n%s", golden, got)
	}
}

// headingID is the shape of every heading id.
var headingID = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func FuzzRender(f *testing.F) {
	seeds := []string{
		"",
		"# Titel\n\nTekst met [link](https://a.nl) en ![img](file:3).\n\n1. een\n2. twee",
		"<script>alert(1)</script>",
		"[x](javascript:alert(1)) <img src=x onerror=alert(1)>",
		"[x](&#106;avascript:alert(1))",
		"> **Let op:** x\n\n| a | b |\n|---|---|\n| 1 | 2 |",
		"- [ ] a\n- [x] b\n\n~~c~~ www.example.nl",
		strings.Repeat(">", 40) + " x",
		strings.Repeat("[a](", 100),
		"## a\n## a\n## a-1\n## 🚚\n## 🚚",
		"\xff\x00\r\n\t",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		r := Render(src, Options{FileURL: fileURL})
		if bad := unsafeHTML(string(r.HTML)); bad != "" {
			t.Errorf("HTML has unsafe %s: %q", bad, r.HTML)
		}
		if !utf8.ValidString(string(r.HTML)) || !utf8.ValidString(r.Text) || !utf8.ValidString(r.Summary) {
			t.Errorf("output is not valid UTF-8")
		}
		if n := utf8.RuneCountInString(r.Summary); n > SummaryLen {
			t.Errorf("Summary has %d runes", n)
		}
		seen := map[string]bool{}
		for _, h := range r.Headings {
			if !headingID.MatchString(h.ID) || seen[h.ID] {
				t.Errorf("heading id %q is malformed or repeated", h.ID)
			}
			seen[h.ID] = true
			if h.Level != 2 && h.Level != 3 {
				t.Errorf("heading level %d", h.Level)
			}
		}
		if got := Text(src); got != r.Text {
			t.Errorf("Text() = %q, Render().Text = %q", got, r.Text)
		}
	})
}

func BenchmarkRender(b *testing.B) {
	src, err := os.ReadFile("testdata/article.md")
	if err != nil {
		b.Fatal(err)
	}
	s := string(src)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		Render(s, Options{FileURL: fileURL})
	}
}

func BenchmarkText(b *testing.B) {
	src, err := os.ReadFile("testdata/article.md")
	if err != nil {
		b.Fatal(err)
	}
	s := string(src)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		Text(s)
	}
}

// The checker above must catch what it is there for.
func TestUnsafeHTMLChecker(t *testing.T) {
	tests := []struct {
		html string
		safe bool
	}{
		{`<p>a &lt;b&gt; <a href="/x" rel="nofollow noopener">y</a></p>`, true},
		{`<img src="https://a.nl/x.png" alt="a&#34; onerror=&#34;x">`, true},
		{`<a href="#top">t</a> <a href="a/b:c">t</a>`, true},
		{`<script>alert(1)</script>`, false},
		{`<p onclick="x">a</p>`, false},
		{`<a href="javascript:alert(1)">x</a>`, false},
		{`<a href="JavaScript&#58;alert(1)">x</a>`, false},
		{`<img src="data:image/png;base64,AA">`, false},
		{`<p>a < b</p>`, false},
		{`<a href=javascript:x>`, false},
		{`<iframe src="/x"></iframe>`, false},
	}
	for _, tt := range tests {
		if got := unsafeHTML(tt.html) == ""; got != tt.safe {
			t.Errorf("unsafeHTML(%q) = %q, want safe %v", tt.html, unsafeHTML(tt.html), tt.safe)
		}
	}
}

// Links and images inside a link that is dropped are still checked.
func TestRenderNestedUnsafe(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    string
		notWant string
	}{
		{"http image in js link", "[![a](http://x.nl/a.png)](javascript:alert(1))", "<p>a</p>", "<img"},
		{"file image in js link", "[![a](file:4)](javascript:x)", `<p><img src="/help/files/4" alt="a"></p>`, "<a"},
		{"emphasis in dropped link", "[**vet** ![b](data:x)](vbscript:x)", "<p><strong>vet</strong> b</p>", "<img"},
		{"image in image alt", "![x ![y](http://a/b.png)](https://a/c.png)", `<img src="https://a/c.png" alt="x y">`, "http://a/b.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Render(tt.src, Options{FileURL: fileURL}).HTML)
			if !strings.Contains(got, tt.want) || strings.Contains(got, tt.notWant) {
				t.Errorf("Render(%q).HTML = %q, want %q and no %q", tt.src, got, tt.want, tt.notWant)
			}
		})
	}
}
