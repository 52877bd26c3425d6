// Package lang is balie's text analysis for Dutch and English: tokenising,
// stop words, stemming and language detection. Search indexes (both store
// drivers, the knowledge base) and the classifier use it so that indexing and
// querying always agree. It imports only the standard library.
//
// # Tokens
//
// Text is cut into runs of Unicode letters and digits, lower-cased, with
// diacritics folded away ("Één" → "een", "financiële" → "financiele", "ĳ" →
// "ij"). An apostrophe between letters joins them ("customer's" →
// "customers", "auto's" → "autos"). Only the first MaxInput bytes are read
// and tokens are cut to MaxTokenLen bytes.
//
// # Codes: order numbers and email addresses
//
// Runs joined by single punctuation characters (- . / _ @) form one chunk.
// A chunk with a digit or an @ is a code and is kept whole, its punctuation
// dropped: "NL-2024-0001" → "nl20240001", "jan@example.nl" →
// "janexamplenl". Plain words joined that way ("e-mail", "www.example.nl")
// are separate words.
//
// A code is indexed as its whole form, as every contiguous run of its parts
// (parts split at punctuation and at letter/digit changes), and with its
// letter parts as ordinary words. A query code must match a whole run. So
// the text "NL-2024-0001" is found by "NL-2024-0001", "nl20240001",
// "2024-0001", "2024", "0001" and "NL-2024"; the text "ORD12345" by
// "ord12345", "ord-12345" and "12345"; "jan@example.nl" by the address, by
// "jan" and by "example.nl". A chunk has at most 8 parts (longer ones are
// cut into several chunks), so one code yields at most 28 runs besides its
// parts.
//
// # Terms
//
// Stop words (Dutch and English lists together) and one-letter words are
// not indexed. Every other word is indexed as its Dutch stem and its English
// stem, since a message's language is often unknown; a query word matches
// when either of its stems does. Index and query terms contain only
// letters and digits.
package lang

import "unicode/utf8"

// MaxQueryGroups bounds the number of alternatives groups QueryTerms
// returns; words after that are ignored.
const MaxQueryGroups = 32

// Tokens splits text into lower-case tokens of letters and digits with
// diacritics folded. Codes ("NL-2024-0001", "jan@example.nl") come out as
// one token without their punctuation. Stop words are kept.
func Tokens(text string) []string {
	s := newScanner(text)
	var out []string
	for s.next() {
		c := &s.c
		if c.isCode() {
			out = append(out, string(c.span(0, c.np)))
			continue
		}
		for i := range c.np {
			out = append(out, string(c.part(i)))
		}
	}
	return out
}

// IndexTerms returns the distinct terms to index for text, in order of
// first appearance: for each word that is not a stop word its Dutch and
// English stems, and for codes the forms described in the package comment.
func IndexTerms(text string) []string {
	s := newScanner(text)
	var ts termSet
	for s.next() {
		c := &s.c
		for i := range c.np {
			if c.digits[i] {
				ts.add(c.part(i))
			} else {
				ts.addWord(c.part(i))
			}
		}
		if !c.isCode() {
			continue
		}
		for i := range c.np {
			for j := i + 2; j <= c.np; j++ {
				ts.add(c.span(i, j))
			}
		}
	}
	return ts.terms()
}

// QueryTerms returns, for each meaningful word of a query, the alternative
// terms of which one must match: the word's Dutch and English stems (one
// term when they are equal), or the whole form of a code. Repeated words
// give one group, and at most MaxQueryGroups groups are returned.
//
// Stop words are dropped. A query of only stop words returns nil: those
// words are not indexed, so no term could match them; callers should treat
// it as an empty query rather than search for the raw words.
func QueryTerms(text string) [][]string {
	s := newScanner(text)
	var out [][]string
	var nl, en [MaxTokenLen]byte
	for s.next() && len(out) < MaxQueryGroups {
		c := &s.c
		if c.isCode() {
			out = addGroup(out, c.span(0, c.np), nil)
			continue
		}
		for i := 0; i < c.np && len(out) < MaxQueryGroups; i++ {
			a, b, ok := wordStems(c.part(i), nl[:0], en[:0])
			if ok {
				out = addGroup(out, a, b)
			}
		}
	}
	return out
}

// addGroup appends the group {a, b} (b may be nil or equal to a) unless an
// equal group is already there.
func addGroup(groups [][]string, a, b []byte) [][]string {
	if string(a) == string(b) {
		b = nil
	}
	for _, g := range groups {
		if g[0] == string(a) && (len(g) == 1) == (b == nil) && (b == nil || g[1] == string(b)) {
			return groups
		}
	}
	g := []string{string(a)}
	if b != nil {
		g = append(g, string(b))
	}
	return append(groups, g)
}

// Stem returns the stem of word for lang "nl" (Snowball Dutch) or "en"
// (Porter2). The word is first folded like a token (lower case, no
// diacritics, only letters and digits). Words with letters outside ASCII,
// and any word for another lang, are returned folded but unstemmed.
func Stem(lang, word string) string {
	var buf [MaxTokenLen]byte
	w := buf[:0]
	for _, r := range word {
		if k := classify(r); k != kindLetter && k != kindDigit {
			continue
		}
		var tmp [utf8.UTFMax * 2]byte
		f := appendFolded(tmp[:0], r)
		if len(w)+len(f) > MaxTokenLen {
			break
		}
		w = append(w, f...)
	}
	if isASCII(w) {
		switch lang {
		case "nl":
			w = stemDutch(w)
		case "en":
			w = stemEnglish(w)
		}
	}
	return string(w)
}

func isASCII(w []byte) bool {
	for _, c := range w {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// wordStems returns the Dutch and English stems of the folded word w,
// written into nl and en, or ok false when w is not worth indexing (a stop
// word or a single letter). Words with non-ASCII letters are returned as
// they are: the stemmers only know Dutch and English.
func wordStems(w, nl, en []byte) (nlStem, enStem []byte, ok bool) {
	if len(w) < 2 || isStop(w) {
		return nil, nil, false
	}
	if !isASCII(w) {
		return w, w, true
	}
	return stemDutch(append(nl, w...)), stemEnglish(append(en, w...)), true
}

// linearLimit is the number of terms up to which termSet finds duplicates
// by scanning, which beats hashing for chat-sized messages; past it a map
// takes over so that long texts stay linear.
const linearLimit = 48

// termSet collects distinct terms in order of first appearance. The first
// terms (up to linearLimit, while they fit in buf) are packed into one
// fixed buffer and become substrings of a single string at the end, saving
// an allocation per term on the hot ingest path. It holds arrays rather
// than slices into itself so that it can live on the stack.
type termSet struct {
	buf   [1024]byte
	nbuf  int
	ends  [linearLimit]int
	nends int
	extra []string // terms that did not fit in buf
	seen  map[string]struct{}
	nl    [MaxTokenLen]byte
	en    [MaxTokenLen]byte
}

func (t *termSet) addWord(w []byte) {
	a, b, ok := wordStems(w, t.nl[:0], t.en[:0])
	if !ok {
		return
	}
	t.add(a)
	if string(a) != string(b) {
		t.add(b)
	}
}

func (t *termSet) add(b []byte) {
	if len(b) == 0 {
		return
	}
	if t.seen != nil {
		if _, dup := t.seen[string(b)]; dup {
			return
		}
		s := string(b)
		t.seen[s] = struct{}{}
		t.extra = append(t.extra, s)
		return
	}
	start := 0
	for _, end := range t.ends[:t.nends] {
		if string(t.buf[start:end]) == string(b) {
			return
		}
		start = end
	}
	if t.nends == linearLimit || t.nbuf+len(b) > len(t.buf) {
		// Full: from now on a map finds duplicates.
		t.seen = make(map[string]struct{}, 2*linearLimit)
		start := 0
		for _, end := range t.ends[:t.nends] {
			t.seen[string(t.buf[start:end])] = struct{}{}
			start = end
		}
		t.add(b)
		return
	}
	t.nbuf += copy(t.buf[t.nbuf:], b)
	t.ends[t.nends] = t.nbuf
	t.nends++
}

// terms returns the collected terms, or nil if there are none.
func (t *termSet) terms() []string {
	if t.nends == 0 {
		return nil
	}
	all := string(t.buf[:t.nbuf])
	out := make([]string, 0, t.nends+len(t.extra))
	start := 0
	for _, end := range t.ends[:t.nends] {
		out = append(out, all[start:end])
		start = end
	}
	return append(out, t.extra...)
}
