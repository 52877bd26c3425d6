package mailparse

import (
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// Parse reads one message from r. It fails only when the message is larger
// than Options.MaxSize or r fails; anything malformed inside is skipped or
// guessed and listed in Message.Warnings. It never panics.
func Parse(r io.Reader, opts Options) (msg *Message, err error) {
	opts = opts.withDefaults()
	raw, err := io.ReadAll(io.LimitReader(r, opts.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("mailparse: read: %w", err)
	}
	if int64(len(raw)) > opts.MaxSize {
		return nil, fmt.Errorf("mailparse: parse: message over %d bytes: %w", opts.MaxSize, desk.ErrTooLarge)
	}
	defer func() {
		// Parsing is written not to panic; this is the last line of defence
		// so one hostile mail cannot take down the SMTP server.
		if p := recover(); p != nil {
			msg, err = nil, fmt.Errorf("mailparse: parse: internal error: %v: %w", p, desk.ErrInvalid)
		}
	}()
	return parse(raw, opts), nil
}

func parse(raw []byte, opts Options) *Message {
	w := &warnings{}
	h, body := splitHeader(raw, w)
	m := &Message{Headers: textproto.MIMEHeader{}}
	cs := headerCharset(h, body)
	for _, f := range h {
		m.Headers.Add(f.key, decodeTextCharset(f.value, cs))
	}
	m.MessageID = first(msgIDs(h.get("Message-Id")))
	m.InReplyTo = first(msgIDs(h.get("In-Reply-To")))
	m.References = msgIDs(h.get("References"))
	if from := parseAddresses(h.get("From"), w, "From", cs); len(from) > 0 {
		m.From = from[0]
		if len(from) > 1 {
			w.add("header From: several addresses, the first is used")
		}
	} else if h.get("From") != "" {
		w.add("header From: no address found")
	}
	m.To = parseAddresses(strings.Join(h.values("To"), ", "), w, "To", cs)
	m.Cc = parseAddresses(strings.Join(h.values("Cc"), ", "), w, "Cc", cs)
	m.ReplyTo = parseAddresses(h.get("Reply-To"), w, "Reply-To", cs)
	m.Subject = strings.TrimSpace(decodeTextCharset(h.get("Subject"), cs))
	if d := h.get("Date"); d != "" {
		if t, ok := parseDate(d); ok {
			m.Date = t
		} else {
			w.add("header Date: unparseable " + strconv.Quote(decodeText(d)))
		}
	}

	wk := &walker{opts: opts, w: w}
	wk.walk(h, body, 0, "")
	m.Attachments = wk.atts
	m.Signed = wk.signed
	m.Text = strings.Join(wk.texts, "\n")
	if len(wk.htmls) > 0 {
		rawHTML := strings.Join(wk.htmls, "\n")
		m.HTML, m.RemoteImages = sanitizeHTML(rawHTML, opts)
		if strings.TrimSpace(m.Text) == "" {
			m.Text = htmlToText(rawHTML)
		}
	}
	m.Text = normalizeText(m.Text)
	m.Reply, m.Quoted = StripReply(m.Text)

	m.Auth = parseAuthResults(h.values("Authentication-Results"))
	m.AutoReply = isAutoReply(h, m.Subject)
	m.Bounce = detectBounce(h, m, wk)
	m.Warnings = w.list
	return m
}

var anyCharset = regexp.MustCompile(`(?i)charset\s*=\s*"?([A-Za-z0-9_:.\-]+)`)

// headerCharset guesses the charset of raw 8-bit header bytes: the one the
// message declares for its text, if any.
func headerCharset(h header, body []byte) string {
	m := anyCharset.FindStringSubmatch(h.get("Content-Type"))
	if m == nil {
		m = anyCharset.FindStringSubmatch(string(body[:min(len(body), 64<<10)]))
	}
	if m == nil || lookupCharset(m[1]) == nil {
		return ""
	}
	return m[1]
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// normalizeText makes line ends LF and guarantees valid UTF-8 without NULs.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.ReplaceAll(s, "\x00", "")
	return strings.ToValidUTF8(s, "\uFFFD")
}

// walker visits the MIME tree collecting bodies and attachments.
type walker struct {
	opts    Options
	w       *warnings
	parts   int
	stopped bool

	texts, htmls []string
	atts         []Attachment
	dropped      int
	signed       bool

	reportType string // report-type of a multipart/report, lower-case
	dsn        []byte // the message/delivery-status part
}

func (wk *walker) walk(h header, body []byte, depth int, parent string) {
	if wk.stopped {
		return
	}
	wk.parts++
	if wk.parts > wk.opts.MaxParts {
		wk.w.add(fmt.Sprintf("mime: more than %d parts, rest skipped", wk.opts.MaxParts))
		wk.stopped = true
		return
	}
	ctRaw := h.get("Content-Type")
	if ctRaw == "" && parent == "multipart/digest" {
		ctRaw = "message/rfc822"
	}
	mt, params := contentType(ctRaw, wk.w)

	if strings.HasPrefix(mt, "multipart/") {
		if depth >= wk.opts.MaxDepth {
			wk.w.add("mime: nesting too deep, part skipped")
			return
		}
		boundary := params["boundary"]
		if boundary == "" {
			if m := guessBoundary.FindSubmatch(body); m != nil {
				boundary = string(m[1])
				wk.w.add("mime: multipart without boundary, guessed one")
			} else {
				wk.w.add("mime: multipart without boundary, read as text")
				wk.leaf(h, body, "text/plain", params, parent)
				return
			}
		}
		parts, closed := splitMultipart(body, boundary)
		if len(parts) == 0 {
			wk.w.add("mime: no part found for boundary " + strconv.Quote(boundary) + ", read as text")
			wk.leaf(h, body, "text/plain", params, parent)
			return
		}
		if !closed {
			wk.w.add("mime: closing boundary missing")
		}
		switch mt {
		case "multipart/report":
			wk.reportType = strings.ToLower(params["report-type"])
		case "multipart/signed", "multipart/encrypted":
			wk.signed = wk.signed || mt == "multipart/signed"
		}
		if mt == "multipart/alternative" {
			wk.alternative(parts, depth)
			return
		}
		for _, p := range parts {
			ph, pb := splitHeader(p, wk.w)
			wk.walk(ph, pb, depth+1, mt)
		}
		return
	}
	decoded := transferDecode(body, h.get("Content-Transfer-Encoding"), wk.w)
	wk.leafDecoded(h, decoded, mt, params, parent)
}

// alternative keeps, of the equivalent versions, the last (richest) one
// that has plain text and the last that has HTML; attachments from all
// versions are kept (inline images of the HTML version live there).
func (wk *walker) alternative(parts [][]byte, depth int) {
	baseT, baseH := len(wk.texts), len(wk.htmls)
	var bestT, bestH []string
	for _, p := range parts {
		ph, pb := splitHeader(p, wk.w)
		t0, h0 := len(wk.texts), len(wk.htmls)
		wk.walk(ph, pb, depth+1, "multipart/alternative")
		if len(wk.texts) > t0 {
			bestT = append([]string(nil), wk.texts[t0:]...)
		}
		if len(wk.htmls) > h0 {
			bestH = append([]string(nil), wk.htmls[h0:]...)
		}
	}
	wk.texts = append(wk.texts[:baseT], bestT...)
	wk.htmls = append(wk.htmls[:baseH], bestH...)
}

func (wk *walker) leaf(h header, body []byte, mt string, params map[string]string, parent string) {
	decoded := transferDecode(body, h.get("Content-Transfer-Encoding"), wk.w)
	wk.leafDecoded(h, decoded, mt, params, parent)
}

var metaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)`)

func (wk *walker) leafDecoded(h header, data []byte, mt string, params map[string]string, parent string) {
	disp, dparams := "", map[string]string{}
	if d := strings.TrimSpace(h.get("Content-Disposition")); d != "" {
		var err error
		disp, dparams, err = mime.ParseMediaType(d)
		if dparams == nil {
			dparams = map[string]string{}
		}
		if err != nil || needs2231Fallback(d) {
			ld, lp := looseMediaType(d)
			if err != nil {
				disp = ld
			}
			for k, v := range lp {
				if dparams[k] == "" || k == "filename" && err == nil {
					dparams[k] = v
				}
			}
		}
		disp = strings.ToLower(strings.TrimSpace(disp))
	}
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	name = safeFilename(name)
	cid := strings.Trim(strings.TrimSpace(decodeText(h.get("Content-Id"))), "<>")

	switch {
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		wk.dsn = data
		return
	case mt == "text/rfc822-headers":
		return // the bounced message's header: not useful to an agent
	case parent == "multipart/signed" && isSignature(mt):
		return
	}
	isBody := (mt == "text/plain" || mt == "text/html") &&
		(parent == "multipart/alternative" || disp != "attachment" && name == "")
	if isBody {
		charset := params["charset"]
		if charset == "" && mt == "text/html" {
			if m := metaCharset.FindSubmatch(data[:min(len(data), 4096)]); m != nil {
				charset = string(m[1])
			}
		}
		s, guessed := toUTF8(data, charset)
		if guessed {
			wk.w.add("charset: " + strconv.Quote(charset) + " unknown or wrong, text guessed")
		}
		if mt == "text/html" {
			wk.htmls = append(wk.htmls, s)
		} else {
			wk.texts = append(wk.texts, s)
		}
		return
	}
	if len(wk.atts) >= wk.opts.MaxAttachments {
		wk.dropped++
		if wk.dropped == 1 {
			wk.w.add(fmt.Sprintf("attachments: more than %d, rest dropped", wk.opts.MaxAttachments))
		}
		return
	}
	if name == "" && mt == "message/rfc822" {
		nh, _ := splitHeader(data, &warnings{})
		if s := strings.TrimSpace(decodeText(nh.get("Subject"))); s != "" {
			name = safeFilename(s + ".eml")
		} else {
			name = "message.eml"
		}
	}
	a := Attachment{
		Filename:    name,
		ContentType: mt,
		ContentID:   cid,
		Inline:      disp == "inline" || disp == "" && cid != "" && parent == "multipart/related",
		Size:        len(data),
	}
	if len(data) > wk.opts.MaxAttachmentSize {
		wk.w.add(fmt.Sprintf("attachment %q: %d bytes over the limit, content dropped", name, len(data)))
	} else {
		a.Data = data
	}
	wk.atts = append(wk.atts, a)
}

func isSignature(mt string) bool {
	switch mt {
	case "application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature":
		return true
	}
	return false
}
