package lang

import (
	"unicode"
	"unicode/utf8"
)

// Limits that bound the cost of analysing hostile input. Index and query go
// through the same scanner, so both see the same truncated tokens.
const (
	// MaxInput is how many bytes of a text are analysed; the rest is ignored.
	MaxInput = 64 << 10
	// MaxTokenLen is the longest token or term in bytes; longer runs of
	// letters or digits are cut (at a rune boundary).
	MaxTokenLen = 64
	// maxParts is how many parts one chunk (e.g. "NL-2024-0001") may have
	// before the scanner starts a new chunk; it bounds the sub-joins indexed.
	maxParts = 8
)

// chunk is a run of letters and digits, possibly joined by single
// punctuation characters ("NL-2024-0001", "jan@example.nl", "e-mail"). It is
// kept as parts: maximal runs of only letters or only digits, so
// "ORD12345" has the parts "ord" and "12345". Parts are folded to lower case
// without diacritics and stored back to back in buf.
type chunk struct {
	buf      [maxParts * MaxTokenLen]byte
	n        int
	ends     [maxParts]int // end offset in buf of each part
	digits   [maxParts]bool
	np       int  // number of parts
	open     bool // whether the last part may still grow
	hasDigit bool
	hasAt    bool
}

func (c *chunk) reset() {
	c.n, c.np, c.open, c.hasDigit, c.hasAt = 0, 0, false, false, false
}

// part returns the folded bytes of part i.
func (c *chunk) part(i int) []byte {
	start := 0
	if i > 0 {
		start = c.ends[i-1]
	}
	return c.buf[start:c.ends[i]]
}

// span returns parts i through j-1 concatenated, cut to MaxTokenLen.
func (c *chunk) span(i, j int) []byte {
	start := 0
	if i > 0 {
		start = c.ends[i-1]
	}
	return capLen(c.buf[start:c.ends[j-1]])
}

// isCode reports whether the chunk is an identifier (order number, email
// address) rather than plain words: such chunks are kept whole.
func (c *chunk) isCode() bool { return c.hasDigit || c.hasAt }

// add appends r to the chunk, starting a new part when the chunk has no open
// part or r switches between letters and digits. It reports false, adding
// nothing, when that would need more than maxParts parts.
func (c *chunk) add(r rune, digit bool) bool {
	if !c.open || c.digits[c.np-1] != digit {
		if c.np == maxParts {
			return false
		}
		c.np++
		c.digits[c.np-1] = digit
		c.ends[c.np-1] = c.n
		c.open = true
		if digit {
			c.hasDigit = true
		}
	}
	start := 0
	if c.np > 1 {
		start = c.ends[c.np-2]
	}
	if r < utf8.RuneSelf { // fast path: ASCII
		if c.n-start < MaxTokenLen {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			c.buf[c.n] = byte(r)
			c.n++
			c.ends[c.np-1] = c.n
		}
		return true
	}
	var tmp [utf8.UTFMax * 2]byte
	f := appendFolded(tmp[:0], r)
	if c.n-start+len(f) > MaxTokenLen {
		return true // the part is full: drop the rest of the run
	}
	c.n += copy(c.buf[c.n:], f)
	c.ends[c.np-1] = c.n
	return true
}

// capLen cuts b to at most MaxTokenLen bytes without splitting a rune.
func capLen(b []byte) []byte {
	if len(b) <= MaxTokenLen {
		return b
	}
	n := MaxTokenLen
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}

type runeKind uint8

const (
	kindOther runeKind = iota
	kindLetter
	kindDigit
	kindMark // combining mark: part of a word, dropped when folding
)

func classify(r rune) runeKind {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			return kindLetter
		case '0' <= r && r <= '9':
			return kindDigit
		}
		return kindOther
	}
	switch {
	case unicode.IsLetter(r):
		return kindLetter
	case unicode.IsDigit(r):
		return kindDigit
	case unicode.Is(unicode.Mn, r):
		return kindMark
	}
	return kindOther
}

// isJoiner reports whether r, standing alone between letters or digits,
// keeps them in one chunk: "NL-2024-0001", "jan.de.vries@example.nl",
// "12/345", "user_42".
func isJoiner(r rune) bool {
	switch r {
	case '-', '.', '/', '_', '@', '\u2010', '\u2011':
		return true
	}
	return false
}

func isApostrophe(r rune) bool { return r == '\'' || r == '\u2019' }

// scanner cuts text into chunks. It holds one chunk, reused for every call
// of next, so scanning allocates nothing.
type scanner struct {
	text string
	pos  int
	c    chunk
}

func newScanner(text string) scanner {
	if len(text) > MaxInput {
		n := MaxInput
		for n > 0 && !utf8.RuneStart(text[n]) {
			n--
		}
		text = text[:n]
	}
	return scanner{text: text}
}

func (s *scanner) decode(pos int) (rune, int) {
	if pos >= len(s.text) {
		return -1, 0
	}
	if b := s.text[pos]; b < utf8.RuneSelf {
		return rune(b), 1
	}
	return utf8.DecodeRuneInString(s.text[pos:])
}

// next scans the next chunk into s.c and reports whether there was one.
func (s *scanner) next() bool {
	c := &s.c
	c.reset()
	for s.pos < len(s.text) {
		r, size := s.decode(s.pos)
		switch classify(r) {
		case kindLetter:
			if !c.add(r, false) {
				return true // chunk full: r starts the next one
			}
			s.pos += size
			continue
		case kindDigit:
			if !c.add(r, true) {
				return true
			}
			s.pos += size
			continue
		case kindMark:
			if c.open {
				s.pos += size
				continue
			}
		case kindOther:
			if c.open && (isJoiner(r) || isApostrophe(r)) {
				nr, _ := s.decode(s.pos + size)
				nk := classify(nr)
				if isApostrophe(r) {
					// "customer's", "auto's", "don't": one word.
					if nk == kindLetter && !c.digits[c.np-1] {
						s.pos += size
						continue
					}
				} else if nk == kindLetter || nk == kindDigit {
					c.open = false
					if r == '@' {
						c.hasAt = true
					}
					s.pos += size
					continue
				}
			}
		}
		s.pos += size
		if c.np > 0 {
			return true
		}
	}
	return c.np > 0
}

// appendFolded appends r in lower case with diacritics removed, so that
// "Één", "een" and "EEN" all match. Letters outside Latin keep their (lower
// case) form.
func appendFolded(dst []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, byte(r))
	}
	if r < 0x180 {
		if f := foldLatin(r); f != "" {
			return append(dst, f...)
		}
	}
	return utf8.AppendRune(dst, unicode.ToLower(r))
}

// foldLatin maps the letters of Latin-1 and Latin Extended-A to ASCII.
func foldLatin(r rune) string {
	switch {
	case r >= 0xC0 && r <= 0xC5, r >= 0xE0 && r <= 0xE5, r >= 0x100 && r <= 0x105, r == 0xAA:
		return "a"
	case r == 0xC6, r == 0xE6:
		return "ae"
	case r == 0xC7, r == 0xE7, r >= 0x106 && r <= 0x10D:
		return "c"
	case r == 0xD0, r == 0xF0, r >= 0x10E && r <= 0x111:
		return "d"
	case r >= 0xC8 && r <= 0xCB, r >= 0xE8 && r <= 0xEB, r >= 0x112 && r <= 0x11B:
		return "e"
	case r >= 0x11C && r <= 0x123:
		return "g"
	case r >= 0x124 && r <= 0x127:
		return "h"
	case r >= 0xCC && r <= 0xCF, r >= 0xEC && r <= 0xEF, r >= 0x128 && r <= 0x131:
		return "i"
	case r == 0x132, r == 0x133: // the Dutch ĳ ligature
		return "ij"
	case r == 0x134, r == 0x135:
		return "j"
	case r >= 0x136 && r <= 0x138:
		return "k"
	case r >= 0x139 && r <= 0x142:
		return "l"
	case r == 0xD1, r == 0xF1, r >= 0x143 && r <= 0x14B:
		return "n"
	case r >= 0xD2 && r <= 0xD6, r == 0xD8, r >= 0xF2 && r <= 0xF6, r == 0xF8, r >= 0x14C && r <= 0x151, r == 0xBA:
		return "o"
	case r == 0x152, r == 0x153:
		return "oe"
	case r >= 0x154 && r <= 0x159:
		return "r"
	case r >= 0x15A && r <= 0x161, r == 0x17F:
		return "s"
	case r == 0xDF:
		return "ss"
	case r >= 0x162 && r <= 0x167:
		return "t"
	case r == 0xDE, r == 0xFE:
		return "th"
	case r >= 0xD9 && r <= 0xDC, r >= 0xF9 && r <= 0xFC, r >= 0x168 && r <= 0x173:
		return "u"
	case r == 0x174, r == 0x175:
		return "w"
	case r == 0xDD, r == 0xFD, r == 0xFF, r >= 0x176 && r <= 0x178:
		return "y"
	case r >= 0x179 && r <= 0x17E:
		return "z"
	}
	return ""
}
