package mailparse

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// field is one header field with its value unfolded but not decoded.
type field struct {
	key   string // canonical, e.g. "Content-Type"
	value string
}

// header keeps fields in order: the topmost Received or
// Authentication-Results is the one added by the nearest server.
type header []field

func (h header) get(key string) string {
	key = textproto.CanonicalMIMEHeaderKey(key)
	for _, f := range h {
		if f.key == key {
			return f.value
		}
	}
	return ""
}

func (h header) has(key string) bool {
	key = textproto.CanonicalMIMEHeaderKey(key)
	for _, f := range h {
		if f.key == key {
			return true
		}
	}
	return false
}

func (h header) values(key string) []string {
	key = textproto.CanonicalMIMEHeaderKey(key)
	var vs []string
	for _, f := range h {
		if f.key == key {
			vs = append(vs, f.value)
		}
	}
	return vs
}

// validFieldName reports whether s is an RFC 5322 field name: printable
// ASCII without colon or space.
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// splitHeader reads the header block at the start of b and returns it with
// the body after the blank line. It accepts what lenient servers accept: LF
// line ends, an mbox "From " line, a leading space, and lines that are
// neither a field nor a folded continuation (joined to the previous field).
func splitHeader(b []byte, w *warnings) (h header, body []byte) {
	// Continuation lines are collected and joined once at the end: joining
	// as they come is quadratic for a hostile header of a million folds.
	cont := map[int][]string{}
	defer func() {
		for i, c := range cont {
			h[i].value = strings.Join(append([]string{h[i].value}, c...), " ")
		}
	}()
	rest := b
	first := true
	for len(rest) > 0 {
		line, next := cutLine(rest)
		trimmed := strings.TrimRight(string(line), "\r\n")
		if trimmed == "" {
			return h, next
		}
		if strings.TrimSpace(trimmed) == "" {
			// A whitespace-only line is an (obsolete) empty fold when the
			// header goes on after it, else the end of the header.
			nl, _ := cutLine(next)
			if first || len(h) == 0 || !(len(nl) > 0 && (nl[0] == ' ' || nl[0] == '\t') || fieldLine.Match(nl)) {
				return h, next
			}
			rest = next
			continue
		}
		rest = next
		if first && strings.HasPrefix(trimmed, "From ") {
			first = false
			continue // mbox separator, not a header field
		}
		isCont := trimmed[0] == ' ' || trimmed[0] == '\t'
		if isCont && len(h) > 0 {
			cont[len(h)-1] = append(cont[len(h)-1], strings.TrimSpace(trimmed))
			first = false
			continue
		}
		if first && isCont {
			w.add("header: leading whitespace before the first field")
			trimmed = strings.TrimLeft(trimmed, " \t")
		}
		first = false
		name, value, ok := strings.Cut(trimmed, ":")
		name = strings.TrimRight(name, " \t")
		if !ok || !validFieldName(name) {
			if len(h) == 0 {
				// No header at all: the message (or part) is only a body.
				w.add("header: none found, all of it read as body")
				return nil, b[len(b)-len(rest)-len(line):]
			}
			w.add("header: line is neither a field nor a continuation; joined to " + h[len(h)-1].key)
			cont[len(h)-1] = append(cont[len(h)-1], strings.TrimSpace(trimmed))
			continue
		}
		h = append(h, field{key: textproto.CanonicalMIMEHeaderKey(name), value: strings.TrimSpace(value)})
	}
	return h, nil
}

var fieldLine = regexp.MustCompile(`^[!-9;-~]+:`)

// cutLine returns the first line of b including its line end, and the rest.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	return b[:i+1], b[i+1:]
}

// wordDecoder decodes RFC 2047 encoded words in any charset lookupCharset
// knows; unknown charsets are read as Windows-1252 rather than failing.
func wordDecoder() *mime.WordDecoder {
	return &mime.WordDecoder{CharsetReader: func(charset string, in io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		s, _ := toUTF8(b, charset)
		return strings.NewReader(s), nil
	}}
}

// decodeText decodes an unstructured header value (Subject, a display name)
// to valid UTF-8: encoded words, then raw 8-bit bytes as UTF-8 (RFC 6532)
// or, when not valid UTF-8, as Windows-1252.
func decodeText(raw string) string { return decodeTextCharset(raw, "") }

// decodeTextCharset is decodeText with the charset to assume for raw 8-bit
// bytes that are not UTF-8 (senders often use the body's charset).
func decodeTextCharset(raw, fallback string) string {
	s := raw
	if strings.Contains(s, "=?") {
		// Some senders encode words as "=?utf-8?Q?foo bar?=" with raw
		// spaces; DecodeHeader then leaves them undecoded, which is fine.
		if d, err := wordDecoder().DecodeHeader(s); err == nil {
			s = d
		}
	}
	if !utf8.ValidString(s) {
		s, _ = toUTF8([]byte(s), fallback)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		// Control characters in a subject or name only confuse the UI.
		if r < ' ' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// parseAddresses parses an address-list header value, falling back to a
// forgiving split when it is not valid RFC 5322.
func parseAddresses(raw string, w *warnings, name, fallback string) []Address {
	raw = strings.TrimSpace(raw)
	if !utf8.ValidString(raw) {
		raw, _ = toUTF8([]byte(raw), fallback)
	}
	if raw == "" {
		return nil
	}
	p := mail.AddressParser{WordDecoder: wordDecoder()}
	if list, err := p.ParseList(raw); err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			out = append(out, Address{Name: decodeText(a.Name), Addr: decodeText(a.Address)})
		}
		return out
	}
	w.add("header " + name + ": malformed address list, parsed leniently")
	var out []Address
	for _, part := range splitAddressList(raw) {
		if a, ok := looseAddress(part); ok {
			out = append(out, a)
		}
	}
	return out
}

// splitAddressList splits on commas and semicolons outside quotes, angle
// brackets and comments.
func splitAddressList(s string) []string {
	var parts []string
	var cur strings.Builder
	inQuote, angle, comment := false, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(c)
			i++
			c = s[i]
		case c == '"' && comment == 0:
			inQuote = !inQuote
		case inQuote:
		case c == '<':
			angle++
		case c == '>' && angle > 0:
			angle--
		case c == '(':
			comment++
		case c == ')' && comment > 0:
			comment--
		case (c == ',' || c == ';') && angle == 0 && comment == 0:
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(parts, cur.String())
}

var (
	angleAddr = regexp.MustCompile(`<([^<>\s]*@[^<>\s]*)>`)
	bareAddr  = regexp.MustCompile(`[^\s<>"(),;:]+@[^\s<>"(),;:]+`)
)

func looseAddress(s string) (Address, bool) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ":"); i >= 0 && !strings.Contains(s[:i], "@") && !strings.Contains(s[:i], "<") {
		s = strings.TrimSpace(s[i+1:]) // group "name: a@b"
	}
	if m := angleAddr.FindStringSubmatchIndex(s); m != nil {
		name := strings.TrimSpace(s[:m[0]])
		name = strings.Trim(name, `"' `)
		return Address{Name: decodeText(name), Addr: decodeText(s[m[2]:m[3]])}, true
	}
	if m := bareAddr.FindString(s); m != "" {
		return Address{Addr: decodeText(strings.Trim(m, ".'"))}, true
	}
	return Address{}, false
}

// msgIDs extracts message ids from In-Reply-To or References, without angle
// brackets. A value with no brackets at all is taken as one bare id.
func msgIDs(raw string) []string {
	var ids []string
	for {
		i := strings.IndexByte(raw, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(raw[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(raw[i+1 : i+j]); id != "" && utf8.ValidString(id) {
			ids = append(ids, id)
		}
		raw = raw[i+j+1:]
	}
	if len(ids) == 0 {
		for _, f := range strings.Fields(raw) {
			if strings.Contains(f, "@") && utf8.ValidString(f) {
				ids = append(ids, f)
			}
		}
	}
	return ids
}

var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"2006-01-02 15:04:05 -0700",
	time.RFC3339,
}

var dateComment = regexp.MustCompile(`\s*\([^)]*\)\s*$`)

func parseDate(raw string) (time.Time, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return time.Time{}, false
	}
	if t, err := mail.ParseDate(raw); err == nil {
		return t, true
	}
	s := strings.Join(strings.Fields(dateComment.ReplaceAllString(raw, "")), " ")
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// warnings collects non-fatal problems, capped so a hostile mail with a
// million broken parts cannot blow up the result.
type warnings struct{ list []string }

const maxWarnings = 100

func (w *warnings) add(s string) {
	if len(w.list) < maxWarnings {
		w.list = append(w.list, s)
	}
}
