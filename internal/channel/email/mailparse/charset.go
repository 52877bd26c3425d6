package mailparse

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// charsetAliases maps labels seen in real mail that neither the WHATWG nor
// the IANA index knows to a label they do.
var charsetAliases = map[string]string{
	"utf8":              "utf-8",
	"latin1":            "iso-8859-1",
	"latin-1":           "iso-8859-1",
	"cp1252":            "windows-1252",
	"win-1252":          "windows-1252",
	"ansi":              "windows-1252",
	"x-sjis":            "shift_jis",
	"sjis":              "shift_jis",
	"cp932":             "shift_jis",
	"iso-2022-jp-2":     "iso-2022-jp",
	"x-user-defined":    "windows-1252",
	"ascii":             "us-ascii",
	"ansi_x3.4-1968":    "us-ascii",
	"unicode-1-1-utf-8": "utf-8",
}

// lookupCharset returns the decoder for a MIME charset label, or nil if the
// label is unknown.
func lookupCharset(label string) encoding.Encoding {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	l = strings.TrimPrefix(l, "charset=") // seen as charset="charset=us-ascii"
	if l == "" {
		return nil
	}
	if a, ok := charsetAliases[l]; ok {
		l = a
	}
	switch l {
	case "us-ascii", "utf-8":
		return unicode.UTF8
	}
	if e, err := htmlindex.Get(l); err == nil && e != nil {
		return e
	}
	if e, err := ianaindex.MIME.Encoding(l); err == nil && e != nil {
		return e
	}
	if e, err := ianaindex.IANA.Encoding(l); err == nil && e != nil {
		return e
	}
	return nil
}

// toUTF8 converts b from charset to valid UTF-8. An empty or unknown charset
// keeps b if it is already valid UTF-8 (much mail declares nothing or lies)
// and otherwise reads it as Windows-1252, the most common undeclared charset;
// the second return value says whether such a guess was made.
func toUTF8(b []byte, charset string) (string, bool) {
	enc := lookupCharset(charset)
	guessed := false
	if enc == nil {
		guessed = strings.TrimSpace(charset) != ""
		if utf8.Valid(b) {
			return string(b), guessed
		}
		enc = charmap.Windows1252
		guessed = true
	}
	if enc == unicode.UTF8 {
		if utf8.Valid(b) {
			return strings.TrimPrefix(string(b), "\uFEFF"), false
		}
		// Declared UTF-8 but is not: usually Latin-1 from a broken client.
		s, err := charmap.Windows1252.NewDecoder().Bytes(b)
		if err != nil {
			return strings.ToValidUTF8(string(b), "\uFFFD"), true
		}
		return string(s), true
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		// Decoders stop at the first error; fall back to a lossless-ish read.
		s, err2 := charmap.Windows1252.NewDecoder().Bytes(b)
		if err2 != nil {
			return strings.ToValidUTF8(string(b), "\uFFFD"), true
		}
		return string(s), true
	}
	return strings.TrimPrefix(strings.ToValidUTF8(string(out), "\uFFFD"), "\uFEFF"), guessed
}
