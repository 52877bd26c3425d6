package mailparse

import (
	"bytes"
	"encoding/base64"
	"mime"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// contentType parses a Content-Type value. A missing value means text/plain
// (RFC 2045); an unparseable one is read leniently.
func contentType(raw string, w *warnings) (string, map[string]string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(raw)
	if err != nil {
		w.add("content-type: " + err.Error() + "; parsed leniently")
		mt, params = looseMediaType(raw)
	} else if needs2231Fallback(raw) {
		_, loose := looseMediaType(raw)
		for k, v := range loose {
			if params[k] == "" || k == "name" || k == "filename" {
				params[k] = v
			}
		}
	}
	mt = strings.ToLower(mt)
	if !strings.Contains(mt, "/") || strings.HasSuffix(mt, "/") || strings.HasPrefix(mt, "/") {
		w.add("content-type: invalid media type " + strconv.Quote(mt))
		if strings.HasPrefix(mt, "text") {
			mt = "text/plain"
		} else {
			mt = "application/octet-stream"
		}
	}
	return mt, params
}

// needs2231Fallback reports an RFC 2231 encoded name, which the standard
// library decodes only in utf-8 or us-ascii (dropping pieces otherwise).
func needs2231Fallback(raw string) bool {
	return strings.Contains(strings.ToLower(raw), "name*")
}

// looseMediaType splits "type/sub; k=v; k2="v 2"" without failing,
// including RFC 2231 continuations (k*0=, k*1*=) in any charset.
func looseMediaType(raw string) (string, map[string]string) {
	parts := splitParams(raw)
	mt := strings.TrimSpace(parts[0])
	if i := strings.IndexAny(mt, " \t"); i >= 0 {
		mt = mt[:i]
	}
	params := map[string]string{}
	type piece struct {
		n   int
		enc bool
		v   string
	}
	cont := map[string][]piece{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
		} else {
			v = strings.Trim(v, `"`)
		}
		if base, rest, ok := strings.Cut(k, "*"); ok {
			pc := piece{enc: strings.HasSuffix(rest, "*") || rest == ""}
			num := strings.TrimSuffix(rest, "*")
			if num != "" {
				n, err := strconv.Atoi(num)
				if err != nil {
					continue
				}
				pc.n = n
			}
			pc.v = v
			cont[base] = append(cont[base], pc)
			continue
		}
		if _, dup := params[k]; !dup {
			params[k] = v
		}
	}
	for base, pcs := range cont {
		// Pieces are usually in order; sort by number to be safe.
		for i := 1; i < len(pcs); i++ {
			for j := i; j > 0 && pcs[j].n < pcs[j-1].n; j-- {
				pcs[j], pcs[j-1] = pcs[j-1], pcs[j]
			}
		}
		charset := ""
		var buf []byte
		for i, pc := range pcs {
			v := pc.v
			if pc.enc && i == 0 {
				// charset'language'value
				if a, rest, ok := strings.Cut(v, "'"); ok {
					if _, val, ok := strings.Cut(rest, "'"); ok {
						charset, v = a, val
					}
				}
			}
			if pc.enc {
				buf = append(buf, percentDecode(v)...)
			} else {
				buf = append(buf, v...)
			}
		}
		s, _ := toUTF8(buf, charset)
		if params[base] == "" {
			params[base] = s
		}
	}
	return mt, params
}

func splitParams(s string) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			inQuote = !inQuote
		case ';':
			if !inQuote {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func percentDecode(s string) []byte {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(n))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return b
}

// transferDecode undoes the Content-Transfer-Encoding, decoding what it can
// of damaged input.
func transferDecode(body []byte, cte string, w *warnings) []byte {
	enc := strings.ToLower(strings.TrimSpace(cte))
	if i := strings.IndexAny(enc, "; \t"); i >= 0 && !strings.HasPrefix(enc, "quoted ") {
		enc = enc[:i]
	}
	enc = strings.NewReplacer(" ", "", "-", "", "_", "").Replace(enc)
	switch enc {
	case "", "7bit", "8bit", "binary", "8bits", "7bits":
		return body
	case "base64":
		return decodeBase64(body, w)
	case "quotedprintable":
		return decodeQP(body, w)
	case "xuuencode", "uuencode", "xuue":
		if d, ok := decodeUU(body); ok {
			return d
		}
		w.add("transfer-encoding: damaged uuencode kept as is")
		return body
	}
	w.add("transfer-encoding: unknown " + strconv.Quote(cte) + ", body kept as is")
	return body
}

// decodeBase64 ignores characters outside the alphabet and decodes each run
// between padding separately, so concatenated or truncated base64 still
// yields its bytes.
func decodeBase64(body []byte, w *warnings) []byte {
	clean := make([]byte, 0, len(body))
	junk := false
	for _, c := range body {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		case c == '\r', c == '\n', c == ' ', c == '\t':
		default:
			junk = true
		}
	}
	if junk {
		w.add("base64: ignored characters outside the alphabet")
	}
	var out []byte
	for _, chunk := range bytes.FieldsFunc(clean, func(r rune) bool { return r == '=' }) {
		if len(chunk)%4 == 1 {
			w.add("base64: dropped a dangling character")
			chunk = chunk[:len(chunk)-1]
		}
		dst := make([]byte, base64.RawStdEncoding.DecodedLen(len(chunk)))
		n, err := base64.RawStdEncoding.Decode(dst, chunk)
		if err != nil {
			w.add("base64: " + err.Error())
		}
		out = append(out, dst[:n]...)
	}
	return out
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeQP decodes quoted-printable; a "=" not followed by two hex digits
// or a line end is kept literally, as most clients do.
func decodeQP(body []byte, w *warnings) []byte {
	out := make([]byte, 0, len(body))
	bad := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		// Soft line break, possibly with trailing whitespace.
		j := i + 1
		for j < len(body) && (body[j] == ' ' || body[j] == '\t') {
			j++
		}
		if j < len(body) && body[j] == '\r' {
			j++
		}
		if j < len(body) && body[j] == '\n' {
			i = j
			continue
		}
		if j == len(body) {
			break // "=" at the very end
		}
		if i+2 < len(body) {
			hi, ok1 := unhex(body[i+1])
			lo, ok2 := unhex(body[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
				continue
			}
		}
		bad = true
		out = append(out, c)
	}
	if bad {
		w.add("quoted-printable: invalid escape kept literally")
	}
	return out
}

// decodeUU decodes the body of a uuencoded part ("begin 644 name" ... "end").
func decodeUU(body []byte) ([]byte, bool) {
	lines := strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
	var out []byte
	started := false
	for _, l := range lines {
		if !started {
			started = strings.HasPrefix(l, "begin ")
			continue
		}
		if l == "end" || l == "`" || l == "" {
			if l == "end" {
				return out, true
			}
			continue
		}
		n := int((l[0] - ' ') & 0x3f)
		data := l[1:]
		var dec []byte
		for i := 0; i+3 < len(data)+1 && len(dec) < n; i += 4 {
			var q [4]byte
			for k := 0; k < 4; k++ {
				if i+k < len(data) {
					q[k] = (data[i+k] - ' ') & 0x3f
				}
			}
			dec = append(dec, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
		}
		if len(dec) > n {
			dec = dec[:n]
		}
		out = append(out, dec...)
	}
	return out, started && len(out) > 0
}

// splitMultipart cuts body at lines that are exactly "--boundary" (plus
// trailing whitespace); "--boundary--" ends it. closed is false when the
// closing delimiter is missing and the last part ran to the end.
func splitMultipart(body []byte, boundary string) (parts [][]byte, closed bool) {
	delim := "--" + boundary
	rest := body
	var cur []byte
	in := false
	curStart := 0
	offset := 0
	for len(rest) > 0 {
		line, next := cutLine(rest)
		t := strings.TrimRight(string(line), " \t\r\n")
		lineStart := offset
		offset += len(line)
		rest = next
		if t != delim && t != delim+"--" {
			continue
		}
		if in {
			cur = trimLineEnd(body[curStart:lineStart])
			parts = append(parts, cur)
		}
		if t == delim+"--" {
			return parts, true
		}
		in = true
		curStart = offset
	}
	if in {
		parts = append(parts, body[curStart:])
	}
	return parts, false
}

// trimLineEnd drops the line end that belongs to the following delimiter.
func trimLineEnd(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

var guessBoundary = regexp.MustCompile(`(?m)^--([^\s-][^\r\n]{0,69}?)\s*$`)

// safeFilename keeps the last path element and drops control characters so
// a name is safe to show and to offer for download.
func safeFilename(s string) string {
	s = decodeText(s)
	s = strings.ReplaceAll(s, `\`, "/")
	s = path.Base(s)
	if s == "." || s == "/" || s == ".." {
		return ""
	}
	return strings.TrimSpace(s)
}
