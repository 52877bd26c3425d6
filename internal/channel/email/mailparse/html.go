package mailparse

import (
	"html"
	"net/url"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// sanitizeHTML returns body safe to embed in the agent UI, and how many
// remote images it removed. It starts from bluemonday's UGC policy (no
// script, style, iframe, object, form or event handler attributes survive)
// and narrows URLs: links may be http, https or mailto; images only cid:
// (rewritten through InlineURL) or, when allowed, https.
func sanitizeHTML(body string, opts Options) (string, int) {
	remote := 0
	p := bluemonday.UGCPolicy()
	p.AllowRelativeURLs(false)
	p.AllowURLSchemes("http", "https", "mailto", "cid")
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	// Mail layout depends on a few harmless inline styles; nothing that
	// can load a URL (background-image, url()) is allowed.
	p.AllowStyles("color", "background-color", "font-weight", "font-style", "text-align", "text-decoration", "font-size").Globally()
	p.AllowAttrs("bgcolor", "color").Matching(regexp.MustCompile(`^#?[0-9A-Za-z]{1,20}$`)).OnElements("td", "th", "tr", "table", "font")
	p.AllowElements("font", "center")
	p.RewriteSrc(func(u *url.URL) {
		switch strings.ToLower(u.Scheme) {
		case "cid":
			cid := u.Opaque
			if cid == "" {
				cid = strings.TrimPrefix(u.Path, "/")
			}
			if c, err := url.PathUnescape(cid); err == nil {
				cid = c
			}
			target := ""
			if opts.InlineURL != nil && cid != "" {
				target = opts.InlineURL(strings.Trim(cid, "<>"))
			}
			replaceURL(u, target)
		case "https":
			if !opts.AllowRemoteImages {
				remote++
				replaceURL(u, "")
			}
		case "http":
			// Never load images in clear text: mixed content and tracking.
			remote++
			replaceURL(u, "")
		default:
			replaceURL(u, "")
		}
	})
	out := p.Sanitize(body)
	return strings.TrimSpace(out), remote
}

// replaceURL overwrites u with target (which the caller trusts), or with
// an empty URL that loads nothing.
func replaceURL(u *url.URL, target string) {
	if target != "" {
		if t, err := url.Parse(target); err == nil {
			*u = *t
			return
		}
	}
	*u = url.URL{}
}

var (
	reSkipBlocks = regexp.MustCompile(`(?is)<(script|style|head|title)\b.*?</(script|style|head|title)\s*>`)
	reComments   = regexp.MustCompile(`(?s)<!--.*?-->`)
	reBreak      = regexp.MustCompile(`(?i)<br\s*/?>`)
	reBlockEnd   = regexp.MustCompile(`(?i)</?(p|div|tr|table|h[1-6]|ul|ol|pre|section|article|header|footer)\b[^>]*>`)
	reQuoteOpen  = regexp.MustCompile(`(?i)<blockquote\b[^>]*>`)
	reQuoteClose = regexp.MustCompile(`(?i)</blockquote\s*>`)
	reListItem   = regexp.MustCompile(`(?i)<li\b[^>]*>`)
	reCell       = regexp.MustCompile(`(?i)</t[dh]\s*>`)
	reTag        = regexp.MustCompile(`(?s)<[^>]*>`)
	reSpaces     = regexp.MustCompile(`[ \t\x{00a0}]+`)
	reManyBlank  = regexp.MustCompile(`\n{3,}`)
)

// htmlToText renders HTML as readable plain text for mails without a
// text/plain part: the reply stripper, search and notifications use it.
func htmlToText(s string) string {
	s = strings.NewReplacer("\x01", "", "\x02", "").Replace(s)
	s = reComments.ReplaceAllString(s, "")
	s = reSkipBlocks.ReplaceAllString(s, "")
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	s = reBreak.ReplaceAllString(s, "\n")
	s = reQuoteOpen.ReplaceAllString(s, "\n\x01")
	s = reQuoteClose.ReplaceAllString(s, "\x02\n")
	s = reListItem.ReplaceAllString(s, "\n- ")
	s = reBlockEnd.ReplaceAllString(s, "\n")
	s = reCell.ReplaceAllString(s, " ")
	s = reTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = strings.NewReplacer("\x01", "", "\x02", "").Replace(quoteBlocks(s))
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(reSpaces.ReplaceAllString(l, " "))
	}
	s = strings.Join(lines, "\n")
	s = reManyBlank.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}

// quoteBlocks prefixes lines inside blockquote markers (\x01 opens, \x02
// closes) with "> " per level, so StripReply sees HTML quotes as quotes.
func quoteBlocks(s string) string {
	var b strings.Builder
	depth := 0
	for i, l := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		d := depth
		for _, c := range l {
			switch c {
			case '\x01':
				depth++
			case '\x02':
				if depth > 0 {
					depth--
				}
			}
		}
		if depth > d {
			d = depth
		}
		text := strings.NewReplacer("\x01", "", "\x02", "").Replace(l)
		if d > 0 && strings.TrimSpace(text) != "" {
			b.WriteString(strings.Repeat("> ", d))
		}
		b.WriteString(text)
	}
	return b.String()
}
