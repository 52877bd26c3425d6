// Package markdown renders knowledge-base articles, written in Markdown, to
// HTML that is safe to put in a page as is, and to the plain text the search
// index, snippets and meta descriptions use.
//
// The dialect is CommonMark with the GitHub extensions (tables,
// strikethrough, autolinks, task lists); no typographic replacements, no
// hard wraps. Raw HTML in the source is dropped, never rendered, and the
// output goes through a bluemonday allow-list as a second line of defence.
//
// The article's title is the page's h1, so headings are shifted into h2-h4:
// "# " becomes h2, "##" h2, "###" h3, "####" and deeper h4. Headings get ids
// from their folded text ("Bezorgadres wijzigen" → "bezorgadres-wijzigen"),
// unique within the article.
//
// Links: http, https, mailto and tel links and relative links are kept,
// anything else (javascript:, data:, vbscript:, ...) becomes plain text.
// External http(s) links get rel="nofollow noopener". Images must have a
// relative or https URL; other images become their alt text. A destination
// "file:<id>" refers to an uploaded knowledge-base file and is turned into a
// URL by Options.FileURL.
//
// A blockquote that starts with a bold label ("**Let op:**", "**Note:**",
// "**Tip:**", "**Waarschuwing:**", "**Warning:**") is a callout and gets the
// class "callout callout-note", "callout callout-tip" or
// "callout callout-warning".
//
// It imports goldmark, bluemonday and balie's lang package.
package markdown

import (
	"bytes"
	"html/template"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/balie-dev/balie/internal/lang"
)

// MaxSource is how many bytes of an article are rendered; the rest is cut
// off at a line break. It bounds the cost of hostile input: real articles
// are a few KB.
const MaxSource = 256 << 10

// Bounds on the shapes that make the Markdown parser slow (its time grows
// with their square). Input beyond them is rendered as plain paragraphs.
const (
	// maxDepth is how deeply quotes and lists may nest on one line.
	maxDepth = 32
	// maxLinkWork bounds, per block, the number of "](" times the block's
	// length: each unclosed link destination is looked for to the block's
	// end.
	maxLinkWork = 16 << 20
)

// SummaryLen is the longest Summary in runes, the "…" included.
const SummaryLen = 160

// maxIDLen is the longest heading id in bytes.
const maxIDLen = 80

// Rendered is an article body rendered for the help center and the index.
type Rendered struct {
	// HTML is sanitised: safe to put in a page as is.
	HTML template.HTML
	// Text is the plain text of the whole body, blocks (paragraphs, list
	// items, headings, code blocks, tables) separated by blank lines,
	// without markup; link text and code are kept. It is not HTML: escape
	// it when putting it in a page.
	Text string
	// Summary is the first paragraph's text on one line, cut at a word
	// boundary to at most SummaryLen runes ending in "…": a fallback meta
	// description.
	Summary string
	// Headings are the h2 and h3 headings in order, for a table of
	// contents.
	Headings []Heading
	// Steps are the items of the first top-level ordered list with at least
	// two items, as plain text: the steps of a how-to guide. Nil without
	// such a list.
	Steps []string
}

// Heading is one heading of an article.
type Heading struct {
	Level int    // 2 or 3
	ID    string // the id attribute of the heading element
	Text  string
}

// Options tune rendering to where the HTML is shown.
type Options struct {
	// FileURL returns the URL of an uploaded knowledge-base file, for
	// destinations written "file:<id>". Nil, or an empty result, makes such
	// images disappear (their alt text stays) and such links plain text.
	FileURL func(id int64) string
}

// engine holds the goldmark parser and renderer and the bluemonday policy.
// Both are built once and only read afterwards, so concurrent Render calls
// may share them.
type engine struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

var sharedEngine = sync.OnceValue(newEngine)

func newEngine() *engine {
	md := goldmark.New(
		goldmark.WithExtensions(
			// GFM, with table alignment as an attribute the policy
			// can check rather than a style attribute.
			extension.Linkify,
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			extension.TaskList,
		),
	)
	return &engine{md: md, policy: newPolicy()}
}

func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "strong", "em", "del", "code", "pre",
		"blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td")
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)).OnElements("h2", "h3", "h4")
	p.AllowElements("h2", "h3", "h4")
	p.AllowAttrs("href", "title").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^nofollow noopener$`)).OnElements("a")
	p.AllowAttrs("src", "alt", "title").OnElements("img")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^callout callout-(note|tip|warning)$`)).OnElements("blockquote")
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^$`)).OnElements("input")
	p.AllowURLSchemes("http", "https", "mailto", "tel")
	p.AllowRelativeURLs(true)
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	return p
}

// Render renders an article body. It never fails: any input gives some
// safe output.
func Render(src string, opts Options) Rendered {
	e := sharedEngine()
	src = clean(src)
	if pathological(src) {
		return plain(src)
	}
	source := []byte(src)
	doc := e.md.Parser().Parse(text.NewReader(source))

	w := walker{src: source, opts: opts, ids: map[string]int{}}
	w.transform(doc)

	var out Rendered
	var buf bytes.Buffer
	buf.Grow(len(source) + len(source)/4)
	if err := e.md.Renderer().Render(&buf, source, doc); err != nil {
		// The HTML renderer only fails when writing fails, and a
		// bytes.Buffer does not; drop the body rather than show half.
		buf.Reset()
	}
	out.HTML = template.HTML(e.policy.SanitizeBytes(buf.Bytes()))

	blocks := w.blocks(doc, nil)
	out.Text = strings.Join(blocks, "\n\n")
	out.Summary = summary(w.firstParagraph(doc), blocks)
	out.Headings = w.headings
	out.Steps = w.steps(doc)
	return out
}

// Text returns the plain text of a Markdown body, as Render's Text.
func Text(src string) string {
	e := sharedEngine()
	src = clean(src)
	if pathological(src) {
		return plain(src).Text
	}
	source := []byte(src)
	doc := e.md.Parser().Parse(text.NewReader(source))
	w := walker{src: source}
	return strings.Join(w.blocks(doc, nil), "\n\n")
}

// clean makes src valid UTF-8 and cuts it to MaxSource bytes at a line
// break (or a rune boundary when there is none).
func clean(src string) string {
	if !utf8.ValidString(src) {
		src = strings.ToValidUTF8(src, "\uFFFD")
	}
	if len(src) <= MaxSource {
		return src
	}
	cut := src[:MaxSource]
	if i := strings.LastIndexByte(cut, '\n'); i > 0 {
		return cut[:i+1]
	}
	for len(cut) > 0 && !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return cut
}

// walker rewrites a parsed document for safe rendering and collects what
// Render reports besides the HTML.
type walker struct {
	src      []byte
	opts     Options
	ids      map[string]int // heading ids used, with the last suffix number
	headings []Heading
	moved    []ast.Node // children of the node unwrap last replaced
}

// transform shifts headings and gives them ids, marks callouts, and makes
// links and images safe. It visits nodes in document order (heading ids
// depend on it) with an explicit stack: nesting depth is the author's to
// choose, the goroutine stack is not.
func (w *walker) transform(doc ast.Node) {
	var stack []ast.Node
	stack = pushChildren(stack, doc)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch w.visit(n) {
		case descend:
			stack = pushChildren(stack, n)
		case unwrapped:
			// n's children took its place in its parent; they still
			// need a visit of their own.
			stack = append(stack, w.moved...)
			w.moved = w.moved[:0]
		}
	}
}

// pushChildren pushes n's children so that the first is popped first.
func pushChildren(stack []ast.Node, n ast.Node) []ast.Node {
	for c := n.LastChild(); c != nil; c = c.PreviousSibling() {
		stack = append(stack, c)
	}
	return stack
}

// What visit did with a node.
const (
	skip      = iota // nothing below it needs a visit
	descend          // its children need a visit
	unwrapped        // it was replaced by its children, listed in moved
)

// visit rewrites one node, possibly replacing it in its parent.
func (w *walker) visit(c ast.Node) int {
	switch n := c.(type) {
	case *ast.Heading:
		n.Level = min(max(n.Level, 2), 4)
		t := w.inline(n)
		id := w.uniqueID(slug(t))
		n.SetAttributeString("id", []byte(id))
		if n.Level <= 3 {
			w.headings = append(w.headings, Heading{Level: n.Level, ID: id, Text: t})
		}
	case *ast.Blockquote:
		if kind := calloutKind(n, w.src); kind != "" {
			n.SetAttributeString("class", []byte("callout callout-"+kind))
		}
	case *ast.Link:
		dest, ok := w.destination(n.Destination, false)
		if !ok {
			w.unwrap(n)
			return unwrapped
		}
		n.Destination = dest
		if isExternal(dest) {
			n.SetAttributeString("rel", []byte("nofollow noopener"))
		}
	case *ast.Image:
		dest, ok := w.destination(n.Destination, true)
		if !ok {
			w.unwrap(n)
			return unwrapped
		}
		n.Destination = dest
	case *ast.AutoLink:
		if n.AutoLinkType == ast.AutoLinkEmail {
			return skip
		}
		u := n.URL(w.src)
		if _, ok := w.destination(u, false); !ok {
			n.Parent().ReplaceChild(n.Parent(), n, ast.NewString(n.Label(w.src)))
			return skip
		}
		if isExternal(u) {
			n.SetAttributeString("rel", []byte("nofollow noopener"))
		}
		return skip
	case *ast.HTMLBlock, *ast.RawHTML, *ast.CodeBlock, *ast.FencedCodeBlock, *ast.CodeSpan, *ast.Text, *ast.String:
		return skip
	}
	if c.HasChildren() {
		return descend
	}
	return skip
}

// unwrap replaces n in its parent by n's children, and lists them in
// w.moved (last first, ready for the stack).
func (w *walker) unwrap(n ast.Node) {
	parent := n.Parent()
	start := len(w.moved)
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		parent.InsertBefore(parent, n, c)
		w.moved = append(w.moved, c)
		c = next
	}
	parent.RemoveChild(parent, n)
	slices.Reverse(w.moved[start:])
}

// destination checks a link or image destination as written and returns
// the one to render. Images need a relative or https URL; links may also
// be http, mailto or tel.
func (w *walker) destination(raw []byte, image bool) ([]byte, bool) {
	// Resolve what the renderer will resolve, so "&#106;avascript:" is
	// judged as the browser will see it.
	d := util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(raw)))
	s := strings.TrimSpace(string(d))
	if id, ok := strings.CutPrefix(s, "file:"); ok {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 || w.opts.FileURL == nil {
			return nil, false
		}
		u := w.opts.FileURL(n)
		if u == "" {
			return nil, false
		}
		return []byte(u), true
	}
	// Browsers ignore control characters and whitespace inside a scheme
	// ("java\tscript:"); so does this check.
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, false
	}
	switch strings.ToLower(u.Scheme) {
	case "":
		// A protocol-relative URL ("//host/x") is external in disguise;
		// only links may have one.
		if u.Host != "" && image {
			return nil, false
		}
	case "https":
	case "http", "mailto", "tel":
		if image {
			return nil, false
		}
	default:
		return nil, false
	}
	return raw, true
}

// isExternal reports whether a link destination leaves the site.
func isExternal(dest []byte) bool {
	s := strings.ToLower(strings.TrimSpace(string(dest)))
	return strings.HasPrefix(s, "http:") || strings.HasPrefix(s, "https:") || strings.HasPrefix(s, "//") ||
		strings.HasPrefix(s, "www.") // GFM autolinks without a scheme
}

// calloutKind returns the callout kind of a blockquote ("note", "tip",
// "warning"), or "" when it is an ordinary quote.
func calloutKind(q *ast.Blockquote, src []byte) string {
	p, ok := q.FirstChild().(*ast.Paragraph)
	if !ok {
		return ""
	}
	strong, ok := p.FirstChild().(*ast.Emphasis)
	if !ok || strong.Level != 2 {
		return ""
	}
	var b strings.Builder
	inlineText(&b, strong, src)
	label := strings.ToLower(strings.TrimSpace(b.String()))
	label = strings.TrimSpace(strings.TrimSuffix(label, ":"))
	switch label {
	case "let op", "note", "opmerking", "info":
		return "note"
	case "tip":
		return "tip"
	case "waarschuwing", "warning", "belangrijk", "important", "pas op":
		return "warning"
	}
	return ""
}

// uniqueID returns id, or id with a number added when an earlier heading
// has it.
func (w *walker) uniqueID(id string) string {
	if id == "" {
		id = "section"
	}
	n, used := w.ids[id]
	if !used {
		w.ids[id] = 0
		return id
	}
	for {
		n++
		cand := id + "-" + strconv.Itoa(n)
		if _, taken := w.ids[cand]; !taken {
			w.ids[id] = n
			w.ids[cand] = 0
			return cand
		}
	}
}

// slug turns text into an ASCII id: folded lower-case words joined by
// hyphens, at most maxIDLen bytes, cut between words.
func slug(s string) string {
	var b strings.Builder
	for _, tok := range lang.Tokens(s) {
		tok = asciiOnly(tok)
		if tok == "" {
			continue
		}
		if b.Len() > 0 && b.Len()+1+len(tok) > maxIDLen {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(tok[:min(len(tok), maxIDLen)])
	}
	return b.String()
}

// asciiOnly drops the bytes of tok that are not ASCII letters or digits
// (letters lang could not fold, such as Cyrillic).
func asciiOnly(tok string) string {
	for i := range len(tok) {
		if c := tok[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return strings.Map(func(r rune) rune {
				if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
					return r
				}
				return -1
			}, tok)
		}
	}
	return tok
}
